#if canImport(Glibc)
import Glibc
#endif
import CFreeType
import CHarfBuzz
import Foundation
import WaysideCore

/// A font file (and face index, for .ttc collections).
public struct FontFile: Sendable, Hashable {
    public var path: String
    public var index: Int
    public init(path: String, index: Int = 0) {
        self.path = path
        self.index = index
    }
}

/// Which Noto fonts draw which language: the script's own font first, Noto Sans after it
/// for Latin letters, digits and punctuation inside other scripts.
public struct FontBook: Sendable {
    public var directories: [String]

    /// Debian's fonts-noto-core (TrueType) and fonts-noto-cjk (OpenType collections);
    /// `WAYSIDE_FONT_DIR` first, for images that carry their fonts elsewhere.
    public static let standard: FontBook = {
        var directories = ["/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype/noto"]
        if let extra = ProcessInfo.processInfo.environment["WAYSIDE_FONT_DIR"], !extra.isEmpty { directories.insert(extra, at: 0) }
        return FontBook(directories: directories)
    }()

    public init(directories: [String]) { self.directories = directories }

    /// The first existing file of that name among the directories.
    public func find(_ name: String) -> String? {
        for directory in directories {
            let path = directory + "/" + name
            if access(path, R_OK) == 0 { return path }
        }
        return nil
    }

    /// Fonts for `languageTag`, most specific first; `bold` for titles.
    public func chain(for languageTag: String, bold: Bool) -> [FontFile] {
        let weight = bold ? "Bold" : "Regular"
        let language = languageTag.split(separator: "-").first.map(String.init) ?? languageTag
        var names: [(String, Int)] = []
        switch language {
        case "ar", "fa", "ur": names.append(("NotoSansArabic-\(weight).ttf", 0))
        case "hi", "mr", "ne": names.append(("NotoSansDevanagari-\(weight).ttf", 0))
        case "am", "ti": names.append(("NotoSansEthiopic-\(weight).ttf", 0))
        // The CJK collection's faces are JP, KR, SC, TC, HK: index 2 is Simplified Chinese.
        case "zh": names.append(("NotoSansCJK-\(weight).ttc", 2))
        default: break
        }
        names.append(("NotoSans-\(weight).ttf", 0))
        if bold { names.append(("NotoSans-Regular.ttf", 0)) }
        return names.compactMap { name, index in find(name).map { FontFile(path: $0, index: index) } }
    }
}

/// A glyph's coverage mask as FreeType rendered it.
struct GlyphMask {
    var width: Int
    var height: Int
    var left: Int
    var top: Int
    var coverage: [UInt8]
}

/// One font at one pixel size: a FreeType face and the HarfBuzz font over it, with the
/// glyphs rendered so far. A class because it owns both C handles and frees them.
final class SizedFont {
    let file: FontFile
    let face: FT_Face
    let font: OpaquePointer
    var masks: [UInt32: GlyphMask] = [:]
    let ascender: Int
    let lineHeight: Int

    init(library: FT_Library, file: FontFile, pixelSize: Int) throws(PanelError) {
        var face: FT_Face?
        let error = FT_New_Face(library, file.path, FT_Long(file.index), &face)
        guard error == 0, let face else {
            throw PanelError(operation: "FT_New_Face", device: file.path, detail: "FreeType error \(error); is fonts-noto-core installed?")
        }
        FT_Set_Pixel_Sizes(face, 0, FT_UInt(pixelSize))
        guard let font = hb_ft_font_create_referenced(face) else {
            FT_Done_Face(face)
            throw PanelError(operation: "hb_ft_font_create_referenced", device: file.path)
        }
        self.file = file
        self.face = face
        self.font = font
        let metrics = face.pointee.size.pointee.metrics
        ascender = Int(metrics.ascender) / 64
        lineHeight = Int(metrics.height) / 64
    }

    deinit {
        hb_font_destroy(font)
        FT_Done_Face(face)
    }

    func hasGlyph(for scalar: Unicode.Scalar) -> Bool { FT_Get_Char_Index(face, FT_ULong(scalar.value)) != 0 }

