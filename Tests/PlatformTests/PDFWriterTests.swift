import Documents
import Foundation
import Testing

@Suite struct PDFTextTests {
    @Test func literalsEscapeParenthesesAndBackslashes() {
        #expect(WinAnsi.literal("a(b)c\\d") == "(a\\(b\\)c\\\\d)")
        #expect(WinAnsi.literal("Señora") == "(Se\\361ora)")
        #expect(WinAnsi.literal("tab\there") == "(tab here)")
    }

    @Test func textIsEncodedAsWinAnsi() {
        #expect(WinAnsi.encode("Señora") == [0x53, 0x65, 0xF1, 0x6F, 0x72, 0x61])
        #expect(WinAnsi.encode("Sen\u{303}ora") == WinAnsi.encode("Señora"))
        #expect(WinAnsi.encode("€ – “ok”") == [0x80, 0x20, 0x96, 0x20, 0x93, 0x6F, 0x6B, 0x94])
        #expect(WinAnsi.encode("日本 ✓") == [0x3F, 0x3F, 0x20, 0x3F])
    }

    @Test func widthsFollowTheFontMetrics() {
        // H 722, e 556, l 222, l 222, o 556 in Helvetica; 722, 556, 278, 278, 611 in Helvetica-Bold.
        #expect(abs(PDFFont.helvetica.width(of: "Hello", size: 10) - 22.78) < 0.0001)
        #expect(abs(PDFFont.helveticaBold.width(of: "Hello", size: 10) - 24.45) < 0.0001)
        #expect(PDFFont.courier.width(of: "abc", size: 10) == 18)
        #expect(PDFFont.helvetica.width(of: "Señora", size: 12) == PDFFont.helvetica.width(of: "Senora", size: 12))
        #expect(PDFFont.helvetica.width(of: "ííí", size: 10) > PDFFont.helvetica.width(of: "iii", size: 10))
    }

    @Test func paragraphsWrapAtSpacesWithinTheWidth() {
        let font = PDFFont.helvetica
        // "brown fox" is the widest pair of words, so each line holds two words at most.
        let width = font.width(of: "brown fox", size: 10) + 0.01
        let lines = font.lines(wrapping: "the quick brown fox jumps", size: 10, width: width)
        #expect(lines == ["the quick", "brown fox", "jumps"])
        #expect(lines.allSatisfy { font.width(of: $0, size: 10) <= width })
    }

    @Test func longWordsAreSplitAndNewlinesKept() {
        let font = PDFFont.courier
        let width = font.width(of: "12345", size: 10)
        #expect(font.lines(wrapping: "ref 1234567890123", size: 10, width: width) == ["ref", "12345", "67890", "123"])
        #expect(font.lines(wrapping: "a\n\nb", size: 10, width: 100) == ["a", "", "b"])
    }
}

@Suite struct PDFStructureTests {
    func sample(title: String = "Receipt R-1001") -> PDFDocument {
        var document = PDFDocument(title: title)
        var page = PDFPage()
        page.text("Receipt", x: 72, y: 72, font: .helveticaBold, size: 18)
        page.table(origin: PDFPoint(x: 72, y: 100), columnWidths: [80, 250, 100],
                   rows: [["Code", "Description", "Amount"], ["D1110", "Prophylaxis (adult)", "$95.00"]],
                   alignments: [.left, .left, .right])
        document.addPage(page)
        document.addPage(PDFPage())
        return document
    }

    @Test func outputIsDeterministic() {
        #expect(sample().render() == sample().render())
        let text = String(decoding: sample().render(), as: UTF8.self)
        #expect(text.hasPrefix("%PDF-1.7\n%"))
        #expect(text.contains("/Title (Receipt R-1001) /Producer (ClinicLedger)"))
        #expect(!text.contains("/CreationDate"))
        #expect(text.contains("/Count 2"))
    }

    @Test func creationDateAndUnicodeTitlesAreWritten() {
        var document = sample(title: "Señora")
        document.creationDate = PDFDate(year: 2026, month: 11, day: 24, hour: 9, minute: 30)
        let text = String(decoding: document.render(), as: UTF8.self)
        #expect(text.contains("/Title <FEFF0053006500F1006F00720061>"))
        #expect(text.contains("/CreationDate (D:20261124093000Z)"))
    }

    @Test func theCrossReferenceTablePointsAtEachObject() throws {
        let bytes = sample().render()
        let text = String(decoding: bytes, as: UTF8.self)
        let startxref = try #require(text.range(of: "startxref\n", options: .backwards))
        let xrefOffset = try #require(Int(text[startxref.upperBound...].prefix { $0.isNumber }))
        #expect(Array(bytes[xrefOffset..<xrefOffset + 5]) == Array("xref\n".utf8))
        let table = String(decoding: bytes[xrefOffset...], as: UTF8.self).split(separator: "\n")
        let count = try #require(Int(table[1].split(separator: " ")[1]))
        #expect(text.contains("/Size \(count) "))
        for number in 1..<count {
            let entry = table[2 + number]
            #expect(entry.count == 19)  // 20 bytes with the newline
            let offset = try #require(Int(entry.prefix(10)))
            let found = String(decoding: bytes[offset..<min(offset + 12, bytes.count)], as: UTF8.self)
            #expect(found.hasPrefix("\(number) 0 obj\n"), "object \(number) at \(offset): \(found)")
        }
    }
}
