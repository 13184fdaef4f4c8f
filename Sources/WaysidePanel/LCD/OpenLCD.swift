import WaysideCore

/// Rows and columns of a character LCD.
public struct LCDGeometry: Sendable, Equatable {
    public var columns: Int
    public var rows: Int

    public static let size16x2 = LCDGeometry(columns: 16, rows: 2)
    public static let size20x4 = LCDGeometry(columns: 20, rows: 4)

    /// Refuses sizes the OpenLCD firmware does not drive (16 or 20 columns, 1, 2 or 4 rows).
    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }

    public var isSupported: Bool { [16, 20].contains(columns) && [1, 2, 4].contains(rows) }

    /// HD44780 DDRAM address of each row's first cell: rows 3 and 4 continue rows 1 and 2
    /// in the controller's memory, at the display's width (HD44780U datasheet, Table 4).
    public var rowAddresses: [UInt8] {
        let width = UInt8(columns)
        return Array([0x00, 0x40, width, 0x40 + width].prefix(rows))
    }
}

/// The command set of SparkFun's OpenLCD firmware (SerLCD v2.5 and later, "SparkFun
/// SerLCD" 16x2 and 20x4 backpacks), as its datasheet documents it:
///
/// - `0x7C` (`|`) starts a setting command: `0x7C 0x2D` clears and homes; `0x7C 0x03`/`0x04`
///   set 20/16 columns, `0x7C 0x05`/`0x06`/`0x07` 4/2/1 rows; `0x7C 0x2F` turns off the
///   "Contrast: 5" style system messages; `0x7C 27+n` + 8 row bytes defines custom
///   character n (0-7) and `0x7C 35+n` prints it.
/// - `0xFE` passes the next byte to the HD44780 as an instruction: `0xFE 0x80|addr` sets
///   the DDRAM address, i.e. the cursor (HD44780U datasheet, "Set DDRAM address").
/// - Any other byte is printed at the cursor.
public enum OpenLCD {
    public static let setting: UInt8 = 0x7C
    public static let instruction: UInt8 = 0xFE

    /// Clear the display and home the cursor.
    public static let clear: [UInt8] = [setting, 0x2D]
    /// No "Contrast: 5" messages over the kiosk's text when settings change.
    public static let quiet: [UInt8] = [setting, 0x2F]

    /// Width and height settings for `geometry`.
    public static func configure(_ geometry: LCDGeometry) -> [UInt8] {
        let width: UInt8 = geometry.columns == 20 ? 0x03 : 0x04
        let height: UInt8 = switch geometry.rows { case 4: 0x05; case 1: 0x07; default: 0x06 }
        return [setting, width, setting, height]
    }

    /// Moves the cursor to `column` of `row`.
    public static func cursor(row: Int, column: Int, geometry: LCDGeometry) -> [UInt8] {
        [instruction, 0x80 | (geometry.rowAddresses[row] + UInt8(column))]
    }

    /// Defines custom character `slot` (0-7).
    public static func defineGlyph(_ slot: Int, _ glyph: LCDGlyph) -> [UInt8] {
        [setting, UInt8(27 + slot)] + glyph.rows
    }

    /// Prints custom character `slot`.
    public static func printGlyph(_ slot: Int) -> [UInt8] { [setting, UInt8(35 + slot)] }
}

/// Turns screens into OpenLCD byte streams, remembering which custom glyphs the display
/// holds so they are sent only when they change.
public struct OpenLCDEncoder: Sendable {
    public let geometry: LCDGeometry
    /// The glyphs the display holds, by slot; nil after a cut write (unknown state).
    private var loaded: [LCDGlyph]?

    public init(geometry: LCDGeometry) {
        self.geometry = geometry
        self.loaded = nil
    }

    /// The display's state is unknown (a frame was cut short): the next frame sends
    /// the geometry and all glyphs again.
    public mutating func invalidate() { loaded = nil }

    /// The rows of text for `content`'s first page (see ``pages(for:)``).
    public func rows(for content: ScreenContent) -> [String] { pages(for: content)[0] }

