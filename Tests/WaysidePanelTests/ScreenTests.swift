import Foundation
import Testing
import WaysideCore
import WaysidePanel

/// Renders compared as images: where the ink is, not pixel-exact goldens (fonts change
/// between Debian point releases; the layout's promises do not).
@Suite struct FramebufferRenderTests {
    static let catalog = try? MessageCatalog.bundled()

    /// The attract screen of a language, as the flow describes it.
    static func attract(_ tag: String) throws -> ScreenContent {
        let catalog = try #require(catalog)
        let language = try #require(catalog.language(tagged: tag))
        return ScreenContent(id: "attract", title: catalog.text("attract.title", in: language),
                             lines: [catalog.text("attract.body", in: language)],
                             choices: [catalog.text("language.name", in: language), "English"], selectedChoice: 0,
                             footer: catalog.text("language.hint", in: language),
                             direction: language.direction, languageTag: tag)
    }

    /// Renders at 800x480 and, when WAYSIDE_SCREENS_DIR is set, saves the PNG there.
    static func render(_ content: ScreenContent, name: String) async throws -> Canvas {
        let screen = try FramebufferScreen(width: 800, height: 480)
        try await screen.show(content)
        if let directory = ProcessInfo.processInfo.environment["WAYSIDE_SCREENS_DIR"] {
            let png = await screen.screenshotPNG()
            try Data(png).write(to: URL(fileURLWithPath: directory).appendingPathComponent("\(name).png"))
        }
        return await screen.canvas
    }

    @Test func englishIsDarkOnLightWithTheTitleAtTheTopLeft() async throws {
        let canvas = try await Self.render(Self.attract("en"), name: "attract-en")
        // Mostly paper; ink where the title is; the footer band is dark.
        #expect(canvas.inkCoverage(in: PixelRect(x: 0, y: 0, width: 800, height: 424)) < 0.35)
        #expect(canvas.inkCoverage(in: PixelRect(x: 24, y: 24, width: 300, height: 50)) > 0.05)
        #expect(canvas.inkCoverage(in: PixelRect(x: 0, y: 430, width: 800, height: 50)) > 0.6)
        let title = try #require(canvas.inkExtent(rows: 24..<80))
        #expect(title.lowerBound >= 20 && title.lowerBound < 40, "left-aligned at the margin: \(title)")
        #expect(title.upperBound < 600)
    }

    @Test func arabicRunsRightToLeftWithItsInkAgainstTheRightMargin() async throws {
        let canvas = try await Self.render(Self.attract("ar"), name: "attract-ar")
        let title = try #require(canvas.inkExtent(rows: 24..<80))
        #expect(title.upperBound > 760 && title.upperBound <= 776, "right-aligned at the margin: \(title)")
        #expect(title.lowerBound > 200, "a short title leaves the left of the screen empty: \(title)")
        #expect(canvas.inkCoverage(in: PixelRect(x: 0, y: 24, width: 150, height: 50)) == 0)
    }

    @Test func haitianCreoleAccentsRenderWithNoMissingGlyphBoxes() async throws {
        let content = try Self.attract("ht")
        let canvas = try await Self.render(content, name: "attract-ht")
        #expect(canvas.inkCoverage(in: PixelRect(x: 24, y: 24, width: 400, height: 50)) > 0.05)
        let text = try TextRenderer()
        // A missing glyph would be drawn as .notdef: "ò" must be as wide as Noto's own "ò", not a box.
        #expect(text.width(of: "ò", languageTag: "ht", size: 32) == text.width(of: "o", languageTag: "ht", size: 32))
    }

    @Test func everyShippedScriptHasAFontAndShapesToInk() throws {
        let text = try TextRenderer()
        for (tag, sample) in [("ru", "Привет"), ("hi", "नमस्ते"), ("am", "ሰላም"), ("ar", "مرحبا"), ("vi", "Xin chào")] {
            var canvas = Canvas(width: 300, height: 80)
            text.draw(sample, x: 10, baseline: 60, size: 40, color: 0, languageTag: tag, direction: .leftToRight, on: &canvas)
            #expect(canvas.inkCoverage(in: PixelRect(x: 0, y: 0, width: 300, height: 80)) > 0.02, "\(tag) drew no ink")
        }
    }

    @Test func thePreviewShowsTheFrameAndTheFaceBox() {
        var canvas = Canvas(width: 800, height: 480)
        // A mid-grey frame with the face off to the left: the box and an arrow are drawn.
        let frame = Frame(width: 640, height: 480, format: .gray8, bytes: [UInt8](repeating: 128, count: 640 * 480))
        let area = PixelRect(x: 400, y: 24, width: 376, height: 368)
        PanelLayout().drawPreview(frame, faceBox: PixelRect(x: 40, y: 160, width: 160, height: 160), in: area, on: &canvas, thickness: 4)
        #expect(canvas[588, 208] == 0x808080)
        let yellow = canvas.pixels.filter { $0 == PanelLayout.marker }.count
        #expect(yellow > 1000)
        #expect(canvas.inkCoverage(in: PixelRect(x: 0, y: 0, width: 390, height: 480)) == 0, "nothing outside the preview")
    }