    func mask(for glyph: UInt32) -> GlyphMask {
        if let cached = masks[glyph] { return cached }
        var mask = GlyphMask(width: 0, height: 0, left: 0, top: 0, coverage: [])
        if FT_Load_Glyph(face, glyph, wayside_ft_load_render()) == 0, let slot = face.pointee.glyph {
            let bitmap = slot.pointee.bitmap
            let width = Int(bitmap.width), rows = Int(bitmap.rows), pitch = Int(bitmap.pitch)
            var coverage = [UInt8](repeating: 0, count: width * rows)
            if let buffer = bitmap.buffer, width > 0, rows > 0, bitmap.pixel_mode == UInt8(FT_PIXEL_MODE_GRAY.rawValue) {
                for y in 0..<rows {
                    for x in 0..<width { coverage[y * width + x] = buffer[y * pitch + x] }
                }
            }
            mask = GlyphMask(width: width, height: rows, left: Int(slot.pointee.bitmap_left), top: Int(slot.pointee.bitmap_top), coverage: coverage)
        }
        masks[glyph] = mask
        return mask
    }
}

/// A run of text shaped in one font: glyphs in visual order (HarfBuzz reverses right-to-left runs).
struct ShapedRun {
    var font: SizedFont
    var glyphs: [(id: UInt32, xAdvance: Int, xOffset: Int, yOffset: Int)]
    var width: Int { glyphs.reduce(0) { $0 + $1.xAdvance } / 64 }
}

/// Shapes text with HarfBuzz and draws it with FreeType, choosing a font per run of
/// characters from a ``FontBook`` chain, and laying runs out right to left when the
/// paragraph is. Not Sendable: one owner (the screen's actor) uses it.
public final class TextRenderer {
    private var library: FT_Library?
    private let book: FontBook
    private var fonts: [String: SizedFont] = [:]
    /// Shaped text and wrapped paragraphs by their inputs: the kiosk redraws the same prompts
    /// again and again (a choice moves, a letter is typed), and shaping is most of a redraw's
    /// cost. Emptied when it grows past ``cacheLimit`` entries.
    private var shaped: [String: [ShapedRun]] = [:]
    private var wrapped: [String: [String]] = [:]
    private let cacheLimit = 2048

    public init(book: FontBook = .standard) throws(PanelError) {
        self.book = book
        var library: FT_Library?
        let error = FT_Init_FreeType(&library)
        guard error == 0, library != nil else { throw PanelError(operation: "FT_Init_FreeType", device: "freetype", detail: "error \(error)") }
        self.library = library
        guard !book.chain(for: "en", bold: false).isEmpty else {
            throw PanelError(operation: "open", device: book.directories.joined(separator: ":"), errno: ENOENT,
                             detail: "no NotoSans-Regular.ttf; install fonts-noto-core or set WAYSIDE_FONT_DIR")
        }
    }

    deinit {
        // Every face must be done before the library: shaped runs hold fonts too.
        shaped.removeAll()
        fonts.removeAll()
        if let library { FT_Done_FreeType(library) }
    }

    private func sized(_ file: FontFile, _ size: Int) throws(PanelError) -> SizedFont {
        let key = "\(file.path)#\(file.index)@\(size)"
        if let font = fonts[key] { return font }
        guard let library else { throw PanelError(operation: "FT_Init_FreeType", device: "freetype") }
        let font = try SizedFont(library: library, file: file, pixelSize: size)
        fonts[key] = font
        return font
    }

    /// The fonts for a language at a size (at least one: Noto Sans is checked at init).
    private func chain(_ languageTag: String, size: Int, bold: Bool) -> [SizedFont] {
        book.chain(for: languageTag, bold: bold).compactMap { try? sized($0, size) }
    }

    /// Splits `text` into runs that one font of the chain can draw; spaces and marks stay
    /// with the run they are in.
    /// `leftToRight` forces that direction (a number or code inside right-to-left text, which
    /// HarfBuzz would otherwise lay out by the script it guesses).
    private func shape(_ text: String, languageTag: String, size: Int, bold: Bool, leftToRight: Bool = false) -> [ShapedRun] {
        let key = "\(languageTag)|\(size)|\(bold)|\(leftToRight)|\(text)"
        if let cached = shaped[key] { return cached }
        let runs = shapeUncached(text, languageTag: languageTag, size: size, bold: bold, leftToRight: leftToRight)
        if shaped.count >= cacheLimit { shaped.removeAll(keepingCapacity: true) }
        shaped[key] = runs
        return runs
    }

