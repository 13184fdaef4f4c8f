import ArgumentParser
import Foundation
import WaysideCore
import WaysideDevices

/// `waysidectl camera`: look at a V4L2 camera, and run the camera contract against it.
struct CameraTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera",
        abstract: "Inspect a V4L2 camera and check it against the camera contract.",
        subcommands: [CameraProbe.self, CameraContractCheck.self, CameraWatch.self, CameraFeed.self])
}

/// Options naming a camera and what to ask of it.
struct CameraOptions: ParsableArguments {
    @Option(help: "The V4L2 capture node, e.g. /dev/video0 or /dev/v4l/by-id/usb-...-video-index0.")
    var device = "/dev/video0"

    @Option(help: "Frame size as WIDTHxHEIGHT.")
    var size = "640x480"

    @Option(help: "Pixel format: yuyv, mjpeg or any (libv4l2 converts the rest to RGB).")
    var format = "yuyv"

    @Option(help: "Frames per second to ask for.")
    var fps = 30

    func request() throws -> V4L2CaptureRequest {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
            throw ValidationError("--size must look like 640x480, not '\(size)'")
        }
        guard let preference = V4L2FormatPreference(rawValue: format) else {
            throw ValidationError("--format must be one of \(V4L2FormatPreference.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return V4L2CaptureRequest(width: parts[0], height: parts[1], format: preference, framesPerSecond: fps)
    }
}

/// `waysidectl camera probe`: capabilities, formats, sizes, rates and controls.
struct CameraProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "Print what a V4L2 camera offers (QUERYCAP, formats, sizes, rates, controls).")

    @Argument(help: "The capture node.")
    var device = "/dev/video0"

    func run() throws {
        do {
            let camera = try LibV4L2Device(path: device, wakeup: nil)
            let caps = try camera.capabilities()
            print("\(device): \(caps.card) (driver \(caps.driver), \(caps.busInfo)); capture \(caps.canCapture), streaming \(caps.canStream)")
            for format in try camera.formats() {
                let sizes = format.sizes.map { size in
                    let rates = size.framesPerSecond.map { String(format: "%.0f", $0) }.joined(separator: "/")
                    return size.isDiscrete ? "\(size.minWidth)x\(size.minHeight)\(rates.isEmpty ? "" : "@\(rates)")"
                        : "\(size.minWidth)x\(size.minHeight)..\(size.maxWidth)x\(size.maxHeight)"
                }
                print("  \(format.fourcc) \(format.description)\(format.emulated ? " (libv4l2 conversion)" : ""): \(sizes.isEmpty ? "sizes not enumerated" : sizes.joined(separator: " "))")
            }
            for control in try camera.controls() {
                let value = (try? camera.control(control.id)).map(String.init) ?? "-"
                print("  control 0x\(String(control.id, radix: 16)) \(control.name): \(value) [\(control.minimum)..\(control.maximum) step \(control.step), default \(control.defaultValue)]\(control.writable ? "" : " read-only")")
            }
        } catch {
            print("FAIL  \(error.fault)")
            throw ExitCode(1)
        }
    }
}

/// `waysidectl camera contract`: the camera contract against a real device.
struct CameraContractCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract",
        abstract: "Check a camera against the FrameSource contract (the HIL test against vivid runs this).",
        discussion: "With --expect FILE (raw frames, one after another, in the capture format), every frame after the warm-up must be byte-identical to one of them: what was injected is what was captured.")

    @OptionGroup var camera: CameraOptions

    @Option(help: "Raw frames fed to the camera (e.g. through vivid's output loop), concatenated.")
    var expect: String?

    @Option(help: "Frames to collect per round.")
    var frames = 8

    @Option(help: "Leading frames not compared (the device may still show older frames).")
    var warmUp = 2

    @Option(help: "Seconds each round may take.")
    var timeout = 30

    func run() async throws {
        let request = try camera.request()
        let pixelFormat: PixelFormat = request.format == .mjpeg ? .mjpeg : .yuyv
        var expected: [[UInt8]]?
        if let expect {
            guard let data = FileManager.default.contents(atPath: expect) else { throw ValidationError("cannot read \(expect)") }
            let size = request.width * request.height * 2
            guard pixelFormat == .yuyv, data.count >= size, data.count % size == 0 else {
                throw ValidationError("\(expect) holds \(data.count) bytes, not whole \(request.width)x\(request.height) YUYV frames")
            }
            let bytes = [UInt8](data)
            expected = stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<($0 + size)]) }
        }
        let source = V4L2Camera(path: camera.device, request: request)
        let contract = FrameSourceContract(width: request.width, height: request.height, format: pixelFormat, expectedFrames: expected,
                                           frameCount: frames, warmUpFrames: expected == nil ? 0 : warmUp, timeout: .seconds(timeout))
        let report = await contract.check(source)
        for note in report.notes { print("note  \(note)") }
        let stats = source.statistics
        print("stats delivered \(stats.delivered), dropped by driver \(stats.droppedByDriver), corrupt \(stats.corrupt), reopens \(stats.reopens), format \(stats.format.map { "\($0.fourcc) \($0.width)x\($0.height)" } ?? "none")")
        for failure in report.failures { print("FAIL  \(failure)") }
        if !report.passed { throw ExitCode(1) }
        print("PASS  \(camera.device) meets the camera contract")
    }
}

