import Foundation
import Synchronization
import WaysideCore

/// How a ``V4L2Camera`` streams and recovers.
public struct V4L2CameraOptions: Sendable {
    /// mmap buffers to ask for: enough that the driver never waits for us.
    public var bufferCount = 4
    /// A stream with no frame for this long is ``DeviceFault/Code/stalled`` and is reopened.
    public var stallTimeout = Duration.seconds(3)
    /// First wait before reopening a faulted device; doubles up to ``maximumBackoff``.
    public var initialBackoff = Duration.milliseconds(250)
    /// Longest wait between reopen attempts.
    public var maximumBackoff = Duration.seconds(5)
    /// Damaged frames in a row before they are reported as a ``DeviceFault/Code/corruptData``
    /// fault (each one is dropped either way; a single one is normal on a UVC camera).
    public var corruptFramesBeforeFault = 3

    /// The defaults, tuned for a USB webcam.
    public init() {}
}

/// Counters of a ``V4L2Camera``, for logs and the benchmark.
public struct V4L2CaptureStatistics: Sendable, Equatable {
    /// Frames handed to the consumer.
    public var delivered = 0
    /// Frames the driver dropped (gaps in its sequence numbers).
    public var droppedByDriver = 0
    /// Frames dropped because their data was damaged (a truncated MJPEG, V4L2_BUF_FLAG_ERROR).
    public var corrupt = 0
    /// Times the device was opened after a fault.
    public var reopens = 0
    /// The format in use, once negotiated.
    public var format: V4L2ActiveFormat?

    /// No counts yet.
    public init() {}
}

/// Opens a device for a capture session; the real one is ``LibV4L2Device``.
public typealias V4L2Opener = @Sendable (_ path: String, _ wakeup: PipeWakeup) throws(V4L2Error) -> any V4L2DeviceIO

/// A V4L2 camera behind the ``FrameSource`` seam: mmap streaming on a dedicated thread.
///
/// Iterating ``events()`` opens the device (by path or a stable `/dev/v4l/by-id/` name),
/// negotiates the requested format with fall-backs (``V4L2FormatPreference``), and streams
/// with several mmap buffers. The capture thread waits in poll(2) with a timeout, never on
/// a cooperative thread; cancelling the consuming task wakes it at once, and it stops the
/// stream, unmaps and closes the device. The stream keeps only the newest frame.
///
/// Faults (missing at start, EBUSY, ENODEV on unplug, a stall, damaged frames) are yielded
/// as named ``DeviceFault``s; the camera then reopens with back-off and yields
/// ``FrameEvent/recovered`` at the first good frame after it.
///
/// Frames come in the device's format (YUYV, MJPEG, or RGB24 when libv4l2 converts);
/// ``YUYV`` and ``JPEGCodec`` turn them into luma or RGB.
public final class V4L2Camera: FrameSource, ExposureMetering {
    /// The device path the camera opens.
    public let path: String
    /// What the board profile asks for.
    public let request: V4L2CaptureRequest
    /// Streaming and recovery settings.
    public let options: V4L2CameraOptions
    private let opener: V4L2Opener
    private let state = Mutex(SharedState())

    private struct SharedState {
        var statistics = V4L2CaptureStatistics()
        var session: CaptureSession?
        var metering: MeteringState?
    }

    /// A camera on `path`; `opener` is the seam for tests (the default opens through libv4l2).
    public init(path: String, request: V4L2CaptureRequest, options: V4L2CameraOptions = V4L2CameraOptions(),
                opener: @escaping V4L2Opener = { path, wakeup throws(V4L2Error) in try LibV4L2Device(path: path, wakeup: wakeup) }) {
        self.path = path
        self.request = request
        self.options = options
        self.opener = opener
    }

    public var name: String { path }

    /// The counters so far.
    public var statistics: V4L2CaptureStatistics { state.withLock { $0.statistics } }

    public func events() -> AsyncStream<FrameEvent> {
        let mailbox = FrameMailbox()
        let wakeup: PipeWakeup
        do {
            wakeup = try PipeWakeup(device: path)
        } catch {
            mailbox.post(.fault(error.fault))
            mailbox.finish()
            return mailbox.stream(onEnd: {})
        }
        let session = CaptureSession(camera: self, wakeup: wakeup, mailbox: mailbox)
        state.withLock { $0.session = session }
        let stream = mailbox.stream(onEnd: { session.cancel() })
        let thread = Thread { [self] in
            session.run()
            state.withLock { if $0.session === session { $0.session = nil } }
        }
        thread.name = "wayside-v4l2 \(path)"
        thread.start()
        return stream
    }

