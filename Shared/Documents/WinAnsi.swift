/// Turns Swift text into the single-byte WinAnsiEncoding the standard 14 fonts use, and into escaped PDF
/// string literals. We embed no fonts, so only Latin-1 and a few Windows-1252 punctuation marks can print;
/// anything else becomes "?" rather than silently printing a wrong glyph.
public enum WinAnsi {
    /// The Windows-1252 characters outside Latin-1 that billing text actually uses.
    static let extraCodes: [Character: UInt8] = [
        "€": 0x80, "…": 0x85, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94,
        "•": 0x95, "–": 0x96, "—": 0x97, "™": 0x99, "Š": 0x8A, "š": 0x9A, "Ž": 0x8E, "ž": 0x9E, "Ÿ": 0x9F,
    ]

    /// Every printable character we can encode. Keyed by `Character`, whose equality is canonical
    /// equivalence, so "ñ" written as n + combining tilde finds the same code as the composed "ñ".
    static let codes: [Character: UInt8] = {
        var table = extraCodes
        for value in UInt8(32)...UInt8(126) { table[Character(Unicode.Scalar(value))] = value }
        for value in UInt8(0xA0)...UInt8(0xFF) { table[Character(Unicode.Scalar(value))] = value }
        return table
    }()

    public static let replacement: UInt8 = 0x3F  // "?"

    /// One byte per character. Whitespace (tabs, stray newlines) prints as a space.
    public static func encode(_ text: String) -> [UInt8] {
        text.map { character in
            if let code = codes[character] { return code }
            return character.isWhitespace ? 0x20 : replacement
        }
    }

    /// A PDF literal string: `(` `)` and `\` are escaped, and bytes outside printable ASCII are written as
    /// octal escapes so content streams stay plain ASCII and easy to read in a diff.
    public static func literal(_ bytes: [UInt8]) -> String {
        var result = "("
        for byte in bytes {
            switch byte {
            case 0x28: result += "\\("
            case 0x29: result += "\\)"
            case 0x5C: result += "\\\\"
            case 32...126: result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let octal = String(byte, radix: 8)
                result += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return result + ")"
    }

    public static func literal(_ text: String) -> String {
        literal(encode(text))
    }
}
