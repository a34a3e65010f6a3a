import Foundation
import Testing

@testable import X12

@Suite struct SeparatorTests {
    /// Replaces each delimiter of `text` by another, all at once, as a partner using other
    /// delimiters would have written the same data.
    func rewrite(_ text: String, from old: X12Separators, to new: X12Separators) -> String {
        var map: [Unicode.Scalar: Unicode.Scalar] = [old.element: new.element, old.component: new.component, old.segment: new.segment]
        if let from = old.repetition, let to = new.repetition { map[from] = to }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: text.unicodeScalars.map { map[$0] ?? $0 })
        return String(out)
    }

    @Test func everySampleReadsTheSameWithOtherSeparators() throws {
        let other = X12Separators(element: "|", repetition: "}", component: "\\", segment: "\n")
        for (kind, url) in try Samples.all() {
            let name = "\(kind)/\(url.lastPathComponent)"
            let text = try String(contentsOf: url, encoding: .utf8)
            let original = try X12Interchange.parse(text, validatingEnvelope: false)
            #expect(!text.unicodeScalars.contains { "}\\".unicodeScalars.contains($0) }, "\(name) uses } or \\ as data")
            let rewritten = try X12Interchange.parse(rewrite(text, from: original.separators, to: other), validatingEnvelope: false)
            #expect(rewritten.separators == other, "\(name)")
            #expect(rewritten.functionalGroups == original.functionalGroups, "\(name)")
            #expect(rewritten.trailer == original.trailer, "\(name)")
            // ISA11 and ISA16 are the delimiters themselves; every other ISA field is the same.
            for position in 1...16 where position != 11 && position != 16 {
                #expect(rewritten.header[position] == original.header[position], "\(name) ISA\(position)")
            }
        }
    }

    @Test func separatorsAreReadFromTheISA() throws {
        let text = try Samples.text("999/x12_999_rejected.txt")
        let interchange = try X12Interchange.parse(text)
        #expect(interchange.separators == X12Separators(element: "*", repetition: "^", component: "|", segment: "~"))
    }

    @Test func aByteOrderMarkLeadingBlanksAndCRLFAreTolerated() throws {
        let text = try Samples.text("837P/demo.example1.837")
        let plain = try X12Interchange.parse(text)
        let messy = "\u{FEFF}\n  \r\n" + text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n\r\n"
        #expect(try X12Interchange.parse(messy) == plain)
        let oneLine = text.replacingOccurrences(of: "\n", with: "")
        #expect(try X12Interchange.parse(oneLine) == plain)
    }

    @Test func aPre5010RepetitionCodeIsNotASeparator() throws {
        let text = EnvelopeFile().text.replacingOccurrences(of: "*^*00501*", with: "*U*00401*")
        let interchange = try X12Interchange.parse(text)
        #expect(interchange.separators.repetition == nil)
        #expect(interchange.versionNumber == "00401")
    }
}
