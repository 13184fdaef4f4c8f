import Foundation
import Testing
import WaysideCore
import WaysideDevices
#if canImport(Glibc)
import Glibc
#endif

@Suite struct CameraV4L2Call {
    @Test func retriesEINTRAndNamesTheIoctlAndErrno() throws {
        var calls = 0
        let result = try V4L2Call.perform("VIDIOC_DQBUF", device: "/dev/video0", errnoOf: { EINTR }) {
            calls += 1
            return calls < 5 ? -1 : 0
        }
        #expect(result == 0 && calls == 5)

        calls = 0
        #expect {
            try V4L2Call.perform("VIDIOC_S_FMT", device: "/dev/video0", errnoOf: { EBUSY }) {
                calls += 1
                return -1
            }
        } throws: { error in
            guard let error = error as? V4L2Error else { return false }
            return error.operation == "VIDIOC_S_FMT" && error.errno == EBUSY && error.device == "/dev/video0"
                && "\(error)".contains("VIDIOC_S_FMT") && error.fault.code == .busy
        }
        #expect(calls == 1)
    }

    @Test func retriesEAGAINOnlyAFewTimes() {
        var calls = 0
        #expect(throws: V4L2Error.self) {
            try V4L2Call.perform("VIDIOC_DQBUF", device: "d", errnoOf: { EAGAIN }) {
                calls += 1
                return -1
            }
        }
        #expect(calls == V4L2Call.eagainRetries + 1)
    }

    @Test func errnosBecomeNamedFaults() {
        func code(_ operation: String, _ errno: Int32?) -> DeviceFault.Code {
            V4L2Error(operation: operation, device: "/dev/video0", errno: errno).fault.code
        }
        #expect(code("open", ENOENT) == .missing)
        #expect(code("VIDIOC_DQBUF", ENODEV) == .unplugged)
        #expect(code("open", EBUSY) == .busy)
        #expect(code("open", EACCES) == .permissionDenied)
        #expect(code("VIDIOC_DQBUF", EIO) == .ioError)
        #expect(code("negotiate", nil) == .unsupported)
        #expect(code("poll", nil) == .stalled)
        #expect(code("decode", nil) == .corruptData)
        // The message says what to do.
        #expect(V4L2Error(operation: "open", device: "/dev/video0", errno: EACCES).fault.detail.contains("video"))
    }
}

@Suite struct CameraNegotiation {
    let yuyvAndMJPEG = [
        V4L2FormatDescription(fourcc: .mjpeg, description: "Motion-JPEG", sizes: [
            V4L2FrameSize(width: 1280, height: 720), V4L2FrameSize(width: 640, height: 480)]),
        V4L2FormatDescription(fourcc: .yuyv, description: "YUYV", sizes: [
            V4L2FrameSize(width: 320, height: 240), V4L2FrameSize(width: 640, height: 480), V4L2FrameSize(width: 1280, height: 720)]),
    ]

    @Test func prefersTheProfilesFormatAndTheSmallestSizeThatIsLargeEnough() throws {
        let yuyv = try V4L2Negotiation.choose(V4L2CaptureRequest(width: 600, height: 400, format: .yuyv, framesPerSecond: 30),
                                              from: yuyvAndMJPEG, device: "d")
        #expect(yuyv.fourcc == .yuyv && yuyv.width == 640 && yuyv.height == 480)
        let mjpeg = try V4L2Negotiation.choose(V4L2CaptureRequest(width: 1280, height: 720, format: .mjpeg, framesPerSecond: 30),
                                               from: yuyvAndMJPEG, device: "d")
        #expect(mjpeg.fourcc == .mjpeg && mjpeg.width == 1280)
        let tooLarge = try V4L2Negotiation.choose(V4L2CaptureRequest(width: 4000, height: 3000, format: .yuyv, framesPerSecond: 30),
                                                  from: yuyvAndMJPEG, device: "d")
        #expect(tooLarge.width == 1280 && tooLarge.height == 720)
    }

