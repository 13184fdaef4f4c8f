import Synchronization
import Foundation
import Testing
import WaysideCore
import WaysideDevices

let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/samples/fr_examples/examples").path
let haveSamples = FileManager.default.fileExists(atPath: samples + "/obama.jpg")

/// A 64x48 RGB gradient: smooth, so JPEG keeps it close.
func gradient(width: Int = 64, height: Int = 48) -> Frame {
    var bytes: [UInt8] = []
    for y in 0..<height {
        for x in 0..<width { bytes += [UInt8(x * 255 / width), UInt8(y * 255 / height), 128] }
    }
    return Frame(width: width, height: height, format: .rgb24, bytes: bytes)
}

@Suite struct JPEG {
    @Test func roundTripKeepsThePicture() throws {
        let codec = try JPEGCodec()
        let original = gradient()
        let jpeg = try codec.encode(original, quality: 95)
        #expect(jpeg.starts(with: [0xFF, 0xD8]))
        let decoded = try codec.decode(jpeg, to: .rgb24)
        #expect(decoded.width == 64 && decoded.height == 48)
        let error = zip(original.bytes, decoded.bytes).map { abs(Int($0) - Int($1)) }.reduce(0, +) / original.bytes.count
        #expect(error < 4)
    }

    @Test func grayDecodeIsLuma() throws {
        let codec = try JPEGCodec()
        let frame = Frame(width: 16, height: 16, format: .rgb24, bytes: [UInt8](repeating: 200, count: 16 * 16 * 3))
        let luma = try codec.decode(try codec.encode(frame, quality: 100), to: .gray8)
        #expect(luma.bytes.count == 256)
        #expect(luma.bytes.allSatisfy { abs(Int($0) - 200) <= 2 })
    }

    @Test func scaledDecodeIsSmallerButWideEnough() throws {
        let codec = try JPEGCodec()
        let jpeg = try codec.encode(gradient(width: 640, height: 480))
        let small = try codec.decode(jpeg, to: .gray8, maxWidth: 160)
        #expect(small.width == 160 && small.height == 120)
    }

    @Test func corruptDataIsAnErrorNotACrash() throws {
        let codec = try JPEGCodec()
        #expect(throws: JPEGError.self) { try codec.decode([], to: .rgb24) }
        #expect(throws: JPEGError.self) { try codec.decode([0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3], to: .rgb24) }
        #expect(throws: JPEGError.self) { try codec.decode(Array(repeating: 7, count: 1000), to: .gray8) }
    }

    @Test func truncatedFrameStillDecodesOrFailsCleanly() throws {
        let codec = try JPEGCodec()
        let jpeg = try codec.encode(gradient(width: 320, height: 240))
        let truncated = Array(jpeg.prefix(jpeg.count * 2 / 3))
        // A camera's cut-off frame: a picture (with a grey tail) or a JPEGError, never a crash.
        if let frame = try? codec.decode(truncated, to: .rgb24) { #expect(frame.width == 320) }
    }
}

@Suite struct ImageFolder {
    @Test(.enabled(if: haveSamples, "../shared/data is absent")) func playsJPEGsInNameOrderOnce() async throws {
        let camera = ImageFolderCamera(path: samples, framesPerSecond: 200, loop: false, clock: ContinuousClock())
        var frames: [Frame] = []
        for await event in camera.events() { if case .frame(let frame) = event { frames.append(frame) } }
        let expected = try camera.imageFiles()
        #expect(frames.count == expected.count)
        #expect(frames.map(\.sequence) == Array(0..<UInt64(expected.count)))
        #expect(frames.allSatisfy { $0.format == .mjpeg && $0.width > 0 && $0.isWellFormed })
    }

    @Test func missingFolderIsAFaultNotAnEnd() async throws {
        let camera = ImageFolderCamera(path: "/nonexistent/wayside", loop: false, clock: ContinuousClock())
        var iterator = camera.events().makeAsyncIterator()
        let first = await iterator.next()
        guard case .fault(let fault) = first else { Issue.record("expected a fault, got \(String(describing: first))"); return }
        #expect(fault.code == .missing)
        #expect(fault.detail.contains("scripts/setup"))
    }

