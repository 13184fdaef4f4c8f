import Foundation
import Synchronization
import WaysideCore
import WaysideDevices
#if canImport(Glibc)
import Glibc
#endif

/// What a fake camera delivers next.
enum FakeDelivery: Sendable {
    /// A buffer with these bytes and this driver sequence number.
    case frame([UInt8], sequence: UInt32)
    /// A buffer the driver flags V4L2_BUF_FLAG_ERROR.
    case damaged([UInt8], sequence: UInt32)
    /// The camera is unplugged: DQBUF fails ENODEV and the node disappears.
    case unplug
    /// No frame within the stall timeout.
    case stall
}

/// The hardware behind ``FakeV4L2Device``: a camera a test can plug, unplug, make busy,
/// and feed frames; it records what the driver was asked to do.
final class FakeCameraWorld: Sendable {
    struct State {
        var present = true
        var busy = false
        var formats: [V4L2FormatDescription]
        var deliveries: [FakeDelivery] = []
        /// When no delivery is scripted: make frames of this many bytes (nil: stay silent).
        var generatedFrameSize: Int?
        var generatedSequence: UInt32 = 0
        var opens = 0
        var closes = 0
        var streamOns = 0
        var streamOffs = 0
        var streaming = false
        var controls: [V4L2ControlInfo] = []
        var values: [UInt32: Int32] = [:]
        var setCalls: [(UInt32, Int32)] = []
        var format = V4L2ActiveFormat(fourcc: .yuyv, width: 0, height: 0, bytesPerRow: 0, imageSize: 0)
    }
    let state: Mutex<State>

    init(formats: [V4L2FormatDescription] = [V4L2FormatDescription(fourcc: .yuyv, description: "YUYV 4:2:2",
                                                                     sizes: [V4L2FrameSize(width: 8, height: 4)])]) {
        state = Mutex(State(formats: formats))
    }

    func with<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    func feed(_ deliveries: FakeDelivery...) { with { $0.deliveries += deliveries } }

    var opener: V4L2Opener {
        { path, wakeup throws(V4L2Error) in try FakeV4L2Device(world: self, path: path, wakeup: wakeup) }
    }
}

/// A ``V4L2DeviceIO`` that answers like a V4L2 driver (errno included) from a ``FakeCameraWorld``.
final class FakeV4L2Device: V4L2DeviceIO {
    let world: FakeCameraWorld
    let path: String
    let wakeup: PipeWakeup
    var buffers: [[UInt8]] = []
    var queued: Set<Int> = []
    var pendingLength = 0
    var current: FakeDelivery?

    init(world: FakeCameraWorld, path: String, wakeup: PipeWakeup) throws(V4L2Error) {
        self.world = world
        self.path = path
        self.wakeup = wakeup
        let present = world.with { state -> Bool in
            if state.present { state.opens += 1 }
            return state.present
        }
        guard present else { throw V4L2Error(operation: "open", device: path, errno: ENOENT) }
    }

    deinit {
        streamOff()
        world.with { $0.closes += 1 }
    }

    private func gone(_ operation: String) throws(V4L2Error) {
        if !world.with({ $0.present }) { throw V4L2Error(operation: operation, device: path, errno: ENODEV) }
    }

    func capabilities() throws(V4L2Error) -> V4L2Capabilities {
        try gone("VIDIOC_QUERYCAP")
        return V4L2Capabilities(driver: "fake", card: "Fake Camera", busInfo: "platform:fake", deviceCaps: 0x0400_0001)
    }

    func formats() throws(V4L2Error) -> [V4L2FormatDescription] {
        try gone("VIDIOC_ENUM_FMT")
        return world.with { $0.formats }
    }

    func setFormat(_ fourcc: FourCC, width: Int, height: Int) throws(V4L2Error) -> V4L2ActiveFormat {
        try gone("VIDIOC_S_FMT")
        if world.with({ $0.busy || $0.streaming }) { throw V4L2Error(operation: "VIDIOC_S_FMT", device: path, errno: EBUSY) }
        let bytesPerRow = fourcc == .yuyv ? width * 2 : fourcc == .rgb24 ? width * 3 : 0
        let size = bytesPerRow > 0 ? bytesPerRow * height : width * height
        let format = V4L2ActiveFormat(fourcc: fourcc, width: width, height: height, bytesPerRow: bytesPerRow, imageSize: size)
        world.with { $0.format = format }
        return format
    }

    func setFrameRate(_ framesPerSecond: Int) throws(V4L2Error) -> Double? { Double(framesPerSecond) }

    func mapBuffers(count: Int) throws(V4L2Error) -> Int {
        try gone("VIDIOC_REQBUFS")
        let size = max(world.with { $0.format.imageSize }, 1 << 16)
        buffers = Array(repeating: [UInt8](repeating: 0, count: size), count: count)
        return count
    }

    func enqueue(_ index: Int) throws(V4L2Error) {
        try gone("VIDIOC_QBUF")
        guard buffers.indices.contains(index), !queued.contains(index) else {
            throw V4L2Error(operation: "VIDIOC_QBUF", device: path, errno: EINVAL, detail: "buffer \(index) is already queued")
        }
        queued.insert(index)
    }

    func streamOn() throws(V4L2Error) {
        try gone("VIDIOC_STREAMON")
        world.with {
            $0.streamOns += 1
            $0.streaming = true
        }
    }

    func streamOff() {
        guard !buffers.isEmpty else { return }
        world.with {
            $0.streamOffs += 1
            $0.streaming = false
        }
        buffers = []
        queued = []
    }