    @Test func fallsBackToMJPEGThenToLibv4l2sRGB() throws {
        let mjpegOnly = [yuyvAndMJPEG[0]]
        #expect(try V4L2Negotiation.choose(V4L2CaptureRequest(width: 640, height: 480, format: .yuyv, framesPerSecond: 30),
                                           from: mjpegOnly, device: "d").fourcc == .mjpeg)
        let bayerWithEmulation = [
            V4L2FormatDescription(fourcc: FourCC("BA81"), description: "Bayer", sizes: [V4L2FrameSize(width: 640, height: 480)]),
            V4L2FormatDescription(fourcc: .rgb24, description: "RGB3", emulated: true, sizes: [V4L2FrameSize(width: 640, height: 480)]),
        ]
        #expect(try V4L2Negotiation.choose(V4L2CaptureRequest(width: 640, height: 480, format: .any, framesPerSecond: 30),
                                           from: bayerWithEmulation, device: "d").fourcc == .rgb24)
    }

    @Test func stepwiseSizesSnapToTheStep() throws {
        let stepwise = [V4L2FormatDescription(fourcc: .yuyv, description: "YUYV", sizes: [
            V4L2FrameSize(minWidth: 16, minHeight: 16, maxWidth: 1920, maxHeight: 1080, stepWidth: 16, stepHeight: 8)])]
        let chosen = try V4L2Negotiation.choose(V4L2CaptureRequest(width: 650, height: 487, format: .yuyv, framesPerSecond: 30),
                                                from: stepwise, device: "d")
        #expect(chosen.width == 640 && chosen.height == 480)
    }

    @Test func nothingUsableIsUnsupportedAndSaysWhatTheDeviceOffers() {
        let bayerOnly = [V4L2FormatDescription(fourcc: FourCC("BA81"), description: "Bayer", sizes: [V4L2FrameSize(width: 640, height: 480)])]
        #expect {
            try V4L2Negotiation.choose(V4L2CaptureRequest(width: 640, height: 480, format: .yuyv, framesPerSecond: 30), from: bayerOnly, device: "d")
        } throws: { error in
            guard let error = error as? V4L2Error else { return false }
            return error.fault.code == .unsupported && error.detail.contains("BA81")
        }
    }

    @Test func fourccSpellsItsCharacters() {
        #expect(FourCC.yuyv.description == "YUYV")
        #expect(FourCC.mjpeg.rawValue == 0x4750_4A4D)  // v4l2_fourcc('M','J','P','G')
    }
}