    @Test func nonJPEGFilesAreSkippedWithAFault() async throws {
        let folder = NSTemporaryDirectory() + "wayside-images-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: folder + "/a.jpg"))
        try Data(try JPEGCodec().encode(gradient())).write(to: URL(fileURLWithPath: folder + "/b.jpg"))
        let camera = ImageFolderCamera(path: folder, framesPerSecond: 100, loop: false, clock: ContinuousClock())
        var events: [FrameEvent] = []
        for await event in camera.events() { events.append(event) }
        #expect(events.count == 2)
        if case .fault(let fault) = events.first { #expect(fault.code == .corruptData) } else { Issue.record("expected a fault first") }
        if case .frame(let frame) = events.last { #expect(frame.width == 64) } else { Issue.record("expected a frame last") }
    }
}

@Suite struct Terminal {
    @Test func keysMapToButtons() {
        #expect(TerminalKeys.button(for: [0x1B, 0x5B, 0x41]) == .up)
        #expect(TerminalKeys.button(for: [0x0D]) == .ok)
        #expect(TerminalKeys.button(for: [0x7F]) == .back)
        #expect(TerminalKeys.button(for: Array("?".utf8)) == .help)
        #expect(TerminalKeys.button(for: Array("x".utf8)) == nil)
    }

    @Test func screenWrapsAndMarksTheChoice() {
        let content = ScreenContent(id: "consent", title: "Take a photo?", lines: [String(repeating: "word ", count: 20)],
                                    choices: ["Yes", "No"], selectedChoice: 1)
        let lines = TerminalScreen.render(content, width: 30)
        #expect(lines.first == "[consent]")
        #expect(lines.allSatisfy { $0.count <= 30 || $0 == "[consent]" })
        #expect(lines.contains { $0.contains("> No") })
        #expect(lines.contains { $0.contains("- Yes") })
    }

    @Test func scriptedVisitorPressesOnTheRightScreenOnly() async {
        let visitor = ScriptedVisitor(script: [.init(on: "a", press: .ok), .init(on: "b", press: .down)])
        await visitor.show(ScreenContent(id: "b", title: ""))
        await visitor.show(ScreenContent(id: "a", title: ""))
        await visitor.show(ScreenContent(id: "b", title: ""))
        var events: [ButtonEvent] = []
        for await input in visitor.inputs() { if case .event(let event) = input { events.append(event) } }
        #expect(events.map(\.button) == [.ok, .ok, .down, .down])
        #expect(events.map(\.action) == [.press, .release, .press, .release])
        #expect(await visitor.finished)
    }

    @Test func aPausedStepPressesLaterAndTheVisitEndsOnlyWhenItIsDelivered() async {
        var linger = ScriptedVisitor.Step(on: "b", press: .ok)
        linger.pause = .milliseconds(300)
        let visitor = ScriptedVisitor(script: [.init(on: "a", press: .down), linger])
        let started = ContinuousClock.now
        await visitor.show(ScreenContent(id: "a", title: ""))
        await visitor.show(ScreenContent(id: "b", title: ""))
        #expect(await !visitor.finished, "the lingering press is not delivered yet")
        var events: [(ButtonEvent, Duration)] = []
        for await input in visitor.inputs() {
            if case .event(let event) = input { events.append((event, started.duration(to: .now))) }
        }
        #expect(events.map(\.0.button) == [.down, .down, .ok, .ok], "presses keep their order")
        #expect(events[2].1 >= .milliseconds(300), "the OK waited for the pause")
        #expect(await visitor.finished)
    }

    @Test func aFingerPressesOutsideAndFailuresAreKept() async {
        let pressed = Mutex<[Button]>([])
        let visitor = ScriptedVisitor(script: [.init(on: "a", press: .up), .init(on: "b", press: .help)]) { button in
            pressed.withLock { $0.append(button) }
            if button == .help { throw PanelStandInError() }
        }
        await visitor.show(ScreenContent(id: "a", title: ""))
        await visitor.show(ScreenContent(id: "b", title: ""))
        var own = 0
        for await _ in visitor.inputs() { own += 1 }
        #expect(own == 0, "with a finger the visitor's own button stream stays silent")
        for _ in 0..<100 where await !visitor.finished { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(await visitor.finished)
        #expect(pressed.withLock { $0 } == [.up, .help])
        #expect(await visitor.fingerError?.hasPrefix("help:") == true)
    }
}

private struct PanelStandInError: Error {}