    func wait(timeout: Duration) throws(V4L2Error) -> V4L2WaitResult {
        // Like poll() on the real device: a silent camera times out only when the whole
        // timeout has passed, however late the test feeds it; a feed in between is seen.
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let result = try waitOnce(deadline: deadline) { return result }
        }
    }

    /// One look at the script: a result, or nil to look again after a short silent wait.
    private func waitOnce(deadline: ContinuousClock.Instant) throws(V4L2Error) -> V4L2WaitResult? {
        if wakeup.drain() { return .woken }
        let next = world.with { state -> FakeDelivery? in
            if !state.deliveries.isEmpty { return state.deliveries.removeFirst() }
            if let size = state.generatedFrameSize {
                defer { state.generatedSequence += 1 }
                let byte = UInt8(truncatingIfNeeded: state.generatedSequence)
                return .frame([UInt8](repeating: byte, count: size), sequence: state.generatedSequence)
            }
            return nil
        }
        switch next {
        case .none:
            // A silent camera: block in poll() like the real device, until woken or timed out.
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return .timedOut }
            let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
            var descriptor = pollfd(fd: wakeup.readFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, Int32(min(milliseconds, 20)))
            return wakeup.drain() ? .woken : nil
        case .stall?:
            return .timedOut
        case .unplug?:
            world.with {
                $0.present = false
                $0.streaming = false
            }
            current = .unplug
            return .ready
        case let delivery?:
            if world.with({ $0.generatedFrameSize != nil }) { usleep(500) }  // about 2000 fps, not a spin
            current = delivery
            return .ready
        }
    }

    func dequeue() throws(V4L2Error) -> V4L2DequeuedBuffer {
        try gone("VIDIOC_DQBUF")
        guard let index = queued.min() else { throw V4L2Error(operation: "VIDIOC_DQBUF", device: path, errno: EAGAIN) }
        let delivery = current
        current = nil
        var bytes: [UInt8] = [], sequence: UInt32 = 0, damaged = false
        switch delivery {
        case .frame(let data, let seq)?: (bytes, sequence) = (data, seq)
        case .damaged(let data, let seq)?: (bytes, sequence, damaged) = (data, seq, true)
        default: throw V4L2Error(operation: "VIDIOC_DQBUF", device: path, errno: EAGAIN)
        }
        queued.remove(index)
        let count = min(bytes.count, buffers[index].count)
        buffers[index].replaceSubrange(0..<count, with: bytes[0..<count])
        return V4L2DequeuedBuffer(index: index, bytesUsed: count, sequence: sequence,
                                  timestamp: .milliseconds(Int(sequence) * 33), damaged: damaged)
    }

    func withBuffer<R>(_ index: Int, count: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        buffers[index].withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
    }

    func controls() throws(V4L2Error) -> [V4L2ControlInfo] {
        try gone("VIDIOC_QUERYCTRL")
        return world.with { $0.controls }
    }

    func control(_ id: UInt32) throws(V4L2Error) -> Int32 {
        try gone("VIDIOC_G_CTRL")
        guard let value = world.with({ $0.values[id] }) else { throw V4L2Error(operation: "VIDIOC_G_CTRL", device: path, errno: EINVAL) }
        return value
    }

    func setControl(_ id: UInt32, to value: Int32) throws(V4L2Error) {
        try gone("VIDIOC_S_CTRL")
        guard let info = world.with({ $0.controls.first { $0.id == id } }) else {
            throw V4L2Error(operation: "VIDIOC_S_CTRL", device: path, errno: EINVAL)
        }
        guard value >= info.minimum, value <= info.maximum else {
            throw V4L2Error(operation: "VIDIOC_S_CTRL", device: path, errno: ERANGE)
        }
        world.with {
            $0.values[id] = value
            $0.setCalls.append((id, value))
        }
    }
}

/// Collects the events of a source until `until` says stop (or the timeout), then cancels.
func collectEvents(_ source: any FrameSource, timeout: Duration = .seconds(10),
                   until: @escaping @Sendable ([FrameEvent]) -> Bool) async -> [FrameEvent] {
    let consumer = Task { () -> [FrameEvent] in
        var events: [FrameEvent] = []
        for await event in source.events() {
            events.append(event)
            if until(events) { break }
        }
        return events
    }
    let watchdog = Task {
        try? await Task.sleep(for: timeout)
        consumer.cancel()
    }
    let events = await consumer.value
    watchdog.cancel()
    return events
}

extension FrameEvent {
    var frame: Frame? { if case .frame(let frame) = self { frame } else { nil } }
    var fault: DeviceFault? { if case .fault(let fault) = self { fault } else { nil } }
    var isRecovered: Bool { if case .recovered = self { true } else { false } }
}

/// Polls `condition` until it holds or a second passes (for effects of another thread).
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<200 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// A camera on a fake world with fast back-off, asking for 8x4 YUYV.
func fakeCamera(_ world: FakeCameraWorld, format: V4L2FormatPreference = .yuyv, configure: (inout V4L2CameraOptions) -> Void = { _ in }) -> V4L2Camera {
    var options = V4L2CameraOptions()
    options.initialBackoff = .milliseconds(2)
    options.maximumBackoff = .milliseconds(10)
    // Scripted stalls time out at once; a real 100 ms timeout fired between two queued frames
    // when the full suite loaded both cores, so tests wait long unless they ask otherwise.
    options.stallTimeout = .seconds(30)
    configure(&options)
    return V4L2Camera(path: "/dev/video-fake", request: V4L2CaptureRequest(width: 8, height: 4, format: format, framesPerSecond: 30),
                      options: options, opener: world.opener)
}

/// An 8x4 YUYV frame filled with `value`.
func yuyvBytes(_ value: UInt8) -> [UInt8] { [UInt8](repeating: value, count: 8 * 4 * 2) }