    /// The pages of rows that show `content` on this display. Every page starts with the
    /// title. Choices scroll around the selected one and an entry shows its prompt and
    /// what was typed: one page each. Prompt lines are wrapped at word boundaries and
    /// split into as many pages as they need, so nothing is cut off: a 40-letter line
    /// holding a confirmation code must reach a 16x2 display whole. The footer takes the
    /// last row of a 4-row display when there is one.
    public func pages(for content: ScreenContent) -> [[String]] {
        let title = content.title
        if !content.choices.isEmpty {
            let selected = content.selectedChoice ?? 0
            let marked = content.choices.enumerated().map { ($0.offset == selected ? ">" : " ") + $0.element }
            let room = geometry.rows - 1
            let first = max(0, min(selected - room / 2, marked.count - room))
            return [[title] + Array(marked.dropFirst(first).prefix(room))]
        }
        if let entry = content.entry {
            let body = Array(content.lines.prefix(max(0, geometry.rows - 2))) + [entry + "_"]
            return [Array(([title] + body).prefix(geometry.rows))]
        }
        let withFooter = geometry.rows > 2 && !content.footer.isEmpty
        let room = max(1, geometry.rows - 1 - (withFooter ? 1 : 0))
        let wrapped = content.lines.flatMap { Self.wrap($0, width: geometry.columns) }
        var pages: [[String]] = []
        var start = 0
        repeat {
            var rows = [title] + wrapped[start..<min(start + room, wrapped.count)]
            if withFooter {
                while rows.count < geometry.rows - 1 { rows.append("") }
                rows.append(content.footer)
            }
            pages.append(Array(rows.prefix(geometry.rows)))
            start += room
        } while start < wrapped.count
        return pages
    }

    /// `text` in rows of at most `width` characters, broken between words where it can be
    /// and inside a word longer than a row.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [text] }
        var rows: [String] = []
        var row = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = Substring(word)
            if !row.isEmpty, row.count + 1 + word.count <= width {
                row += " " + word
                continue
            }
            if !row.isEmpty { rows.append(row); row = "" }
            while word.count > width {
                rows.append(String(word.prefix(width)))
                word = word.dropFirst(width)
            }
            row = String(word)
        }
        if !row.isEmpty || rows.isEmpty { rows.append(row) }
        return rows
    }

    /// The bytes that show `content`: setup and glyph definitions when needed, clear,
    /// then each row at its DDRAM address.
    public mutating func encode(_ content: ScreenContent, page: Int = 0) -> [UInt8] {
        let pages = pages(for: content)
        return encode(rows: pages[min(max(page, 0), pages.count - 1)])
    }

    /// The bytes that show these rows.
    public mutating func encode(rows: [String]) -> [UInt8] {
        var slots: [LCDGlyph] = []
        let cellRows = rows.map { LCDText.cells($0, width: geometry.columns, slots: &slots) }
        var bytes: [UInt8] = []
        var held = loaded ?? []
        if loaded == nil {
            bytes += OpenLCD.configure(geometry) + OpenLCD.quiet
        }
        // Keep glyphs already in the display where they are; put new ones in free slots,
        // then in slots this screen does not use.
        var slotOf: [LCDGlyph: Int] = [:]
        for (slot, glyph) in held.enumerated() where slots.contains(glyph) { slotOf[glyph] = slot }
        for glyph in slots where slotOf[glyph] == nil {
            let used = Set(slotOf.values)
            let slot = held.count < 8 ? held.count : (0..<8).first { !used.contains($0) } ?? 0
            if slot < held.count { held[slot] = glyph } else { held.append(glyph) }
            slotOf[glyph] = slot
            bytes += OpenLCD.defineGlyph(slot, glyph)
        }
        loaded = held
        bytes += OpenLCD.clear
        for (row, cells) in cellRows.enumerated() where !cells.isEmpty {
            bytes += OpenLCD.cursor(row: row, column: 0, geometry: geometry)
            for cell in cells {
                switch cell {
                case .ascii(let byte): bytes.append(byte)
                case .glyph(let glyph): bytes += OpenLCD.printGlyph(slotOf[glyph] ?? 0)
                }
            }
        }
        return bytes
    }
}
