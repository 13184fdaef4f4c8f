#if canImport(Glibc)
import Glibc
#endif
import CPanelLinux
import Testing
import WaysideCore
import WaysidePanel

/// Byte streams checked against the SparkFun OpenLCD datasheet's command table and the
/// HD44780U's DDRAM addresses.
@Suite struct SerialLCDTests {
    @Test func firstScreenConfiguresClearsAndWritesEachRowAtItsAddress16x2() {
        var encoder = OpenLCDEncoder(geometry: .size16x2)
        let bytes = encoder.encode(ScreenContent(id: "t", title: "Welcome", lines: ["Press OK"]))
        let expected: [UInt8] = [0x7C, 0x04, 0x7C, 0x06,  // 16 columns, 2 rows
                                 0x7C, 0x2F,              // no system messages
                                 0x7C, 0x2D,              // clear and home
                                 0xFE, 0x80] + Array("Welcome".utf8)
            + [0xFE, 0xC0] + Array("Press OK".utf8)      // row 2 at DDRAM 0x40
        #expect(bytes == expected)
        // The next screen does not configure again.
        let second = encoder.encode(ScreenContent(id: "t", title: "A"))
        #expect(second == [0x7C, 0x2D, 0xFE, 0x80, 0x41])
    }

    @Test func rowsOfA20x4StartAtTheDatasheetAddresses() {
        var encoder = OpenLCDEncoder(geometry: .size20x4)
        let bytes = encoder.encode(ScreenContent(id: "t", title: "T", lines: ["a", "b", "c"]))
        #expect(Array(bytes.prefix(4)) == [0x7C, 0x03, 0x7C, 0x05])
        let cursorMoves = bytes.indices.filter { bytes[$0] == 0xFE }.map { bytes[$0 + 1] }
        #expect(cursorMoves == [0x80, 0xC0, 0x94, 0xD4])
    }

    @Test func longTextIsCutToTheWidth() {
        var encoder = OpenLCDEncoder(geometry: .size16x2)
        let bytes = encoder.encode(ScreenContent(id: "t", title: "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        #expect(bytes.suffix(16) == ArraySlice("ABCDEFGHIJKLMNOP".utf8))
        #expect(bytes.count == 6 + 2 + 2 + 16)
    }

    @Test func accentedLettersAreCustomGlyphsDefinedOnceAndPrinted() throws {
        var encoder = OpenLCDEncoder(geometry: .size16x2)
        let bytes = encoder.encode(ScreenContent(id: "t", title: "Byenvéni é"))
        let glyph = try #require(LCDText.glyph(for: "é"))
        // Defined in slot 0 with "|" 27 and eight rows; printed with "|" 35.
        let definition: [UInt8] = [0x7C, 27] + glyph.rows
        #expect(bytes.count(of: definition) == 1)
        #expect(bytes.count(of: [0x7C, 35]) == 2)
        #expect(glyph.rows == [0b00010, 0b00100, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110, 0])
        // A second screen with the same letter does not define it again.
        let again = encoder.encode(ScreenContent(id: "t", title: "é"))
        #expect(again == [0x7C, 0x2D, 0xFE, 0x80, 0x7C, 35])
    }

    @Test func aNinthAccentedLetterAndOtherScriptsAreTransliterated() {
        var slots: [LCDGlyph] = []
        let cells = LCDText.cells("áàâäãéèêëíìîïóòôöõ", width: 40, slots: &slots)
        #expect(slots.count == 8)
        let ascii = cells.compactMap { if case .ascii(let byte) = $0 { byte } else { nil } }
        #expect(String(decoding: ascii, as: UTF8.self) == "eiiiiooooo")
        #expect(LCDText.transliterate("É") == "E")
        #expect(LCDText.transliterate("ß") == "ss")
        #expect(LCDText.transliterate("ж") == "zh")
        #expect(LCDText.transliterate("م") == "?")
        var none: [LCDGlyph] = []
        #expect(LCDText.cells("Привет", width: 16, slots: &none) == Array("Privet".utf8).map { .ascii($0) })
    }

    @Test func thePipeCharacterIsNeverSentAsText() {
        var encoder = OpenLCDEncoder(geometry: .size16x2)
        let bytes = encoder.encode(ScreenContent(id: "t", title: "a|b"))
        #expect(Array(bytes.suffix(3)) == Array("a!b".utf8))
    }

    @Test func aFullPortDropsAndCountsAndTheNextScreenStartsOver() async throws {
        let port = RecordingSerialPort(capacity: 5)
        let lcd = SerialLCD(port: port, geometry: .size16x2)
        try await lcd.show(ScreenContent(id: "t", title: "Hello"))
        #expect(await lcd.droppedFrames == 1)
        #expect(await lcd.droppedBytes == 6 + 2 + 2 + 5 - 5)
        port.setCapacity(.max)
        port.reset()
        try await lcd.show(ScreenContent(id: "t", title: "Hi"))
        #expect(port.bytes == [0x7C, 0x04, 0x7C, 0x06, 0x7C, 0x2F, 0x7C, 0x2D, 0xFE, 0x80, 0x48, 0x69])
        #expect(await lcd.droppedFrames == 1)
    }

    @Test func wrappingBreaksBetweenWordsAndInsideWordsTooLong() {
        #expect(OpenLCDEncoder.wrap("Su código de confirmación es P826-6NBG-F", width: 16)
                == ["Su código de", "confirmación es", "P826-6NBG-F"])
        #expect(OpenLCDEncoder.wrap("ABCDEFGHIJKLMNOPQRST", width: 8) == ["ABCDEFGH", "IJKLMNOP", "QRST"])
        #expect(OpenLCDEncoder.wrap("", width: 16) == [""])
    }

    @Test func aReceiptLongerThanTheDisplayIsPagedAndTheCodeIsOnAPage() {
        let receipt = ScreenContent(id: "saved", title: "Guardada",
                                    lines: ["Su código de confirmación es P826-6NBG-F", "Su cita: San Ysidro, lunes, 8:00"],
                                    footer: "OK seguir")
        let small = OpenLCDEncoder(geometry: .size16x2).pages(for: receipt)
        #expect(small.allSatisfy { $0.count == 2 && $0[0] == "Guardada" }, "every page keeps the title")
        #expect(small.contains { $0[1] == "P826-6NBG-F" }, "the code is whole on one row")
        let large = OpenLCDEncoder(geometry: .size20x4).pages(for: receipt)
        #expect(large.allSatisfy { $0.count == 4 && $0[3] == "OK seguir" }, "the footer keeps the last row")
        #expect(large.flatMap { $0.dropFirst().dropLast() }.joined(separator: " ").contains("P826-6NBG-F"))
        // A screen that fits is one page, as before.
        #expect(OpenLCDEncoder(geometry: .size16x2).pages(for: ScreenContent(id: "t", title: "A", lines: ["b"])).count == 1)
    }

    @Test func theLCDTurnsALongScreensPagesUntilTheNextScreen() async throws {
        let port = RecordingSerialPort()
        let lcd = SerialLCD(port: port, geometry: .size16x2, pageInterval: .milliseconds(20))
        try await lcd.show(ScreenContent(id: "saved", title: "Saved", lines: ["Your confirmation code is P826-6NBG-F"]))
        for _ in 0..<200 where await lcd.pageTurns < 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await lcd.pageTurns >= 3)
        #expect(port.bytes.count(of: Array("P826-6NBG-F".utf8)) >= 1, "the code reached the display")
        try await lcd.show(ScreenContent(id: "t", title: "Next"))
        let turns = await lcd.pageTurns
        port.reset()
        try await Task.sleep(for: .milliseconds(100))
        #expect(await lcd.pageTurns == turns, "a new screen stops the old one's pages")
        #expect(port.bytes.isEmpty)
    }

