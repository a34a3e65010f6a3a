import Contracts
import Foundation
import Logging
import PostgresNIO

/// Where X12 files go and where the answers come from. Both calls run in the exchange job's transaction:
/// a file is marked sent, and an answer recorded, together with what the adapter did.
protocol Clearinghouse: Sendable {
    /// Delivers an outbound file. After a crash it may be called again for the same file: the receiving
    /// side recognises it (same name, same control numbers).
    func send(fileId: String, content: String, _ effects: some InsuranceEffects) async throws
    /// Answers waiting to be read; `known` says whether a content was recorded already (then it is not
    /// returned again).
    func collect(_ effects: some InsuranceEffects, known: (String) async throws -> Bool) async throws -> [String]
    /// The simulator learns its members from the clinic's coverages; a real clearinghouse ignores this.
    func enrol(_ coverage: CoverageUpdated, _ effects: some InsuranceEffects) async throws
}

/// Files written to a directory for an SFTP client to carry, answers picked up from another — the way
/// many clearinghouses work. An inbound file stays in the inbox until its content is recorded; the
/// next collection moves it to `processed/` beside the inbox.
struct FileDropClearinghouse: Clearinghouse {
    let outbox: String
    let inbox: String

    func send(fileId: String, content: String, _ effects: some InsuranceEffects) async throws {
        try write(fileId: fileId, content: content)
    }

    func collect(_ effects: some InsuranceEffects, known: (String) async throws -> Bool) async throws -> [String] {
        try await pickUp(known: known)
    }

    func enrol(_ coverage: CoverageUpdated, _ effects: some InsuranceEffects) async throws {}

    func write(fileId: String, content: String) throws {
        let directory = URL(fileURLWithPath: outbox, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Written under a temporary name and renamed, so a reader never sees half a file.
        let partial = directory.appendingPathComponent(".\(fileId).part")
        try Data(content.utf8).write(to: partial)
        let final = directory.appendingPathComponent("\(fileId).x12")
        if FileManager.default.fileExists(atPath: final.path) { try FileManager.default.removeItem(at: final) }
        try FileManager.default.moveItem(at: partial, to: final)
    }

    func pickUp(known: (String) async throws -> Bool) async throws -> [String] {
        let directory = URL(fileURLWithPath: inbox, isDirectory: true)
        let processed = directory.deletingLastPathComponent().appendingPathComponent("processed", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: processed, withIntermediateDirectories: true)
        var found: [String] = []
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
        for name in names.prefix(500) {
            let url = directory.appendingPathComponent(name)
            // Not UTF-8 is still a file a person must see: read it as Latin-1 rather than drop it.
            let data = try Data(contentsOf: url)
            let content = String(data: data, encoding: .utf8) ?? String(decoding: data, as: UTF8.self)
            if try await known(content) {
                let target = processed.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
                try FileManager.default.moveItem(at: url, to: target)
            } else {
                found.append(content)
            }
        }
        return found
    }
}
