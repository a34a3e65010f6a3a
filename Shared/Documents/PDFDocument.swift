/// A PDF file: pages plus the title and dates shown in a reader's document properties.
///
/// Output is deterministic: the same pages and metadata give the same bytes, because nothing (no clock,
/// no random file id) is added unless the caller supplies it. Tests and caches rely on that.
public struct PDFDocument: Sendable {
    public var title: String
    public var pageSize: PageSize
    public var author: String?
    /// Written to /CreationDate only when set.
    public var creationDate: PDFDate?
    public private(set) var pages: [PDFPage] = []

    public init(title: String, pageSize: PageSize = .letter) {
        self.title = title
        self.pageSize = pageSize
    }

    public mutating func addPage(_ page: PDFPage) {
        pages.append(page)
    }

    /// The finished file. A document without pages gets one blank page, because readers refuse an empty
    /// page tree.
    public func render() -> [UInt8] {
        let pages = self.pages.isEmpty ? [PDFPage()] : self.pages
        var writer = PDFObjectWriter()
        let fonts = PDFFont.allCases
        // Objects: 1 catalog, 2 page tree, 3 info, then fonts, then each page followed by its contents.
        let firstFont = 4
        let firstPage = firstFont + fonts.count
        let pageNumbers = pages.indices.map { firstPage + 2 * $0 }

        writer.object(1, "<< /Type /Catalog /Pages 2 0 R >>")
        let kids = pageNumbers.map { "\($0) 0 R" }.joined(separator: " ")
        writer.object(2, "<< /Type /Pages /Kids [\(kids)] /Count \(pages.count) >>")
        writer.object(3, infoDictionary())
        for (offset, font) in fonts.enumerated() {
            writer.object(firstFont + offset,
                          "<< /Type /Font /Subtype /Type1 /BaseFont /\(font.baseFont) /Encoding /WinAnsiEncoding >>")
        }
        let fontResources = fonts.enumerated()
            .map { "/\($0.element.resourceName) \(firstFont + $0.offset) 0 R" }
            .joined(separator: " ")
        let mediaBox = "[0 0 \(PDFNumber.text(pageSize.width)) \(PDFNumber.text(pageSize.height))]"
        for (page, number) in zip(pages, pageNumbers) {
            writer.object(number, "<< /Type /Page /Parent 2 0 R /MediaBox \(mediaBox) "
                + "/Resources << /Font << \(fontResources) >> >> /Contents \(number + 1) 0 R >>")
            writer.stream(number + 1, page.contentStream(pageHeight: pageSize.height))
        }
        return writer.finish(root: 1, info: 3)
    }

    func infoDictionary() -> String {
        var entries = ["/Title \(PDFText.string(title))", "/Producer (ClinicLedger)"]
        if let author { entries.append("/Author \(PDFText.string(author))") }
        if let creationDate { entries.append("/CreationDate (\(creationDate.pdfText))") }
        return "<< " + entries.joined(separator: " ") + " >>"
    }
}

/// A moment in UTC for the document's properties, written as PDF's `D:YYYYMMDDHHmmSSZ`.
public struct PDFDate: Sendable, Equatable {
    public var year, month, day, hour, minute, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    var pdfText: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "D:\(year)\(two(month))\(two(day))\(two(hour))\(two(minute))\(two(second))Z"
    }
}

/// Strings outside page content (the title, the author), which readers show in any script.
enum PDFText {
    /// Plain ASCII is written as a literal; anything else as UTF-16BE with a byte-order mark, the form the
    /// PDF specification gives for text strings that are not PDFDocEncoding.
    static func string(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value <= 126 }) {
            return WinAnsi.literal(text)
        }
        var hex = "<FEFF"
        for unit in text.utf16 {
            let digits = String(unit, radix: 16, uppercase: true)
            hex += String(repeating: "0", count: 4 - digits.count) + digits
        }
        return hex + ">"
    }
}
