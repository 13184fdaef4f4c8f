#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import Synchronization
import WaysideBoard
import WaysideCore
import WaysidePanel

/// `waysidectl bench panel`: button press to screen update latency, full-screen redraws and
/// preview frames per second on the framebuffer.
struct BenchPanel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel",
        abstract: "Button-to-screen latency (p50/p95/max) and framebuffer redraw and preview rates.",
        discussion: """
            Latency runs from the kernel's timestamp of the button's edge to the moment the new \
            screen is in the framebuffer's memory. With --sim the bench presses the button itself \
            through gpio-sim (the HIL VM); without it, presses are not generated and only the \
            rates are measured. The peer for the redraw rate is a bare copy of a full canvas to \
            the framebuffer: the floor any renderer pays.
            """)

    @OptionGroup var options: ButtonBoardOptions

    @Option(help: "gpio-sim sysfs directory; the bench presses buttons through it.")
    var sim: String?

    @Option(help: "The framebuffer device; 'none' draws off screen at 800x480.")
    var device = "/dev/fb0"

    @Flag(help: "Draw the framebuffer's whole mode instead of 800x480 in its corner.")
    var fullScreen = false

    @Option(help: "Presses to time.")
    var presses = 40

    @Option(help: "Full redraws and preview frames to time.")
    var frames = 60

    func run() async throws {
        let screen: FramebufferScreen
        do {
            screen = device == "none" ? try FramebufferScreen(width: 800, height: 480)
                : try FramebufferScreen(device: device, size: fullScreen ? nil : (800, 480))
        } catch {
            print("FAIL  \(error)")
            throw ExitCode(1)
        }
        print("screen: \(screen.name)")
        let screens = try PanelBench.screens()

        if let sim {
            let buttons = try options.profile()
            let timing = options.timing(buttons)
            let latencies = try await PanelBench.latency(screen: screen, screens: screens, buttons: buttons, timing: timing,
                                                         sim: sim, presses: presses)
            guard !latencies.isEmpty else {
                print("FAIL  no press reached the screen")
                throw ExitCode(1)
            }
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
            print(String(format: "press->screen latency over %d presses: p50 %.1f ms, p95 %.1f ms, max %.1f ms (goal p95 < 50 ms: %@)",
                         sorted.count, percentile(0.5), percentile(0.95), sorted.last!, percentile(0.95) < 50 ? "met" : "NOT met"))
        }

        // Full-screen text redraws, alternating two screens so nothing is cached on screen.
        let redrawStart = ContinuousClock.now
        for index in 0..<frames { try await screen.show(screens[index % screens.count]) }
        let redraw = Double(frames) / (ContinuousClock.now - redrawStart).seconds
        // The peer: copying an already drawn canvas, i.e. the framebuffer's own cost.
        let copyStart = ContinuousClock.now
        for _ in 0..<frames { await screen.recopy() }
        let copy = Double(frames) / (ContinuousClock.now - copyStart).seconds
        if device == "none" {
            print(String(format: "full-screen redraw 800x480 off screen: %.1f screens/s (no framebuffer: no copy peer)", redraw))
        } else {
            print(String(format: "full-screen redraw: %.1f screens/s; bare copy to the framebuffer (peer): %.1f/s; redraw costs %.1fx the copy",
                         redraw, copy, copy / redraw))
        }

        let previewFrames = (0..<4).map { PanelBench.testFrame(sequence: UInt64($0)) }
        let face = PixelRect(x: 120, y: 140, width: 180, height: 200)
        try await screen.show(screens[0])
        let previewStart = ContinuousClock.now
        for index in 0..<frames { await screen.showPreview(previewFrames[index % previewFrames.count], faceBox: face) }
        let preview = Double(frames) / (ContinuousClock.now - previewStart).seconds
        print(String(format: "camera preview (640x480 YUYV -> half screen, face box, arrow): %.1f frames/s (goal: the camera's 30/s: %@)",
                     preview, preview >= 30 ? "met" : "NOT met"))
    }
}

enum PanelBench {
    /// Two full screens of text (English and Arabic), drawn alternately.
    static func screens() throws -> [ScreenContent] {
        let catalog = try MessageCatalog.bundled()
        return try ["en", "ar"].map { tag in
            guard let language = catalog.language(tagged: tag) else { throw ValidationError("no language \(tag)") }
            return ScreenContent(id: "notice", title: catalog.text("notice.title", in: language),
                                 lines: [catalog.text("notice.body", in: language)],
                                 footer: catalog.text("language.hint", in: language), direction: language.direction, languageTag: tag)
        }
    }

    /// A 640x480 YUYV test picture: bands of luma and a moving bar, so frames differ.
    static func testFrame(sequence: UInt64) -> Frame {
        let width = 640, height = 480
        var bytes = [UInt8](repeating: 128, count: width * height * 2)
        let bar = Int(sequence % 8) * 80
        for y in 0..<height {
            for x in 0..<width {
                let luma: UInt8 = (x >= bar && x < bar + 40) ? 235 : UInt8(16 + (y * 200 / height))
                bytes[(y * width + x) * 2] = luma
            }
        }
        return Frame(width: width, height: height, format: .yuyv, bytes: bytes, sequence: sequence)
    }

    /// Presses `ok` through gpio-sim `presses` times; each debounced press draws the next
    /// screen; returns edge-to-framebuffer latencies in ms.
    static func latency(screen: FramebufferScreen, screens: [ScreenContent], buttons: ButtonsProfile, timing: ButtonTiming,
                        sim: String, presses: Int) async throws -> [Double] {
        let actuator = GPIOSimActuator(directory: sim, lines: buttons.lines, activeLow: buttons.activeLow)
        let source = GPIOButtons(chip: buttons.chip, lines: buttons.lines, activeLow: buttons.activeLow, timing: timing)
        let results = Mutex<[Double]>([])
        let consumer = Task {
            var index = 0
            for await input in source.inputs() {
                guard case .event(let event) = input, event.action == .press else { continue }
                index += 1
                try? await screen.show(screens[index % screens.count])
                let latency = (PanelCall.monotonicNow() - event.timestamp).milliseconds
                results.withLock { $0.append(latency) }
            }
        }
        defer { consumer.cancel() }
        try actuator.setNow(.ok, pressed: false)
        try await Task.sleep(for: .milliseconds(500))  // the reader requests its lines
        for _ in 0..<presses {
            let before = results.withLock { $0.count }
            try actuator.setNow(.ok, pressed: true)
            let deadline = ContinuousClock.now + .seconds(5)
            while results.withLock({ $0.count }) == before, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            try actuator.setNow(.ok, pressed: false)
            try await Task.sleep(for: timing.debounce * 3)
        }
        return results.withLock { $0 }
    }
}