    /// Nothing a screen holds may fall off it: the whole notice in every language, and a
    /// six-row name keyboard under its hint and entry, fit above the footer band.
    @Test func theNoticeInEveryLanguageAndTheNameKeyboardFitOnTheScreen() throws {
        let catalog = try #require(Self.catalog)
        let text = try TextRenderer()
        var canvas = Canvas(width: 800, height: 480)
        for language in catalog.languages {
            let notice = ScreenContent(id: "notice", title: catalog.text("notice.title", in: language),
                                       lines: [catalog.text("notice.body", in: language), catalog.text("notice.alternatives", in: language)],
                                       footer: catalog.text("footer.navigate", in: language), direction: language.direction, languageTag: language.tag)
            let measured = PanelLayout().measure(notice, on: &canvas, text: text)
            #expect(measured.bottom <= measured.limit, "the \(language.tag) notice runs \(measured.bottom - measured.limit) px into the footer")
        }
        let keyboard = GridKeyboard.latinLetters(extra: Array("ÑÁÉÍÓ"))
        let name = ScreenContent(id: "field-givenName", title: "Su nombre",
                                 lines: ["Use las flechas para moverse. OK escribe la letra. La palomita es para terminar."],
                                 footer: "OK seguir", entry: "MARIA",
                                 keyboard: KeyboardView(rows: keyboard.rows.map { $0.map(\.label) }, row: 0, column: 0))
        let measured = PanelLayout().measure(name, on: &canvas, text: text)
        #expect(keyboard.rows.count >= 6)
        #expect(measured.bottom <= measured.limit && measured.fit < 1, "\(measured)")
    }

    /// The action keys are drawn shapes, so a font without ␣ ⌫ ✓ cannot leave them as the
    /// same blank box it draws for any glyph it lacks (here a private-use character).
    @Test func theActionKeysAreDrawnEvenWithoutGlyphs() throws {
        let text = try TextRenderer()
        func key(_ label: String) -> [UInt32] {
            var canvas = Canvas(width: 800, height: 480)
            let content = ScreenContent(id: "k", title: "", keyboard: KeyboardView(rows: [[label, "A"]], row: 0, column: 1))
            PanelLayout().render(content, on: &canvas, text: text)
            return (20..<200).flatMap { y in canvas.pixels[(y * 800 + 30)..<(y * 800 + 390)] }
        }
        let missing = key("\u{E000}"), check = key("✓"), delete = key("⌫"), space = key("␣")
        #expect(Set([missing, check, delete, space]).count == 4, "each action key has its own shape, none is the missing-glyph box")
        #expect(check.contains(0x000000) && delete.contains(0x000000) && space.contains(0x000000))
    }

    /// A confirmation code (and any number) inside Arabic keeps its reading order: the
    /// Arabic font's digits once split the code into runs that were drawn reversed.
    @Test func aCodeInArabicTextReadsLeftToRight() throws {
        let text = try TextRenderer()
        for code in ["K7Q4-MX2P-Z", "2026 ٢٠٢٦ 12:30"] {
            let width = text.width(of: code, languageTag: "ar", size: 32)
            var inArabic = Canvas(width: 800, height: 60), alone = Canvas(width: 800, height: 60)
            text.draw(code, x: 700, baseline: 40, size: 32, color: 0, languageTag: "ar", direction: .rightToLeft, on: &inArabic)
            text.draw(code, x: 700 - width, baseline: 40, size: 32, color: 0, languageTag: "ar", direction: .leftToRight, on: &alone)
            let same = inArabic == alone
            #expect(same, "\(code) is not drawn in reading order")
        }
        // In a sentence: the Arabic words to the right of the code, the code whole on their left.
        let sentence = "رمز التأكيد هو K7Q4-MX2P-Z"
        var canvas = Canvas(width: 800, height: 60)
        text.draw(sentence, x: 780, baseline: 40, size: 32, color: 0, languageTag: "ar", direction: .rightToLeft, on: &canvas)
        let codeWidth = text.width(of: "K7Q4-MX2P-Z", languageTag: "ar", size: 32)
        let left = try #require(canvas.inkExtent(rows: 0..<60)).lowerBound
        var code = Canvas(width: 800, height: 60)
        text.draw("K7Q4-MX2P-Z", x: left, baseline: 40, size: 32, color: 0, languageTag: "ar", direction: .leftToRight, on: &code)
        let region = PixelRect(x: left, y: 0, width: codeWidth - 2, height: 60)
        #expect(abs(canvas.inkCoverage(in: region) - code.inkCoverage(in: region)) < 0.001)
    }

