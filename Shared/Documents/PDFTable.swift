/// Lays out table rows: cells wrap inside their column, a row is as tall as its tallest cell, the header
/// is bold on a light band, and rules separate rows. Shared by `PDFPage.table` and `PDFFlow.table` so a
/// table looks the same whether or not it spans pages.
struct TableLayout: Sendable {
    var columnWidths: [Double]
    var alignments: [PDFAlignment]
    var size: Double

    var padding: Double { size * 0.4 }
    var leading: Double { size * 1.2 }

    /// Cells beyond the last column are dropped; missing cells are blank.
    func cellLines(_ row: [String], font: PDFFont) -> [[String]] {
        columnWidths.indices.map { column in
            let text = column < row.count ? row[column] : ""
            return font.lines(wrapping: text, size: size, width: max(columnWidths[column] - 2 * padding, size))
        }
    }

    func height(of row: [String], font: PDFFont) -> Double {
        let lineCount = cellLines(row, font: font).map(\.count).max() ?? 1
        return Double(lineCount) * leading + 2 * padding
    }

    var widthInPoints: Double { columnWidths.reduce(0, +) }

    /// Draws one row with its top edge at `top` and returns the y of its bottom edge.
    func draw(_ row: [String], isHeader: Bool, x: Double, top: Double, on page: inout PDFPage) -> Double {
        let font: PDFFont = isHeader ? .helveticaBold : .helvetica
        let height = height(of: row, font: font)
        if isHeader {
            page.rectangle(x: x, y: top, width: widthInPoints, height: height, lineWidth: nil, fillGray: 0.9)
            drawHeavyRule(x: x, y: top, on: &page)
        }
        var left = x
        for (column, lines) in cellLines(row, font: font).enumerated() {
            let width = columnWidths[column]
            let alignment = column < alignments.count ? alignments[column] : .left
            let anchor: Double
            switch alignment {
            case .left: anchor = left + padding
            case .right: anchor = left + width - padding
            case .center: anchor = left + width / 2
            }
            for (number, line) in lines.enumerated() {
                // The baseline sits about one font size below the top of its line box.
                let baseline = top + padding + Double(number) * leading + size * 0.95
                page.text(line, x: anchor, y: baseline, font: font, size: size, alignment: alignment)
            }
            left += width
        }
        let bottom = top + height
        let rule = isHeader ? 0.75 : 0.25
        page.line(from: PDFPoint(x: x, y: bottom), to: PDFPoint(x: x + widthInPoints, y: bottom), width: rule)
        return bottom
    }

    /// The heavier rule that opens and closes a table. A header row draws its own, above its shading.
    func drawHeavyRule(x: Double, y: Double, on page: inout PDFPage) {
        page.line(from: PDFPoint(x: x, y: y), to: PDFPoint(x: x + widthInPoints, y: y), width: 0.75)
    }
}

extension PDFPage {
    /// A table with its top-left corner at `origin`. When `header` is true the first row is the header.
    /// Rows are not split across pages here; use `PDFFlow.table` for tables that may run long.
    /// Returns the y of the table's bottom edge.
    @discardableResult
    public mutating func table(origin: PDFPoint, columnWidths: [Double], rows: [[String]], header: Bool = true,
                               size: Double = 9, alignments: [PDFAlignment] = []) -> Double {
        let layout = TableLayout(columnWidths: columnWidths, alignments: alignments, size: size)
        if !header { layout.drawHeavyRule(x: origin.x, y: origin.y, on: &self) }
        var top = origin.y
        for (number, row) in rows.enumerated() {
            top = layout.draw(row, isHeader: header && number == 0, x: origin.x, top: top, on: &self)
        }
        layout.drawHeavyRule(x: origin.x, y: top, on: &self)
        return top
    }
}
