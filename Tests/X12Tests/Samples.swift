import Foundation
import Testing

@testable import X12

/// The third-party files in /work/shared/x12-samples, found from this file: Tests/X12Tests → repo
/// root → ../shared/x12-samples. A missing folder is an error, never a skip.
enum Samples {
    static let kinds = ["270", "271", "276", "277", "277CA", "835", "837I", "837P", "999"]

    static var folder: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // X12Tests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repo root
            .appendingPathComponent("../shared/x12-samples")
            .standardizedFileURL
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// Every sample file, by kind; throws if a kind's folder is missing or empty.
    static func all() throws -> [(kind: String, url: URL)] {
        var files: [(String, URL)] = []
        for kind in kinds {
            let dir = folder.appendingPathComponent(kind)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
                throw Missing(description: "X12 sample folder \(dir.path) is missing; these tests read the third-party files in shared/x12-samples beside the repository")
            }
            let kept = names.filter { !$0.hasPrefix(".") }.sorted()
            guard !kept.isEmpty else { throw Missing(description: "X12 sample folder \(dir.path) is empty") }
            files += kept.map { (kind, dir.appendingPathComponent($0)) }
        }
        return files
    }

    static func text(_ relativePath: String) throws -> String {
        let url = folder.appendingPathComponent(relativePath)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw Missing(description: "X12 sample \(url.path) is missing or not UTF-8")
        }
        return text
    }

    static func parse(_ relativePath: String) throws -> X12Interchange {
        try X12Interchange.parse(text(relativePath))
    }
}

/// "150000.00" → 15000000 cents, so totals compare exactly.
func cents(_ amount: String) -> Int? {
    let negative = amount.hasPrefix("-")
    let parts = amount.dropFirst(negative ? 1 : 0).split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), let whole = Int(parts[0]) else { return nil }
    let fraction = parts.count == 2 ? String(parts[1]) : ""
    guard fraction.count <= 2, let f = Int(fraction + String(repeating: "0", count: 2 - fraction.count)) else { return nil }
    return (whole * 100 + f) * (negative ? -1 : 1)
}
