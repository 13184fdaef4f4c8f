import Foundation

/// One character cell of a character LCD: a byte of the HD44780 ROM's ASCII range, or one
/// of the eight custom glyphs (CGRAM).
public enum LCDCell: Sendable, Equatable {
    case ascii(UInt8)
    case glyph(LCDGlyph)
}

/// A 5x8 custom character: eight rows, five bits each, bit 4 the leftmost pixel (HD44780
/// CGRAM layout, as OpenLCD's "create custom character" command takes it).
public struct LCDGlyph: Sendable, Hashable {
    public var rows: [UInt8]
    public init(rows: [UInt8]) { self.rows = rows.map { $0 & 0x1F } }
}

/// Text for a character LCD: accented lowercase Latin letters (the kiosk's French, Haitian
/// Creole, Spanish, Portuguese and Turkish prompts) become custom glyphs drawn from a base
/// letter and a mark; everything else is transliterated to ASCII, because the HD44780's
/// ROM (A00, Japanese) has no reliable accented letters.
public enum LCDText {
    /// Lowercase letter bodies on rows 2-6, the ROM's x-height, so a mark fits on rows 0-1.
    static let bodies: [Character: [UInt8]] = [
        "a": [0b01110, 0b00001, 0b01111, 0b10001, 0b01111],
        "e": [0b01110, 0b10001, 0b11111, 0b10000, 0b01110],
        "i": [0b01100, 0b00100, 0b00100, 0b00100, 0b01110],
        "o": [0b01110, 0b10001, 0b10001, 0b10001, 0b01110],
        "u": [0b10001, 0b10001, 0b10001, 0b10011, 0b01101],
        "c": [0b01110, 0b10000, 0b10000, 0b10001, 0b01110],
        "n": [0b10110, 0b11001, 0b10001, 0b10001, 0b10001],
        "s": [0b01110, 0b10000, 0b01110, 0b00001, 0b11110],
    ]

    /// Combining marks (Unicode's canonical decomposition) as rows 0-1, or row 7 for the cedilla.
    static let marks: [Unicode.Scalar: (top: [UInt8], bottom: UInt8)] = [
        "\u{0301}": ([0b00010, 0b00100], 0),  // acute
        "\u{0300}": ([0b01000, 0b00100], 0),  // grave
        "\u{0302}": ([0b00100, 0b01010], 0),  // circumflex
        "\u{0308}": ([0b01010, 0b00000], 0),  // diaeresis
        "\u{0303}": ([0b01101, 0b10110], 0),  // tilde
        "\u{0327}": ([0b00000, 0b00000], 0b00100),  // cedilla
    ]

    /// The custom glyph for `character`, if it is a base letter with one supported mark.
    public static func glyph(for character: Character) -> LCDGlyph? {
        let scalars = Array(String(character).decomposedStringWithCanonicalMapping.unicodeScalars)
        guard scalars.count == 2, let body = bodies[Character(scalars[0])], let mark = marks[scalars[1]] else { return nil }
        return LCDGlyph(rows: mark.top + body + [mark.bottom])
    }

    /// Letters outside Unicode's decompositions, with their usual ASCII spelling.
    static let specials: [Character: String] = [
        "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ı": "i", "đ": "d", "Đ": "D",
        "ł": "l", "Ł": "L", "‘": "'", "’": "'", "“": "\"", "”": "\"", "«": "\"", "»": "\"", "–": "-", "—": "-",
        "…": "...", "\u{00A0}": " ", "•": "*", "→": ">", "←": "<", "↑": "^", "↓": "v", "¿": "?", "¡": "!",
        // OpenLCD reads '|' (0x7C) as its command prefix: never send it as text.
        "|": "!",
    ]

    /// Cyrillic letters (the kiosk's Russian) by a simple one-to-one scheme.
    static let cyrillic: [Character: String] = {
        let pairs: [(String, String)] = [
            ("а", "a"), ("б", "b"), ("в", "v"), ("г", "g"), ("д", "d"), ("е", "e"), ("ё", "yo"), ("ж", "zh"),
            ("з", "z"), ("и", "i"), ("й", "y"), ("к", "k"), ("л", "l"), ("м", "m"), ("н", "n"), ("о", "o"),
            ("п", "p"), ("р", "r"), ("с", "s"), ("т", "t"), ("у", "u"), ("ф", "f"), ("х", "kh"), ("ц", "ts"),
            ("ч", "ch"), ("ш", "sh"), ("щ", "shch"), ("ъ", ""), ("ы", "y"), ("ь", ""), ("э", "e"), ("ю", "yu"),
            ("я", "ya"),
        ]
        var table: [Character: String] = [:]
        for (lower, latin) in pairs {
            table[Character(lower)] = latin
            let upper = lower.uppercased()
            table[Character(upper)] = latin.prefix(1).uppercased() + latin.dropFirst()
        }
        return table
    }()

    /// ASCII for `character`: its base letter without marks, a usual spelling, or "?".
    public static func transliterate(_ character: Character) -> String {
        if let special = specials[character] { return special }
        if let latin = cyrillic[character] { return latin }
        if character.isASCII, let value = character.asciiValue, value >= 0x20, value < 0x7F { return String(character) }
        if character.isWhitespace { return " " }
        let base = String(character).decomposedStringWithCanonicalMapping.unicodeScalars
            .filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "|" }
        return base.isEmpty ? "?" : String(String.UnicodeScalarView(base))
    }

    /// `text` as cells, using the glyphs in `slots` (extended with new ones up to eight) and
    /// transliterating the rest. Cut to `width` cells.
    public static func cells(_ text: String, width: Int, slots: inout [LCDGlyph]) -> [LCDCell] {
        var cells: [LCDCell] = []
        for character in text {
            if cells.count >= width { break }
            if let glyph = glyph(for: character) {
                if slots.contains(glyph) || slots.count < 8 {
                    if !slots.contains(glyph) { slots.append(glyph) }
                    cells.append(.glyph(glyph))
                    continue
                }
            }
            for byte in transliterate(character).utf8 where cells.count < width {
                cells.append(.ascii(byte))
            }
        }
        return cells
    }
}