@Suite struct CameraStreaming {
    @Test func deliversFramesWithSequenceAndTimestampThenReleasesTheDevice() async {
        let world = FakeCameraWorld()
        world.feed(.frame(yuyvBytes(1), sequence: 10), .frame(yuyvBytes(2), sequence: 11), .frame(yuyvBytes(3), sequence: 12))
        let camera = fakeCamera(world) { $0.stallTimeout = .seconds(30) }
        let events = await collectEvents(camera) { $0.last?.frame?.bytes.first == 3 }
        let frames = events.compactMap(\.frame)
        // The consumer may miss a frame (the newest wins), never see one out of order.
        // Sequence numbers count from the first frame of the session (driver's 10 is our 0).
        #expect(frames.allSatisfy { Int($0.bytes[0]) == Int($0.sequence) + 1 }, "\(frames.map { ($0.bytes[0], $0.sequence) })")
        #expect(frames.last?.sequence == 2 && frames.last?.timestamp == .milliseconds(396))
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.sequence < $1.sequence && $0.timestamp < $1.timestamp })
        #expect(frames.allSatisfy { $0.format == .yuyv && $0.width == 8 && $0.height == 4 && $0.isWellFormed })
        #expect(events.allSatisfy { $0.fault == nil })
        #expect(camera.statistics.delivered == 3)
        #expect(camera.statistics.format == V4L2ActiveFormat(fourcc: .yuyv, width: 8, height: 4, bytesPerRow: 16, imageSize: 64))
        // Cancelling the consumer stops the stream and closes the device.
        #expect(await eventually { world.with { $0.closes == 1 && $0.streamOffs == 1 && !$0.streaming } })
    }

    @Test func countsFramesTheDriverDropped() async {
        let world = FakeCameraWorld()
        world.feed(.frame(yuyvBytes(1), sequence: 0), .frame(yuyvBytes(2), sequence: 1), .frame(yuyvBytes(3), sequence: 4),
                   .frame(yuyvBytes(4), sequence: 5))
        let camera = fakeCamera(world) { $0.stallTimeout = .seconds(30) }
        let frames = await collectEvents(camera) { $0.last?.frame?.bytes.first == 4 }.compactMap(\.frame)
        #expect(frames.last?.sequence == 5)
        #expect(Set(frames.map(\.sequence)).isSubset(of: [0, 1, 4, 5]))
        #expect(camera.statistics.droppedByDriver == 2)
    }

    @Test func aSlowConsumerGetsTheNewestFrame() async throws {
        let world = FakeCameraWorld()
        world.with { $0.generatedFrameSize = 64 }
        let camera = fakeCamera(world)
        var iterator = camera.events().makeAsyncIterator()
        guard case .frame(let first)? = await iterator.next() else { Issue.record("no first frame"); return }
        try await Task.sleep(for: .milliseconds(100))  // a slow consumer: many frames pass meanwhile
        guard case .frame(let next)? = await iterator.next() else { Issue.record("no second frame"); return }
        #expect(next.sequence > first.sequence + 10, "the stream buffered old frames instead of keeping the newest")
    }

    @Test func aDeviceMissingAtStartIsReportedThenUsedWhenItAppears() async {
        let world = FakeCameraWorld()
        world.with { $0.present = false }
        world.feed(.frame(yuyvBytes(7), sequence: 0))
        let camera = fakeCamera(world)
        let plugIn = Task {
            try? await Task.sleep(for: .milliseconds(50))
            world.with { $0.present = true }
        }
        let events = await collectEvents(camera) { $0.last?.frame != nil }
        plugIn.cancel()
        #expect(events.first?.fault?.code == .missing)
        #expect(events.first?.fault?.operation == "open")
        #expect(events.filter { $0.fault != nil }.count == 1, "a fault that does not change is reported once")
        #expect(events.contains { $0.isRecovered })
        #expect(events.last?.frame?.bytes.first == 7)
    }

    @Test func anUnplugIsReportedWhileAwayAndTheCameraIsReopenedWhenItReturns() async {
        let world = FakeCameraWorld()
        world.feed(.frame(yuyvBytes(1), sequence: 0), .unplug)
        // No stall may interfere: on a loaded machine the silence after the last frame
        // outlasted the 100 ms default before the test stopped the camera (four reopens).
        let camera = fakeCamera(world) { $0.stallTimeout = .seconds(30) }
        let replug = Task {
            // Back after the camera has tried to reopen a few times.
            _ = await eventually { world.with { !$0.present } }
            try? await Task.sleep(for: .milliseconds(60))
            world.with {
                $0.present = true
                $0.deliveries = [.frame(yuyvBytes(2), sequence: 0)]
            }
        }
        let events = await collectEvents(camera) { $0.compactMap(\.frame).count == 2 }
        replug.cancel()
        let faults = events.compactMap(\.fault)
        #expect(faults.map(\.code) == [.unplugged], "an absent camera stays 'unplugged', not 'missing'")
        #expect(faults.first?.operation == "VIDIOC_DQBUF" && faults.first?.errno == ENODEV)
        #expect(events.map { $0.frame != nil ? "frame" : $0.isRecovered ? "recovered" : "fault" } == ["frame", "fault", "recovered", "frame"])
        let frames = events.compactMap(\.frame)
        #expect(frames.map(\.sequence) == [0, 1], "sequence numbers continue across the reopen")
        #expect(camera.statistics.reopens == 1)
        #expect(world.with { $0.opens } == 2)
    }

    @Test func aStalledStreamIsReopened() async {
        let world = FakeCameraWorld()
        world.feed(.frame(yuyvBytes(1), sequence: 0), .stall, .frame(yuyvBytes(2), sequence: 0))
        // The scripted stall times out at once; the long timeout keeps a slow consumer (a
        // loaded CI machine) from turning the silence after the last frame into a second stall.
        let camera = fakeCamera(world) { $0.stallTimeout = .seconds(30) }
        let events = await collectEvents(camera) { $0.compactMap(\.frame).count == 2 }
        #expect(events.compactMap(\.fault).map(\.code) == [.stalled])
        #expect(events.contains { $0.isRecovered })
        #expect(world.with { $0.opens } == 2)
    }

    @Test func damagedAndTruncatedMJPEGFramesAreDroppedAndNamedWhenTheyPersist() async throws {
        let codec = try JPEGCodec()
        let jpeg = try codec.encode(Frame(width: 16, height: 16, format: .gray8, bytes: [UInt8](repeating: 90, count: 256)))
        let truncated = Array(jpeg.prefix(jpeg.count / 2))
        let formats = [V4L2FormatDescription(fourcc: .mjpeg, description: "MJPEG", sizes: [V4L2FrameSize(width: 16, height: 16)])]

        // One broken frame among good ones: dropped quietly, counted.
        let quiet = FakeCameraWorld(formats: formats)
        quiet.feed(.frame(jpeg, sequence: 0), .frame(truncated, sequence: 1), .frame(jpeg, sequence: 2))
        let camera = fakeCamera(quiet, format: .mjpeg)
        let events = await collectEvents(camera) { $0.compactMap(\.frame).count == 2 }
        #expect(events.allSatisfy { $0.fault == nil })
        #expect(events.compactMap(\.frame).allSatisfy { $0.bytes == jpeg && $0.format == .mjpeg })
        #expect(camera.statistics.corrupt == 1)
        #expect(camera.statistics.droppedByDriver == 1, "the dropped frame leaves a gap in the sequence")

        // Broken frames in a row: a corruptData fault, then recovered at the next good one.
        let noisy = FakeCameraWorld(formats: formats)
        noisy.feed(.frame(truncated, sequence: 0), .damaged(jpeg, sequence: 1), .frame([0, 1, 2, 3, 4], sequence: 2), .frame(jpeg, sequence: 3))
        let events2 = await collectEvents(fakeCamera(noisy, format: .mjpeg)) { $0.last?.frame != nil }
        #expect(events2.compactMap(\.fault).map(\.code) == [.corruptData])
        #expect(events2.suffix(2).first?.isRecovered == true)
    }

    @Test func busyIsReportedUntilTheOtherProcessLetsGo() async {
        let world = FakeCameraWorld()
        world.with { $0.busy = true }
        world.feed(.frame(yuyvBytes(5), sequence: 0))
        let release = Task {
            try? await Task.sleep(for: .milliseconds(40))
            world.with { $0.busy = false }
        }
        let events = await collectEvents(fakeCamera(world)) { $0.last?.frame != nil }
        release.cancel()
        #expect(events.first?.fault?.code == .busy)
        #expect(events.first?.fault?.operation == "VIDIOC_S_FMT")
        #expect(events.last?.frame != nil)
        #expect(world.with { $0.opens } >= 2, "EBUSY closes the device and opens it again")
    }

    @Test func cancellingWakesACaptureThreadBlockedOnASilentCamera() async {
        let world = FakeCameraWorld()  // nothing to deliver: the thread sits in poll()
        let camera = fakeCamera(world) { $0.stallTimeout = .seconds(60) }
        let consumer = Task { for await _ in camera.events() {} }
        #expect(await eventually { world.with { $0.streaming } })
        consumer.cancel()
        let started = ContinuousClock.now
        #expect(await eventually { world.with { $0.closes == 1 } }, "the capture thread did not stop and close the device")
        // Woken by the cancel, not by the 60 s stall timeout (the bound is loose: the whole
        // suite runs beside dlib and the daemon tests on two cores; it once took 1.7 s).
        #expect(started.duration(to: .now) < .seconds(15))
    }

    @Test func controlsCanBeListedReadAndSetWhileStreaming() async throws {
        let world = FakeCameraWorld()
        world.with {
            $0.generatedFrameSize = 64
            $0.controls = [V4L2ControlInfo(id: V4L2ControlID.brightness, name: "Brightness", kind: .integer,
                                           minimum: 0, maximum: 255, step: 1, defaultValue: 128)]
            $0.values[V4L2ControlID.brightness] = 128
        }
        let camera = fakeCamera(world)
        let consumer = Task { for await _ in camera.events() {} }
        defer { consumer.cancel() }
        #expect(await eventually { world.with { $0.streaming } })
        let controls = try await camera.controls()
        #expect(controls.map(\.info.name) == ["Brightness"] && controls.first?.value == 128)
        try await camera.setControl(V4L2ControlID.brightness, to: 140)
        #expect(try await camera.control(V4L2ControlID.brightness) == 140)
        await #expect(throws: V4L2Error.self) { try await camera.setControl(V4L2ControlID.brightness, to: 999) }
    }

    @Test func controlsWithoutAStreamSayTheCameraIsNotStreaming() async {
        let camera = fakeCamera(FakeCameraWorld())
        await #expect(throws: V4L2Error.self) { try await camera.control(V4L2ControlID.brightness) }
    }

    @Test func aNodeThatCannotCaptureIsUnsupported() async {
        final class MetadataNode: V4L2DeviceIO {
            func capabilities() throws(V4L2Error) -> V4L2Capabilities {
                V4L2Capabilities(driver: "uvcvideo", card: "Webcam", busInfo: "usb-1", deviceCaps: 0x0080_0000)
            }
            func formats() throws(V4L2Error) -> [V4L2FormatDescription] { [] }
            func setFormat(_ fourcc: FourCC, width: Int, height: Int) throws(V4L2Error) -> V4L2ActiveFormat {
                throw V4L2Error(operation: "VIDIOC_S_FMT", device: "m", errno: EINVAL)
            }
            func setFrameRate(_ framesPerSecond: Int) throws(V4L2Error) -> Double? { nil }
            func mapBuffers(count: Int) throws(V4L2Error) -> Int { 0 }
            func enqueue(_ index: Int) throws(V4L2Error) {}
            func streamOn() throws(V4L2Error) {}
            func streamOff() {}
            func wait(timeout: Duration) throws(V4L2Error) -> V4L2WaitResult { .timedOut }
            func dequeue() throws(V4L2Error) -> V4L2DequeuedBuffer { throw V4L2Error(operation: "VIDIOC_DQBUF", device: "m", errno: EINVAL) }
            func withBuffer<R>(_ index: Int, count: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R { body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            func controls() throws(V4L2Error) -> [V4L2ControlInfo] { [] }
            func control(_ id: UInt32) throws(V4L2Error) -> Int32 { 0 }
            func setControl(_ id: UInt32, to value: Int32) throws(V4L2Error) {}
        }
        var options = V4L2CameraOptions()
        options.initialBackoff = .milliseconds(1)
        let camera = V4L2Camera(path: "/dev/video1", request: V4L2CaptureRequest(width: 640, height: 480, format: .yuyv, framesPerSecond: 30),
                                options: options, opener: { _, _ throws(V4L2Error) in MetadataNode() })
        let events = await collectEvents(camera) { $0.contains { $0.fault != nil } }
        let fault = events.first?.fault
        #expect(fault?.code == .unsupported)
        #expect(fault?.detail.contains("first /dev/video node") == true)
    }

    @Test func aMissingRealDeviceIsAFaultNotACrash() async {
        // The real libv4l2 path on a host without V4L2: open fails ENOENT.
        let camera = V4L2Camera(path: "/dev/wayside-no-such-camera", request: V4L2CaptureRequest(width: 640, height: 480, format: .yuyv, framesPerSecond: 30))
        let events = await collectEvents(camera) { !$0.isEmpty }
        #expect(events.first?.fault?.code == .missing)
        #expect(events.first?.fault?.device == "/dev/wayside-no-such-camera")
    }
}
