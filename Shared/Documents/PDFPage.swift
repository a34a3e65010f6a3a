/// One page's drawing, recorded in top-left coordinates (y grows downward, in points). The document turns
/// it into PDF operators when it knows the page height, so a page can be built without knowing its size.
public struct PDFPage: Sendable {
    enum Mark: Sendable {
        case text(String, x: Double, y: Double, font: PDFFont, size: Double)
        case line(from: PDFPoint, to: PDFPoint, width: Double)
        case rectangle(x: Double, y: Double, width: Double, height: Double, lineWidth: Double?, fillGray: Double?)
    }

    private(set) var marks: [Mark] = []

    public init() {}

    /// One line of text whose baseline is at `y`. With `.right`, `x` is where the text ends (for amounts);
    /// with `.center`, the text is centred on `x`.
    public mutating func text(_ string: String, x: Double, y: Double, font: PDFFont = .helvetica,
                              size: Double = 10, alignment: PDFAlignment = .left) {
        let width = font.width(of: string, size: size)
        let start: Double
        switch alignment {
        case .left: start = x
        case .right: start = x - width
        case .center: start = x - width / 2
        }
        marks.append(.text(string, x: start, y: y, font: font, size: size))
    }

    public mutating func line(from start: PDFPoint, to end: PDFPoint, width: Double = 0.5) {
        marks.append(.line(from: start, to: end, width: width))
    }

    /// A rectangle whose top-left corner is at (`x`, `y`). `fillGray` fills it (0 is black, 1 is white);
    /// `lineWidth` outlines it; pass nil for either to leave it out.
    public mutating func rectangle(x: Double, y: Double, width: Double, height: Double,
                                   lineWidth: Double? = 0.5, fillGray: Double? = nil) {
        marks.append(.rectangle(x: x, y: y, width: width, height: height, lineWidth: lineWidth, fillGray: fillGray))
    }

    /// Text wrapped to `width`, first baseline at `y`, lines `leading` apart (1.25 × size unless given).
    /// Returns the baseline for the line that would follow, so callers can keep writing below it.
    @discardableResult
    public mutating func paragraph(_ string: String, x: Double, y: Double, width: Double, font: PDFFont = .helvetica,
                                   size: Double = 10, leading: Double? = nil) -> Double {
        let step = leading ?? size * 1.25
        var baseline = y
        for line in font.lines(wrapping: string, size: size, width: width) {
            text(line, x: x, y: baseline, font: font, size: size)
            baseline += step
        }
        return baseline
    }

    /// PDF content-stream operators for this page, flipping y for a page `pageHeight` points tall.
    func contentStream(pageHeight: Double) -> [UInt8] {
        var out = ""
        for mark in marks {
            switch mark {
            case let .text(string, x, y, font, size):
                out += "BT /\(font.resourceName) \(PDFNumber.text(size)) Tf "
                out += "\(PDFNumber.text(x)) \(PDFNumber.text(pageHeight - y)) Td \(WinAnsi.literal(string)) Tj ET\n"
            case let .line(start, end, width):
                out += "q \(PDFNumber.text(width)) w \(PDFNumber.text(start.x)) \(PDFNumber.text(pageHeight - start.y)) m "
                out += "\(PDFNumber.text(end.x)) \(PDFNumber.text(pageHeight - end.y)) l S Q\n"
            case let .rectangle(x, y, width, height, lineWidth, fillGray):
                let box = [x, pageHeight - y - height, width, height].map(PDFNumber.text).joined(separator: " ")
                if let fillGray { out += "q \(PDFNumber.text(fillGray)) g \(box) re f Q\n" }
                if let lineWidth { out += "q \(PDFNumber.text(lineWidth)) w \(box) re S Q\n" }
            }
        }
        return Array(out.utf8)
    }
}

/// Numbers as PDF writes them: at most two decimals and no exponent, so output is short and the same on
/// every machine.
enum PDFNumber {
    static func text(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let whole = abs(hundredths) / 100
        let fraction = abs(hundredths) % 100
        if fraction == 0 { return sign + String(whole) }
        if fraction % 10 == 0 { return "\(sign)\(whole).\(fraction / 10)" }
        return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
