/// Builds a document top to bottom the way receipts, statements and letters read: headings, paragraphs,
/// label-value lines and tables, starting a new page whenever the next piece does not fit. Long tables
/// continue on the next page with their header repeated, and every page is numbered "Page 2 of 3".
///
///     var flow = PDFFlow(title: "Receipt R-1001")
///     flow.heading("Receipt")
///     flow.keyValue("Patient", "Ana López")
///     flow.table(header: ["Code", "Description", "Amount"], rows: lines, alignments: [.left, .left, .right])
///     let bytes = flow.render()
public struct PDFFlow: Sendable {
    public let title: String
    public let pageSize: PageSize
    public let margin: Double
    /// Printed at the bottom left of every page, e.g. the clinic's name and phone number.
    public var footer: String?
    public var creationDate: PDFDate?

    private var finishedPages: [PDFPage] = []
    private var page = PDFPage()
    /// Top of the free space on the current page.
    private var cursor: Double

    public init(title: String, pageSize: PageSize = .letter, margin: Double = 54) {
        self.title = title
        self.pageSize = pageSize
        self.margin = margin
        self.cursor = margin
    }

    public var contentWidth: Double { pageSize.width - 2 * margin }
    /// Content stops here; the footer lives below it.
    var bottom: Double { pageSize.height - margin }

    public mutating func heading(_ text: String, size: Double = 16) {
        let lines = PDFFont.helveticaBold.lines(wrapping: text, size: size, width: contentWidth)
        // Keep a heading with at least three lines of what follows it.
        ensureRoom(Double(lines.count) * size * 1.25 + 3 * 12.5)
        if cursor > margin { cursor += size * 0.5 }
        writeLines(lines, x: margin, font: .helveticaBold, size: size)
        cursor += size * 0.25
    }

    public mutating func paragraph(_ text: String, font: PDFFont = .helvetica, size: Double = 10) {
        writeLines(font.lines(wrapping: text, size: size, width: contentWidth), x: margin, font: font, size: size)
        cursor += size * 0.5
    }

    /// A bold label with its value beside it (account, date, total); the value wraps in its own column.
    public mutating func keyValue(_ label: String, _ value: String, labelWidth: Double = 150, size: Double = 10) {
        let values = PDFFont.helvetica.lines(wrapping: value, size: size, width: contentWidth - labelWidth)
        ensureRoom(size * 1.25)
        page.text(label, x: margin, y: cursor + size, font: .helveticaBold, size: size)
        writeLines(values, x: margin + labelWidth, font: .helvetica, size: size)
    }

    /// A table that may span pages. `columnWidths` defaults to equal columns across the page.
    public mutating func table(header: [String]?, rows: [[String]], columnWidths: [Double]? = nil,
                               alignments: [PDFAlignment] = [], size: Double = 9) {
        let columnCount = max(header?.count ?? 0, rows.map(\.count).max() ?? 0)
        guard columnCount > 0 else { return }
        let widths = columnWidths ?? Array(repeating: contentWidth / Double(columnCount), count: columnCount)
        let layout = TableLayout(columnWidths: widths, alignments: alignments, size: size)
        let headerHeight = header.map { layout.height(of: $0, font: .helveticaBold) } ?? 0
        if cursor > margin { cursor += size * 0.5 }
        var tableOpened = false
        // With no rows the header and one blank row still print: the reader sees an empty table, not a gap.
        for row in rows.isEmpty ? [[]] : rows {
            let rowHeight = layout.height(of: row, font: .helvetica)
            // The header opens the table and reopens it on each new page, always with a row under it.
            if !tableOpened || !fits(rowHeight) {
                ensureRoom(headerHeight + rowHeight)
                if let header {
                    cursor = layout.draw(header, isHeader: true, x: margin, top: cursor, on: &page)
                } else {
                    layout.drawHeavyRule(x: margin, y: cursor, on: &page)
                }
                tableOpened = true
            }
            cursor = layout.draw(row, isHeader: false, x: margin, top: cursor, on: &page)
        }
        layout.drawHeavyRule(x: margin, y: cursor, on: &page)
        cursor += size
    }

    /// A thin rule across the page, e.g. above a total.
    public mutating func rule(width: Double = 0.5) {
        ensureRoom(6)
        page.line(from: PDFPoint(x: margin, y: cursor + 3), to: PDFPoint(x: margin + contentWidth, y: cursor + 3),
                  width: width)
        cursor += 6
    }

    public mutating func space(_ points: Double) {
        cursor = min(cursor + points, bottom)
    }

    public mutating func pageBreak() {
        newPage()
    }

    /// The document with page numbers and the footer added to every page.
    public func document() -> PDFDocument {
        var document = PDFDocument(title: title, pageSize: pageSize)
        document.creationDate = creationDate
        let pages = finishedPages + [page]
        for (index, var page) in pages.enumerated() {
            let baseline = pageSize.height - margin / 2
            if let footer { page.text(footer, x: margin, y: baseline, size: 8) }
            page.text("Page \(index + 1) of \(pages.count)", x: pageSize.width - margin, y: baseline, size: 8,
                      alignment: .right)
            document.addPage(page)
        }
        return document
    }

    public func render() -> [UInt8] {
        document().render()
    }

    // MARK: - Placing content

    private func fits(_ height: Double) -> Bool {
        cursor + height <= bottom
    }

    /// Starts a new page unless `height` fits on this one (or this page is still empty, where waiting
    /// would not help).
    private mutating func ensureRoom(_ height: Double) {
        if !fits(height) && cursor > margin { newPage() }
    }

    private mutating func newPage() {
        finishedPages.append(page)
        page = PDFPage()
        cursor = margin
    }

    private mutating func writeLines(_ lines: [String], x: Double, font: PDFFont, size: Double) {
        let leading = size * 1.25
        for line in lines {
            ensureRoom(leading)
            page.text(line, x: x, y: cursor + size, font: font, size: size)
            cursor += leading
        }
    }
}