    private func shapeUncached(_ text: String, languageTag: String, size: Int, bold: Bool, leftToRight: Bool) -> [ShapedRun] {
        let fonts = chain(languageTag, size: size, bold: bold)
        guard let first = fonts.first else { return [] }
        var runs: [(SizedFont, String)] = []
        for character in text {
            guard let scalar = character.unicodeScalars.first else { continue }
            // Punctuation stays with the run it ends; spaces go to the paragraph's own font,
            // so in right-to-left text they sit between runs, not at a run's wrong end.
            if character.isPunctuation, let last = runs.last, last.0.hasGlyph(for: scalar) {
                runs[runs.count - 1].1.append(character)
                continue
            }
            let font = fonts.first { $0.hasGlyph(for: scalar) } ?? first
            if let last = runs.last, last.0 === font {
                runs[runs.count - 1].1.append(character)
            } else {
                runs.append((font, String(character)))
            }
        }
        // A space between two runs of the same font belongs to them (two English words in
        // an Arabic sentence stay one left-to-right run, as the bidi algorithm keeps them).
        var merged: [(SizedFont, String)] = []
        for run in runs {
            if merged.count >= 2, merged[merged.count - 1].1.allSatisfy(\.isWhitespace), merged[merged.count - 2].0 === run.0 {
                let space = merged.removeLast()
                merged[merged.count - 1].1 += space.1 + run.1
            } else {
                merged.append(run)
            }
        }
        return merged.map { font, piece in
            let buffer = hb_buffer_create()
            defer { hb_buffer_destroy(buffer) }
            let utf8 = Array(piece.utf8)
            utf8.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    hb_buffer_add_utf8(buffer, chars.baseAddress, Int32(chars.count), 0, Int32(chars.count))
                }
            }
            hb_buffer_set_language(buffer, hb_language_from_string(languageTag, -1))
            hb_buffer_guess_segment_properties(buffer)
            // A run with no right-to-left letter (Arabic-Indic digits, whose script HarfBuzz
            // reads as Arabic) reads left to right, as numbers do.
            if leftToRight || !piece.contains(where: Self.isRightToLeft) { hb_buffer_set_direction(buffer, HB_DIRECTION_LTR) }
            hb_shape(font.font, buffer, nil, 0)
            var count: UInt32 = 0
            let infos = hb_buffer_get_glyph_infos(buffer, &count)
            let positions = hb_buffer_get_glyph_positions(buffer, &count)
            var glyphs: [(id: UInt32, xAdvance: Int, xOffset: Int, yOffset: Int)] = []
            if let infos, let positions {
                for index in 0..<Int(count) {
                    glyphs.append((infos[index].codepoint, Int(positions[index].x_advance),
                                   Int(positions[index].x_offset), Int(positions[index].y_offset)))
                }
            }
            return ShapedRun(font: font, glyphs: glyphs)
        }
    }

    /// Width in pixels of `text` drawn at `size`.
    public func width(of text: String, languageTag: String, size: Int, bold: Bool = false) -> Int {
        shape(text, languageTag: languageTag, size: size, bold: bold).reduce(0) { $0 + $1.width }
    }

    /// Line height and ascender for `size` in the language's main font.
    public func metrics(languageTag: String, size: Int, bold: Bool = false) -> (lineHeight: Int, ascender: Int) {
        let font = chain(languageTag, size: size, bold: bold).first
        return (font?.lineHeight ?? size * 5 / 4, font?.ascender ?? size)
    }

    /// Draws one line of `text` with its baseline at `baseline`, starting at `x` for a
    /// left-to-right paragraph, or ending at `x` for a right-to-left one.
    ///
    /// Right to left, a simple form of the Unicode bidi algorithm: the line is cut into
    /// spans of left-to-right text (Latin words, numbers, and what joins them, such as the
    /// dashes of "K7Q4-MX2P-Z") and right-to-left text; spans go from the right, and inside
    /// a left-to-right span the runs keep their reading order. Without it a confirmation code
    /// in an Arabic sentence came out with its pieces reversed ("P-Z2MX4-Q7K").
    public func draw(_ text: String, x: Int, baseline: Int, size: Int, color: UInt32, languageTag: String,
                     direction: TextDirection, bold: Bool = false, on canvas: inout Canvas) {
        var ordered: [(run: ShapedRun, x: Int)] = []
        if direction == .rightToLeft {
            var right = x
            for span in Self.directionalSpans(text) {
                let runs = shape(span.text, languageTag: languageTag, size: size, bold: bold, leftToRight: span.leftToRight)
                if span.leftToRight {
                    var left = right - runs.reduce(0) { $0 + $1.width }
                    right = left
                    for run in runs {
                        ordered.append((run, left))
                        left += run.width
                    }
                } else {
                    for run in runs {
                        right -= run.width
                        ordered.append((run, right))
                    }
                }
            }
        } else {
            let runs = shape(text, languageTag: languageTag, size: size, bold: bold)
            var left = x
            for run in runs {
                ordered.append((run, left))
                left += run.width
            }
        }
        for (run, start) in ordered {
            var pen = start * 64
            for glyph in run.glyphs {
                let mask = run.font.mask(for: glyph.id)
                if mask.width > 0 {
                    canvas.blend(mask: mask.coverage, maskWidth: mask.width, maskHeight: mask.height,
                                 x: (pen + glyph.xOffset) / 64 + mask.left, y: baseline - glyph.yOffset / 64 - mask.top, color: color)
                }
                pen += glyph.xAdvance
            }
        }
    }

    /// `text` cut into spans that read left to right (from a Latin letter or a digit to the
    /// last one before right-to-left text, with the spaces and punctuation between) and spans
    /// that do not, in logical order.
    /// A character of a right-to-left script (Hebrew, Arabic, Syriac, Thaana...), digits aside:
    /// Arabic-Indic digits are numbers and read left to right like any other.
    static func isRightToLeft(_ c: Character) -> Bool {
        guard let v = c.unicodeScalars.first?.value else { return false }
        if (0x0660...0x0669).contains(v) || (0x06F0...0x06F9).contains(v) { return false }
        return (0x0590...0x08FF).contains(v) || (0xFB1D...0xFDFF).contains(v) || (0xFE70...0xFEFF).contains(v)
    }

    static func directionalSpans(_ text: String) -> [(text: String, leftToRight: Bool)] {
        let rightToLeft = isRightToLeft
        func strongLeftToRight(_ c: Character) -> Bool { (c.isLetter || c.isNumber) && !rightToLeft(c) }
        let characters = Array(text)
        var spans: [(text: String, leftToRight: Bool)] = []
        var index = 0
        while index < characters.count {
            if strongLeftToRight(characters[index]) {
                // Extend through neutrals up to the last strong left-to-right character
                // before the next right-to-left one.
                var end = index, probe = index + 1
                while probe < characters.count, !rightToLeft(characters[probe]) {
                    if strongLeftToRight(characters[probe]) { end = probe }
                    probe += 1
                }
                spans.append((String(characters[index...end]), true))
                index = end + 1
            } else {
                var end = index
                while end + 1 < characters.count, !strongLeftToRight(characters[end + 1]) { end += 1 }
                spans.append((String(characters[index...end]), false))
                index = end + 1
            }
        }
        return spans
    }

    /// Greedy word wrap of `text` into lines no wider than `width` pixels.
    public func wrap(_ text: String, width: Int, languageTag: String, size: Int, bold: Bool = false) -> [String] {
        let key = "\(languageTag)|\(size)|\(bold)|\(width)|\(text)"
        if let cached = wrapped[key] { return cached }
        let lines = wrapUncached(text, width: width, languageTag: languageTag, size: size, bold: bold)
        if wrapped.count >= cacheLimit { wrapped.removeAll(keepingCapacity: true) }
        wrapped[key] = lines
        return lines
    }

    private func wrapUncached(_ text: String, width: Int, languageTag: String, size: Int, bold: Bool) -> [String] {
        var lines: [String] = []
        var current = ""
        // Chinese has no spaces between words: it wraps at any character.
        let words: [String] = text.contains(" ") ? text.split(separator: " ").map(String.init) : text.map { String($0) }
        let joiner = text.contains(" ") ? " " : ""
        // A word wider than the line (a long model name, a run of Chinese between spaces)
        // is broken between characters rather than drawn off the screen's edge.
        var pieces: [String] = []
        for word in words {
            guard word.count > 1, self.width(of: word, languageTag: languageTag, size: size, bold: bold) > width else {
                pieces.append(word)
                continue
            }
            var chunk = ""
            for character in word {
                if !chunk.isEmpty, self.width(of: chunk + String(character), languageTag: languageTag, size: size, bold: bold) > width {
                    pieces.append(chunk)
                    chunk = ""
                }
                chunk.append(character)
            }
            if !chunk.isEmpty { pieces.append(chunk) }
        }
        for word in pieces {
            let candidate = current.isEmpty ? word : current + joiner + word
            if current.isEmpty || self.width(of: candidate, languageTag: languageTag, size: size, bold: bold) <= width {
                current = candidate
            } else {
                lines.append(current)
                current = word
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