    /// Runs `body` on the capture thread with the open device, between frames.
    ///
    /// Throws a ``V4L2Error`` when no session has the device open (not iterated yet, or
    /// faulted and waiting to reopen).
    public func withDevice<T: Sendable>(_ body: @escaping @Sendable (any V4L2DeviceIO) throws(V4L2Error) -> T) async throws(V4L2Error) -> T {
        guard let session = state.withLock({ $0.session }) else {
            throw V4L2Error(operation: "control", device: path, detail: "the camera is not streaming")
        }
        let result: Result<T, V4L2Error> = await withCheckedContinuation { continuation in
            session.submit { device in
                guard let device else {
                    continuation.resume(returning: .failure(V4L2Error(operation: "control", device: self.path,
                                                                      detail: "the camera is not open (faulted or stopping)")))
                    return
                }
                do throws(V4L2Error) {
                    continuation.resume(returning: .success(try body(device)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// The device's controls (VIDIOC_QUERYCTRL) with their current values.
    public func controls() async throws(V4L2Error) -> [(info: V4L2ControlInfo, value: Int32?)] {
        try await withDevice { device throws(V4L2Error) in
            try device.controls().map { info in (info, info.kind == .other ? nil : try? device.control(info.id)) }
        }
    }

    /// Reads one control (VIDIOC_G_CTRL), e.g. ``V4L2ControlID/brightness``.
    public func control(_ id: UInt32) async throws(V4L2Error) -> Int32 {
        try await withDevice { device throws(V4L2Error) in try device.control(id) }
    }

    /// Sets one control (VIDIOC_S_CTRL), e.g. ``V4L2ControlID/exposureAuto`` to manual.
    public func setControl(_ id: UInt32, to value: Int32) async throws(V4L2Error) {
        try await withDevice { device throws(V4L2Error) in try device.setControl(id, to: value) }
    }

    // MARK: Face-metered exposure

    private struct MeteringState {
        var controller: FaceExposureController
        var plan: ExposurePlan
        var settings: ExposureSettings
    }

    /// Adjusts exposure and gain so that `region` (the face box) of `frame` is well exposed.
    ///
    /// The first call switches the camera to manual exposure (V4L2_CID_EXPOSURE_AUTO) and
    /// manual gain, and finds the exposure and gain controls; later calls take one
    /// ``FaceExposureController`` step each. A camera without exposure controls is left
    /// alone (the call returns without effect); errors are the stream's to report.
    public func meter(on region: PixelRect, of frame: Frame) async {
        guard let mean = FaceExposureController.meanLuma(of: frame, in: region) else { return }
        var metering = state.withLock { $0.metering }
        if metering == nil {
            let found: (ExposurePlan, ExposureSettings)? = try? await withDevice { device throws(V4L2Error) in
                let controls = try device.controls()
                guard let plan = ExposurePlan(controls: controls) else { return nil }
                if plan.exposureAutoID != nil {
                    try? device.setControl(V4L2ControlID.exposureAuto, to: V4L2ControlID.exposureManual)
                }
                if plan.autoGainID != nil { try? device.setControl(V4L2ControlID.autoGain, to: 0) }
                let exposure = try device.control(plan.exposure.id)
                let gain = try plan.gain.map { info throws(V4L2Error) in try device.control(info.id) }
                return (plan, ExposureSettings(exposure: exposure, gain: gain ?? 0))
            }
            guard let found else { return }
            metering = MeteringState(controller: FaceExposureController(), plan: found.0, settings: found.1)
        }
        guard var metering else { return }
        if let next = metering.controller.next(faceMean: mean, current: metering.settings, limits: metering.plan.limits) {
            let plan = metering.plan
            let applied: Bool = (try? await withDevice { device throws(V4L2Error) in
                try device.setControl(plan.exposure.id, to: next.exposure)
                if let gain = plan.gain { try device.setControl(gain.id, to: next.gain) }
                return true
            }) ?? false
            if applied { metering.settings = next }
        }
        let updated = metering
        state.withLock { $0.metering = updated }
    }

    /// The exposure and gain last set by ``meter(on:of:)``, nil before the first.
    public var meteredSettings: ExposureSettings? { state.withLock { $0.metering?.settings } }

    // MARK: Capture thread

    fileprivate func record(_ change: (inout V4L2CaptureStatistics) -> Void) {
        state.withLock { change(&$0.statistics) }
    }

    fileprivate func open(wakeup: PipeWakeup) throws(V4L2Error) -> any V4L2DeviceIO {
        try opener(path, wakeup)
    }

    /// A reset of metering after a reopen: the device forgot its controls.
    fileprivate func forgetMetering() {
        state.withLock { $0.metering = nil }
    }
}

/// Which controls carry exposure and gain on this device.
struct ExposurePlan: Sendable {
    var exposure: V4L2ControlInfo
    var gain: V4L2ControlInfo?
    var exposureAutoID: UInt32?
    var autoGainID: UInt32?

    /// Exposure absolute (UVC, 100 µs units), else exposure (driver units), else brightness
    /// as a last resort (a sensor without exposure control still brightens the picture).
    init?(controls: [V4L2ControlInfo]) {
        let writable = controls.filter { $0.writable && $0.kind == .integer }
        let exposure = writable.first { $0.id == V4L2ControlID.exposureAbsolute }
            ?? writable.first { $0.id == V4L2ControlID.exposure }
            ?? writable.first { $0.id == V4L2ControlID.brightness }
        guard let exposure else { return nil }
        self.exposure = exposure
        gain = writable.first { $0.id == V4L2ControlID.gain }
        exposureAutoID = controls.first { $0.id == V4L2ControlID.exposureAuto }?.id
        autoGainID = controls.first { $0.id == V4L2ControlID.autoGain }?.id
    }

    var limits: ExposureLimits {
        ExposureLimits(exposure: exposure.minimum...exposure.maximum, exposureStep: exposure.step,
                       gain: gain.map { $0.minimum...$0.maximum })
    }
}

/// One run of ``V4L2Camera/events()``: owns the capture thread's loop.
private final class CaptureSession: Sendable {
    typealias Job = @Sendable ((any V4L2DeviceIO)?) -> Void
    private let camera: V4L2Camera
    private let wakeup: PipeWakeup
    private let mailbox: FrameMailbox
    private let control = Mutex(Control())

    private struct Control {
        var cancelled = false
        var jobs: [Job] = []
    }

    init(camera: V4L2Camera, wakeup: PipeWakeup, mailbox: FrameMailbox) {
        self.camera = camera
        self.wakeup = wakeup
        self.mailbox = mailbox
    }

    var isCancelled: Bool { control.withLock { $0.cancelled } }

    func cancel() {
        control.withLock { $0.cancelled = true }
        wakeup.wake()
    }

    func submit(_ job: @escaping Job) {
        let accepted = control.withLock { state -> Bool in
            guard !state.cancelled else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wakeup.wake() } else { job(nil) }
    }

    private func runJobs(_ device: (any V4L2DeviceIO)?) {
        let jobs = control.withLock { state -> [Job] in
            defer { state.jobs = [] }
            return state.jobs
        }
        for job in jobs { job(device) }
    }

    /// The capture loop: open, negotiate, stream; on a fault report it, back off, reopen.
    func run() {
        let options = camera.options
        var backoff = options.initialBackoff
        var reported: DeviceFault?
        var opened = 0
        var sequenceBase: UInt64 = 0
        var lastSequence: UInt64?
        while !isCancelled {
            do throws(V4L2Error) {
                let device = try camera.open(wakeup: wakeup)
                opened += 1
                if opened > 1 {
                    camera.record { $0.reopens += 1 }
                    camera.forgetMetering()
                }
                try stream(device, base: &sequenceBase, last: &lastSequence, reported: &reported, backoff: &backoff)
                runJobs(nil)
            } catch {
                runJobs(nil)
                var fault = error.fault
                // While an unplugged camera is away, open says ENOENT: still "unplugged".
                if reported?.code == .unplugged, fault.code == .missing { fault.code = .unplugged }
                // The screen shows the code: a repeat of the same state is not news.
                if reported?.code != fault.code { mailbox.post(.fault(fault)) }
                reported = fault
                sleep(backoff)
                backoff = min(backoff * 2, options.maximumBackoff)
            }
        }
        runJobs(nil)
        mailbox.finish()
    }

    /// Waits `duration` unless cancelled first (the wake-up pipe ends the wait early).
    private func sleep(_ duration: Duration) {
        let milliseconds = Int32(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        var descriptor = pollfd(fd: wakeup.readFD, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, max(1, milliseconds))
        wakeup.drain()
        runJobs(nil)
    }

    private func stream(_ device: any V4L2DeviceIO, base sequenceBase: inout UInt64, last lastSequence: inout UInt64?,
                        reported: inout DeviceFault?, backoff: inout Duration) throws(V4L2Error) {
        let path = camera.path
        defer {
            device.streamOff()
            // A frame's sequence continues across reopens so that consumers see one timeline.
            if let last = lastSequence { sequenceBase = last + 1 }
        }
        let caps = try device.capabilities()
        guard caps.canCapture, caps.canStream else {
            throw V4L2Error(operation: "VIDIOC_QUERYCAP", device: path,
                            detail: "\(caps.card) (\(caps.driver)) is not a streaming video capture node; is this the camera's first /dev/video node?")
        }
        let request = camera.request
        let choice = try V4L2Negotiation.choose(request, from: try device.formats(), device: path)
        let active = try device.setFormat(choice.fourcc, width: choice.width, height: choice.height)
        guard let pixelFormat = active.fourcc.pixelFormat else {
            throw V4L2Error(operation: "negotiate", device: path, detail: "the driver chose \(active.fourcc), which Wayside cannot read")
        }
        _ = try device.setFrameRate(request.framesPerSecond)
        camera.record { $0.format = active }
        let count = try device.mapBuffers(count: camera.options.bufferCount)
        for index in 0..<count { try device.enqueue(index) }
        try device.streamOn()

        var driverFirst: UInt32?
        var corruptRun = 0
        let options = camera.options
        while !isCancelled {
            runJobs(device)
            switch try device.wait(timeout: options.stallTimeout) {
            case .woken: continue
            case .timedOut:
                throw V4L2Error(operation: "poll", device: path, detail: "no frame for \(options.stallTimeout)")
            case .ready: break
            }
            let buffer = try device.dequeue()
            let frame: Frame? = device.withBuffer(buffer.index, count: buffer.bytesUsed) { bytes in
                guard !buffer.damaged, Self.isComplete(bytes, format: pixelFormat, active: active) else { return nil }
                let first = driverFirst ?? buffer.sequence
                return Frame(width: active.width, height: active.height, format: pixelFormat,
                             bytesPerRow: pixelFormat == .mjpeg ? 0 : active.bytesPerRow, bytes: [UInt8](bytes),
                             sequence: sequenceBase + UInt64(buffer.sequence &- first), timestamp: buffer.timestamp)
            }
            try device.enqueue(buffer.index)
            guard let frame else {
                corruptRun += 1
                camera.record { $0.corrupt += 1 }
                if corruptRun == options.corruptFramesBeforeFault {
                    let fault = V4L2Error(operation: "decode", device: path,
                                          detail: "\(corruptRun) damaged \(active.fourcc) frames in a row (\(buffer.bytesUsed) bytes)").fault
                    reported = fault
                    mailbox.post(.fault(fault))
                }
                continue
            }
            if driverFirst == nil { driverFirst = buffer.sequence }
            corruptRun = 0
            if let last = lastSequence, frame.sequence > last + 1 {
                let gap = Int(frame.sequence - last - 1)
                camera.record { $0.droppedByDriver += gap }
            }
            lastSequence = frame.sequence
            if reported != nil {
                mailbox.post(.recovered)
                reported = nil
                backoff = options.initialBackoff
            }
            camera.record { $0.delivered += 1 }
            mailbox.post(.frame(frame))
        }
    }

    /// True when a buffer holds a whole frame: a JPEG from SOI to EOI, or every row of a raw format.
    static func isComplete(_ bytes: UnsafeRawBufferPointer, format: PixelFormat, active: V4L2ActiveFormat) -> Bool {
        switch format {
        case .mjpeg:
            return JPEGMarkers.isComplete(bytes)
        default:
            let needed = active.bytesPerRow * (active.height - 1) + active.width * (format.bytesPerPixel ?? 1)
            return bytes.count >= needed
        }
    }
}

/// Cheap checks of JPEG framing, for dropping truncated MJPEG frames before they are decoded.
public enum JPEGMarkers {
    /// True when `bytes` start with SOI (FF D8) and an EOI (FF D9) follows within the last
    /// 4 KiB (UVC cameras often pad a frame after its EOI).
    public static func isComplete(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return false }
        var index = bytes.count - 1
        let stop = max(2, bytes.count - 4096)
        while index > stop {
            if bytes[index] == 0xD9, bytes[index - 1] == 0xFF { return true }
            index -= 1
        }
        return false
    }
}
