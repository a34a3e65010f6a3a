/// Glyph advance widths of the standard fonts, in 1/1000 of the font size, indexed by WinAnsi byte.
/// Printable ASCII comes from Adobe's published AFM metrics; Latin-1 letters with accents take their base
/// letter's width (as they do in those metrics), and the few symbols listed below carry their own.
enum FontWidths {
    /// Helvetica, codes 32 through 126.
    static let helveticaASCII: [Int] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  // space … /
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556,  // 0 … 9
        278, 278, 584, 584, 584, 556, 1015,  // : ; < = > ? @
        667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,  // A … M
        722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611,  // N … Z
        278, 278, 278, 469, 556, 333,  // [ \ ] ^ _ `
        556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833,  // a … m
        556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500,  // n … z
        334, 260, 334, 584,  // { | } ~
    ]

    /// Helvetica-Bold, codes 32 through 126.
    static let helveticaBoldASCII: [Int] = [
        278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556,
        333, 333, 584, 584, 584, 611, 975,
        722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
        722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611,
        333, 278, 333, 584, 556, 333,
        556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889,
        611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500,
        389, 280, 389, 584,
    ]

    /// Accented letters print as wide as the letter they are built on.
    static let baseLetters: [(letters: String, base: Character)] = [
        ("ÀÁÂÃÄÅ", "A"), ("Ç", "C"), ("ÈÉÊË", "E"), ("Ñ", "N"), ("ÒÓÔÕÖ", "O"), ("ÙÚÛÜ", "U"),
        ("ÝŸ", "Y"), ("Š", "S"), ("Ž", "Z"), ("àáâãäå", "a"), ("ç", "c"), ("èéêë", "e"), ("ñ", "n"),
        ("òóôõö", "o"), ("ùúûü", "u"), ("ýÿ", "y"), ("š", "s"), ("ž", "z"), ("ÌÍÎÏ", "I"),
    ]

    /// Symbols and letters without an ASCII base: (Helvetica, Helvetica-Bold).
    static let symbols: [Character: (regular: Int, bold: Int)] = [
        "ì": (278, 278), "í": (278, 278), "î": (278, 278), "ï": (278, 278), "\u{A0}": (278, 278),
        "¦": (260, 280), "¤": (556, 556), "¯": (333, 333), "¸": (333, 333), "¬": (584, 584),
        "¡": (333, 333), "¿": (611, 611), "¢": (556, 556), "£": (556, 556), "¥": (556, 556), "€": (556, 556),
        "§": (556, 556), "©": (737, 737), "®": (737, 737), "°": (400, 400), "±": (584, 584), "×": (584, 584),
        "÷": (584, 584), "«": (556, 556), "»": (556, 556), "·": (278, 278), "µ": (556, 611), "¶": (537, 556),
        "ª": (370, 370), "º": (365, 365), "¼": (834, 834), "½": (834, 834), "¾": (834, 834), "¹": (333, 333),
        "²": (333, 333), "³": (333, 333), "\u{AD}": (333, 333), "´": (333, 333), "¨": (333, 333),
        "Æ": (1000, 1000), "æ": (889, 889), "Ø": (778, 778), "ø": (611, 611), "ß": (611, 611),
        "Ð": (722, 722), "ð": (556, 611), "Þ": (667, 667), "þ": (556, 611),
        "‘": (222, 278), "’": (222, 278), "“": (333, 500), "”": (333, 500), "•": (350, 350),
        "–": (556, 556), "—": (1000, 1000), "…": (1000, 1000), "™": (1000, 1000),
    ]

    static let helvetica = table(ascii: helveticaASCII, bold: false)
    static let helveticaBold = table(ascii: helveticaBoldASCII, bold: true)

    /// A full 256-entry table; codes we never emit get an average width so a bug cannot make a line
    /// measure as zero wide.
    static func table(ascii: [Int], bold: Bool) -> [Int] {
        var widths = Array(repeating: 556, count: 256)
        for (offset, width) in ascii.enumerated() { widths[32 + offset] = width }
        for (letters, base) in baseLetters {
            let baseWidth = widths[Int(WinAnsi.encode(String(base))[0])]
            for letter in letters { widths[Int(WinAnsi.encode(String(letter))[0])] = baseWidth }
        }
        for (character, width) in symbols {
            widths[Int(WinAnsi.encode(String(character))[0])] = bold ? width.bold : width.regular
        }
        return widths
    }
}