    @Test func choicesScrollAroundTheSelectedOne() {
        let encoder = OpenLCDEncoder(geometry: .size20x4)
        let rows = encoder.rows(for: ScreenContent(id: "t", title: "Lang", choices: ["a", "b", "c", "d", "e"], selectedChoice: 3))
        #expect(rows == ["Lang", " c", ">d", " e"])
    }

    @Test func anUnsupportedBaudOrMissingPortIsANamedError() {
        do throws(PanelError) {
            _ = try TermiosSerialPort(device: "/dev/null", baud: 12345)
            Issue.record("12345 baud was accepted")
        } catch {
            #expect(error.fault.code == .unsupported)
        }
        do throws(PanelError) {
            _ = try SerialLCD.open(device: "/dev/wayside-no-such-tty", baud: 9600, geometry: .size16x2)
            Issue.record("a missing port was opened")
        } catch {
            #expect(error.fault.code == .missing)
        }
    }
}

extension Array where Element == UInt8 {
    /// How many times `pattern` occurs (overlaps counted).
    func count(of pattern: [UInt8]) -> Int {
        guard count >= pattern.count else { return 0 }
        return (0...(count - pattern.count)).filter { Array(self[$0..<($0 + pattern.count)]) == pattern }.count
    }
}

/// A real tty nobody reads (a pseudo-terminal whose master end is left alone): the kernel's
/// buffer fills, and the LCD drops and counts instead of blocking the kiosk.
@Suite struct SerialLCDOnAPseudoTerminalTests {
    @Test func aStuckPortNeverBlocksAndDropsAreCounted() async throws {
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(master >= 0)
        defer { close(master) }
        var number: UInt32 = 0
        try #require(wayside_pty_unlock(master) == 0 && wayside_pty_number(master, &number) == 0)
        let name = "/dev/pts/\(number)"
        let lcd = try SerialLCD.open(device: name, baud: 9600, geometry: .size20x4)
        for index in 0..<2000 {
            try await lcd.show(ScreenContent(id: "t", title: "Screen \(index)", lines: ["A long enough line", "and another", "and a third"]))
        }
        // Reaching this line is the test that nothing blocked; the counters say why.
        #expect(await lcd.droppedFrames > 0)
        #expect(await lcd.droppedBytes > 0)
    }
}
