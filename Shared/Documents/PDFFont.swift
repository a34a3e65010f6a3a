/// The standard PDF fonts we use. Every PDF reader has them, so nothing is embedded and files stay small.
public enum PDFFont: Sendable, CaseIterable {
    case helvetica
    case helveticaBold
    case courier

    /// The PostScript name written in the font dictionary.
    var baseFont: String {
        switch self {
        case .helvetica: "Helvetica"
        case .helveticaBold: "Helvetica-Bold"
        case .courier: "Courier"
        }
    }

    /// The name a page's content stream uses for this font (`/F1 10 Tf`).
    var resourceName: String {
        switch self {
        case .helvetica: "F1"
        case .helveticaBold: "F2"
        case .courier: "F3"
        }
    }

    /// The width `text` takes at `size` points, as printed (characters we cannot print count as "?").
    public func width(of text: String, size: Double) -> Double {
        let bytes = WinAnsi.encode(text)
        let units: Int
        switch self {
        case .helvetica: units = bytes.reduce(0) { $0 + FontWidths.helvetica[Int($1)] }
        case .helveticaBold: units = bytes.reduce(0) { $0 + FontWidths.helveticaBold[Int($1)] }
        case .courier: units = bytes.count * 600  // Courier is monospaced
        }
        return Double(units) * size / 1000
    }

    /// `text` broken into lines no wider than `width`: at spaces where possible, inside a word only when the
    /// word alone is too wide. A newline in `text` always starts a new line; blank lines are kept.
    public func lines(wrapping text: String, size: Double, width: Double) -> [String] {
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                let candidate = line.isEmpty ? String(word) : line + " " + word
                if self.width(of: candidate, size: size) <= width {
                    line = candidate
                    continue
                }
                if !line.isEmpty { lines.append(line) }
                line = ""
                // A word wider than the line (a long reference number) is split where it must be.
                for character in word {
                    if !line.isEmpty && self.width(of: line + String(character), size: size) > width {
                        lines.append(line)
                        line = ""
                    }
                    line.append(character)
                }
            }
            lines.append(line)
        }
        return lines
    }
}
