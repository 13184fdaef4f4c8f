import WaysideCore

/// The contract every ``Screen`` meets, whatever it draws on: it shows every shipped
/// language's prompt, and content at the edges of what the flow produces (blank, overlong,
/// many choices, a selection out of range, typed text with a keyboard, a preview in a format
/// it cannot draw, a broken frame) without throwing or crashing. Run on the terminal
/// stand-in, on a recorded serial LCD and an off-screen framebuffer in unit tests, and on
/// ttyS1 and fb0 in the HIL VM (`waysidectl panel screen-contract`).
public struct ScreenContract: Sendable {
    public struct Report: Sendable {
        public var failures: [String] = []
        public var shown = 0
        public var passed: Bool { failures.isEmpty }
    }

    /// The contents shown, in order: one per entry of `prompts` (tag, title, body), then the edge cases.
    public static func contents(prompts: [(tag: String, direction: TextDirection, title: String, body: String)]) -> [ScreenContent] {
        var contents = prompts.map { prompt in
            ScreenContent(id: "prompt-\(prompt.tag)", title: prompt.title, lines: [prompt.body], choices: ["1", "2"], selectedChoice: 0,
                          footer: "OK", direction: prompt.direction, languageTag: prompt.tag)
        }
        let long = String(repeating: "Wayside ", count: 200)
        let grey = Frame(width: 64, height: 48, format: .gray8, bytes: [UInt8](repeating: 90, count: 64 * 48))
        contents += [
            .blank,
            ScreenContent(id: "long", title: long, lines: [long, long, long], footer: long),
            ScreenContent(id: "unbroken", title: String(repeating: "W", count: 500)),
            ScreenContent(id: "many-choices", title: "Choose", choices: (1...40).map { "Choice \($0)" }, selectedChoice: 39),
            ScreenContent(id: "selection-out-of-range", title: "Choose", choices: ["a", "b"], selectedChoice: 7),
            ScreenContent(id: "entry", title: "Name", entry: "ÅNGSTRÖM-ÇAĞRI", keyboard: KeyboardView(rows: [["A", "B", "C"], [], ["⌫", "OK"]], row: 5, column: 9)),
            ScreenContent(id: "preview", title: "Look at the camera", preview: grey, faceBox: PixelRect(x: -20, y: 30, width: 500, height: 500)),
            ScreenContent(id: "preview-mjpeg", title: "Camera", preview: Frame(width: 640, height: 480, format: .mjpeg, bytes: [0xFF, 0xD8])),
            ScreenContent(id: "preview-broken", title: "Camera", preview: Frame(width: 640, height: 480, format: .yuyv, bytes: [1, 2, 3])),
            ScreenContent(id: "symbols", title: "😀 ✓ ← → | \u{0}\u{7F}\u{FFFD}", lines: ["\t\n\r"], direction: .rightToLeft, languageTag: "xx"),
        ]
        return contents
    }

    /// Shows each content on `screen`; a thrown error is a failure.
    public static func check(_ screen: any Screen, contents: [ScreenContent]) async -> Report {
        var report = Report()
        for content in contents {
            do {
                try await screen.show(content)
                report.shown += 1
            } catch {
                report.failures.append("\(screen.name) refused '\(content.id)': \(error)")
            }
        }
        return report
    }
}