    /// The capture screen makes room for the live picture at the first frame, then only the
    /// picture changes from frame to frame.
    @Test func liveFramesRedrawOnlyThePicture() async throws {
        let screen = try FramebufferScreen(width: 800, height: 480)
        var capture = ScreenContent(id: "capture", title: "Look at the camera", lines: ["Look at the camera above the screen."])
        capture.showsLiveCamera = true
        try await screen.show(capture)
        let before = await screen.canvas
        #expect(before.inkCoverage(in: PixelRect(x: 420, y: 40, width: 340, height: 300)) > 0, "the text runs across before a frame comes")
        let dark = Frame(width: 64, height: 48, format: .gray8, bytes: [UInt8](repeating: 20, count: 64 * 48))
        let light = Frame(width: 64, height: 48, format: .gray8, bytes: [UInt8](repeating: 200, count: 64 * 48))
        await screen.showLive(dark, faceBox: nil, on: capture)
        let first = await screen.canvas
        #expect(first.inkCoverage(in: PixelRect(x: 420, y: 200, width: 340, height: 40)) > 0.9, "the picture fills the right half")
        await screen.showLive(light, faceBox: nil, on: capture)
        let second = await screen.canvas
        let left = PixelRect(x: 0, y: 0, width: 390, height: 420)
        let sameText = (0..<left.height).allSatisfy { y in
            first.pixels[(y * 800)..<(y * 800 + left.width)] == second.pixels[(y * 800)..<(y * 800 + left.width)]
        }
        #expect(sameText, "the text half is not redrawn")
        #expect(second.inkCoverage(in: PixelRect(x: 420, y: 200, width: 340, height: 40)) > 0.9)
        #expect(second != first)
    }

    @Test func typedTextIsFollowedByItsCursorBar() async throws {
        let screen = try FramebufferScreen(width: 800, height: 480)
        try await screen.show(ScreenContent(id: "name", title: "Name", entry: "ANA"))
        let canvas = await screen.canvas
        let text = try TextRenderer()
        let typed = text.width(of: "ANA", languageTag: "en", size: 32)
        // The entry box starts under the title; the bar stands right after the text, and
        // nothing is drawn between the bar and the box's right edge.
        let rows = 100..<150
        let right = try #require(canvas.inkExtent(rows: rows))
        #expect(right.upperBound == 775, "the box's right edge: \(right)")
        let barX = 24 + 12 + typed + 4
        #expect(canvas.inkCoverage(in: PixelRect(x: barX, y: 115, width: 3, height: 20)) == 1)
        #expect(canvas.inkCoverage(in: PixelRect(x: barX + 10, y: 115, width: 700 - barX, height: 20)) == 0)
    }

    @Test func pixelsPackAsRGB565AndAsBGR() {
        let rgb565 = (red: (offset: UInt32(11), length: UInt32(5)), green: (offset: UInt32(5), length: UInt32(6)), blue: (offset: UInt32(0), length: UInt32(5)))
        #expect(PixelPacking.pack(0xFFFFFF, red: rgb565.red, green: rgb565.green, blue: rgb565.blue) == 0xFFFF)
        #expect(PixelPacking.pack(0xFF0000, red: rgb565.red, green: rgb565.green, blue: rgb565.blue) == 0xF800)
        #expect(PixelPacking.pack(0x00FF00, red: rgb565.red, green: rgb565.green, blue: rgb565.blue) == 0x07E0)
        #expect(PixelPacking.pack(0x0000FF, red: rgb565.red, green: rgb565.green, blue: rgb565.blue) == 0x001F)
        #expect(PixelPacking.pack(0x808080, red: rgb565.red, green: rgb565.green, blue: rgb565.blue) == 0x8410)
        // A 32-bit panel that wants blue in the high byte (XBGR8888).
        #expect(PixelPacking.pack(0x112233, red: (0, 8), green: (8, 8), blue: (16, 8)) == 0x332211)
    }

    @Test func pngHasItsSignatureChunksAndTheCanvasPixels() throws {
        var canvas = Canvas(width: 3, height: 2, fill: 0x102030)
        canvas[2, 1] = 0xFF0000
        let png = PNGEncoder.encode(canvas)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        #expect(Array(png[16..<24]) == [0, 0, 0, 3, 0, 0, 0, 2])
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
        let raw = try inflatePNG(png)
        #expect(raw == [0, 0x10, 0x20, 0x30, 0x10, 0x20, 0x30, 0x10, 0x20, 0x30,
                        0, 0x10, 0x20, 0x30, 0x10, 0x20, 0x30, 0xFF, 0x00, 0x00])
    }
}