/// `waysidectl camera watch`: stream and print faults and recoveries as they happen.
struct CameraWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stream from a camera and print each fault, recovery and a line per second of frames.")

    @OptionGroup var camera: CameraOptions

    @Option(help: "Stop after this many seconds.")
    var seconds = 30

    @Option(help: "Stop (exit 0) after a recovery followed by this many frames; 0 never.")
    var exitAfterRecovery = 0

    func run() async throws {
        let source = V4L2Camera(path: camera.device, request: try camera.request())
        let limit = seconds
        let recoveryFrames = exitAfterRecovery
        let watcher = Task { () -> Bool in
            var framesSinceRecovery: Int?
            var lastReport = ContinuousClock.now
            var framesThisSecond = 0
            var lastSequence: UInt64 = 0
            for await event in source.events() {
                switch event {
                case .frame(let frame):
                    framesThisSecond += 1
                    lastSequence = frame.sequence
                    if lastReport.duration(to: .now) >= .seconds(1) || framesThisSecond == 1 && framesSinceRecovery == 0 {
                        print("frames \(framesThisSecond) up to sequence \(lastSequence) (\(frame.width)x\(frame.height) \(frame.format.rawValue))")
                        fflush(nil)
                        lastReport = .now
                        framesThisSecond = 0
                    }
                    if let count = framesSinceRecovery {
                        framesSinceRecovery = count + 1
                        if recoveryFrames > 0, count + 1 >= recoveryFrames {
                            print("frames \(count + 1) since the recovery, up to sequence \(lastSequence)")
                            return true
                        }
                    }
                case .fault(let fault):
                    print("fault \(fault.code.rawValue): \(fault)")
                    fflush(nil)
                case .recovered:
                    print("recovered")
                    fflush(nil)
                    framesSinceRecovery = 0
                }
            }
            return false
        }
        let timer = Task {
            try? await Task.sleep(for: .seconds(limit))
            watcher.cancel()
        }
        let recovered = await watcher.value
        timer.cancel()
        let stats = source.statistics
        print("stats delivered \(stats.delivered), dropped by driver \(stats.droppedByDriver), corrupt \(stats.corrupt), reopens \(stats.reopens)")
        if recoveryFrames > 0 && !recovered {
            print("FAIL  no recovery followed by \(recoveryFrames) frames within \(limit)s")
            throw ExitCode(1)
        }
    }
}

/// `waysidectl camera feed`: plays MJPEG frames into a v4l2loopback node, one write() per
/// frame at a steady rate, so that its capture side is a camera that sends MJPEG (the HIL
/// VM's vivid offers no compressed format). Run it as its own process: its CPU must not
/// count against the capture being measured.
struct CameraFeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Write MJPEG frames to a v4l2loopback device at a steady rate (a test camera that sends MJPEG).",
        discussion: """
            Set the loopback's output format first, e.g. v4l2-ctl -d /dev/video10 -c keep_format=1 \
            --set-fmt-video-out=width=1280,height=720,pixelformat=MJPG. The frames are the decode benchmark's \
            scenes (a moving ring over noise), encoded once at start.
            """)

    @Option(help: "The v4l2loopback device.")
    var device: String

    @Option(help: "Frame size as WIDTHxHEIGHT (only 1280x720 scenes are made).")
    var size = "1280x720"

    @Option(help: "Frames per second.")
    var fps = 30

    @Option(help: "Distinct frames, played in a loop.")
    var distinct = 8

    @Option(help: "Stop after this many seconds.")
    var seconds = 60

    func run() async throws {
        guard size == "1280x720" else { throw ValidationError("only 1280x720 scenes are made (--size 1280x720)") }
        guard fps > 0, distinct > 0 else { throw ValidationError("--fps and --distinct must be positive") }
        let codec = try JPEGCodec()
        let frames = try (0..<distinct).map { try codec.encode(BenchCamera.scene($0), quality: 85) }
        let fd = open(device, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ValidationError("cannot open \(device): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let period = Duration.seconds(1) / fps
        let end = ContinuousClock.now + .seconds(seconds)
        var next = ContinuousClock.now
        var written = 0
        while next < end {
            let frame = frames[written % frames.count]
            let result = frame.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard result == frame.count else {
                throw ValidationError("write to \(device) took \(result) of \(frame.count) bytes: \(String(cString: strerror(errno)))")
            }
            written += 1
            next += period
            try await Task.sleep(until: next)
        }
        print("fed \(written) MJPEG frames (\(frames.map(\.count).reduce(0, +) / frames.count) bytes on average) to \(device)")
    }
}

