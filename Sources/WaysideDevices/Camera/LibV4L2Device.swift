import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// A V4L2 capture node opened through libv4l2: the real side of ``V4L2DeviceIO``.
///
/// Owns the descriptor and the mapped buffers and releases both in `deinit`, so a
/// session that ends by an error still leaves the device free for the next open.
/// Every call goes through ``V4L2Call/perform(_:device:errnoOf:_:)``.
public final class LibV4L2Device: V4L2DeviceIO {
    /// The path given to open, e.g. "/dev/video0" or "/dev/v4l/by-id/usb-...-video-index0".
    public let path: String
    private let fd: Int32
    private let wakeup: PipeWakeup?
    private var buffers: [(start: UnsafeMutableRawPointer, length: Int)] = []
    private var streaming = false

    /// Opens `path` (v4l2_open: O_RDWR | O_NONBLOCK); `wakeup` lets another thread end a wait.
    ///
    /// A `/dev/v4l/by-id/` or `/dev/v4l/by-path/` name is a symlink udev keeps pointing at
    /// the same camera across reboots and replugs; open resolves it each time.
    public init(path: String, wakeup: PipeWakeup?) throws(V4L2Error) {
        self.path = path
        self.wakeup = wakeup
        fd = try V4L2Call.perform("open", device: path, errnoOf: { wv_errno() }) { wv_open(path) }
    }

    deinit {
        streamOff()
        _ = wv_close(fd)
    }

    private func call(_ name: String, _ body: () -> Int32) throws(V4L2Error) {
        try V4L2Call.perform(name, device: path, errnoOf: { wv_errno() }, body)
    }

    public func capabilities() throws(V4L2Error) -> V4L2Capabilities {
        var cap = v4l2_capability()
        try call("VIDIOC_QUERYCAP") { wv_querycap(fd, &cap) }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        let caps = cap.capabilities & WV_CAP_DEVICE_CAPS != 0 ? cap.device_caps : cap.capabilities
        return V4L2Capabilities(driver: text(cap.driver), card: text(cap.card), busInfo: text(cap.bus_info), deviceCaps: caps)
    }

    /// Runs an enumeration ioctl for index 0, 1, ... until the driver answers EINVAL (the end).
    private func enumerate<T>(_ name: String, limit: Int = 64, _ body: (UInt32) -> (Int32, T?)) throws(V4L2Error) -> [T] {
        var items: [T] = []
        for index in 0..<UInt32(limit) {
            var item: T?
            do throws(V4L2Error) {
                try call(name) {
                    let (result, value) = body(index)
                    item = value
                    return result
                }
            } catch where error.errno == EINVAL || error.errno == ENOTTY {
                break
            }
            if let item { items.append(item) }
        }
        return items
    }

    public func formats() throws(V4L2Error) -> [V4L2FormatDescription] {
        let found: [(UInt32, UInt32, String)] = try enumerate("VIDIOC_ENUM_FMT") { index in
            var fourcc: UInt32 = 0, flags: UInt32 = 0
            var name = [CChar](repeating: 0, count: 32)
            let result = wv_enum_fmt(fd, index, &fourcc, &flags, &name)
            let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return (result, result == 0 ? (fourcc, flags, text) : nil)
        }
        var formats: [V4L2FormatDescription] = []
        for (fourcc, flags, name) in found {
            let sizes: [V4L2FrameSize] = try enumerate("VIDIOC_ENUM_FRAMESIZES") { index in
                var kind: UInt32 = 0, w: UInt32 = 0, h: UInt32 = 0, maxW: UInt32 = 0, maxH: UInt32 = 0, stepW: UInt32 = 0, stepH: UInt32 = 0
                let result = wv_enum_framesize(fd, fourcc, index, &kind, &w, &h, &maxW, &maxH, &stepW, &stepH)
                guard result == 0 else { return (result, nil) }
                return (result, V4L2FrameSize(minWidth: Int(w), minHeight: Int(h), maxWidth: Int(maxW), maxHeight: Int(maxH),
                                              stepWidth: Int(stepW), stepHeight: Int(stepH)))
            }
            var withRates: [V4L2FrameSize] = []
            for var size in sizes.prefix(32) {
                if size.isDiscrete {
                    let rates: [Double] = try enumerate("VIDIOC_ENUM_FRAMEINTERVALS", limit: 16) { index in
                        var num: UInt32 = 0, den: UInt32 = 0
                        let result = wv_enum_frameinterval(fd, fourcc, UInt32(size.minWidth), UInt32(size.minHeight), index, &num, &den)
                        return (result, result == 0 && num > 0 ? Double(den) / Double(num) : nil)
                    }
                    size.framesPerSecond = rates.sorted(by: >)
                }
                withRates.append(size)
            }
            // V4L2_FMT_FLAG_EMULATED (0x0002): libv4l2 converts to it in user space.
            formats.append(V4L2FormatDescription(fourcc: FourCC(rawValue: fourcc), description: name,
                                                 emulated: flags & 0x0002 != 0, sizes: withRates))
        }
        return formats
    }

    public func setFormat(_ fourcc: FourCC, width: Int, height: Int) throws(V4L2Error) -> V4L2ActiveFormat {
        var w = UInt32(clamping: width), h = UInt32(clamping: height), code = fourcc.rawValue
        var bytesPerLine: UInt32 = 0, sizeImage: UInt32 = 0
        try call("VIDIOC_S_FMT") { wv_s_fmt(fd, &w, &h, &code, &bytesPerLine, &sizeImage) }
        return V4L2ActiveFormat(fourcc: FourCC(rawValue: code), width: Int(w), height: Int(h),
                                bytesPerRow: Int(bytesPerLine), imageSize: Int(sizeImage))
    }

    public func setFrameRate(_ framesPerSecond: Int) throws(V4L2Error) -> Double? {
        var num: UInt32 = 1, den = UInt32(clamping: max(1, framesPerSecond))
        do throws(V4L2Error) {
            try call("VIDIOC_S_PARM") { wv_s_parm(fd, &num, &den) }
        } catch where error.errno == EINVAL || error.errno == ENOTTY {
            return nil  // drivers without a settable rate (many capture cards) say so this way
        }
        return num > 0 ? Double(den) / Double(num) : nil
    }

    public func mapBuffers(count: Int) throws(V4L2Error) -> Int {
        var made = UInt32(clamping: count)
        try call("VIDIOC_REQBUFS") { wv_reqbufs(fd, &made) }
        guard made > 0 else {
            throw V4L2Error(operation: "VIDIOC_REQBUFS", device: path, errno: ENOMEM, detail: "the driver made no buffers")
        }
        for index in 0..<made {
            var length: UInt32 = 0, offset: UInt32 = 0
            try call("VIDIOC_QUERYBUF") { wv_querybuf(fd, index, &length, &offset) }
            guard let start = wv_mmap(fd, length, offset), wv_is_map_failed(start) == 0 else {
                let error = wv_errno()
                streamOff()
                throw V4L2Error(operation: "mmap", device: path, errno: error)
            }
            buffers.append((start, Int(length)))
        }
        return buffers.count
    }

    public func enqueue(_ index: Int) throws(V4L2Error) {
        try call("VIDIOC_QBUF") { wv_qbuf(fd, UInt32(index)) }
    }

    public func streamOn() throws(V4L2Error) {
        try call("VIDIOC_STREAMON") { wv_stream(fd, 1) }
        streaming = true
    }

    public func streamOff() {
        if streaming {
            _ = wv_stream(fd, 0)  // fails with ENODEV after an unplug: nothing left to stop
            streaming = false
        }
        for buffer in buffers { _ = wv_munmap(buffer.start, UInt32(buffer.length)) }
        if !buffers.isEmpty {
            buffers = []
            var none: UInt32 = 0
            _ = wv_reqbufs(fd, &none)
        }
    }

    public func wait(timeout: Duration) throws(V4L2Error) -> V4L2WaitResult {
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        while true {
            let result = wv_poll(fd, wakeup?.readFD ?? -1, milliseconds)
            switch result {
            case 1: return .ready
            case 2:
                wakeup?.drain()
                return .woken
            case 0: return .timedOut
            case -2:
                // POLLERR/POLLHUP: the driver is gone or the queue broke; DQBUF says which errno.
                return .ready
            default:
                let error = wv_errno()
                if error == EINTR { continue }
                throw V4L2Error(operation: "poll", device: path, errno: error)
            }
        }
    }

    public func dequeue() throws(V4L2Error) -> V4L2DequeuedBuffer {
        var out = wv_dequeued()
        try call("VIDIOC_DQBUF") { wv_dqbuf(fd, &out) }
        return V4L2DequeuedBuffer(index: Int(out.index), bytesUsed: Int(out.bytesused), sequence: out.sequence,
                                  timestamp: .seconds(out.seconds) + .microseconds(out.microseconds),
                                  damaged: out.flags & WV_BUF_FLAG_ERROR != 0)
    }

    public func withBuffer<R>(_ index: Int, count: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard buffers.indices.contains(index) else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let buffer = buffers[index]
        return body(UnsafeRawBufferPointer(start: buffer.start, count: min(max(0, count), buffer.length)))
    }

    public func controls() throws(V4L2Error) -> [V4L2ControlInfo] {
        var found: [V4L2ControlInfo] = []
        var after: UInt32 = 0
        for _ in 0..<256 {
            var query = v4l2_queryctrl()
            do throws(V4L2Error) {
                try call("VIDIOC_QUERYCTRL") { wv_queryctrl_next(fd, after, &query) }
            } catch where error.errno == EINVAL || error.errno == ENOTTY {
                break  // past the last control
            }
            after = query.id
            if query.type == WV_CTRL_TYPE_CTRL_CLASS || query.flags & WV_CTRL_FLAG_DISABLED != 0 { continue }
            let name = withUnsafeBytes(of: query.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let kind: V4L2ControlInfo.Kind = switch query.type {
            case WV_CTRL_TYPE_INTEGER: .integer
            case WV_CTRL_TYPE_BOOLEAN: .boolean
            case WV_CTRL_TYPE_MENU: .menu
            default: .other
            }
            let writable = query.flags & (WV_CTRL_FLAG_READ_ONLY | WV_CTRL_FLAG_INACTIVE) == 0
            found.append(V4L2ControlInfo(id: query.id, name: name, kind: kind, minimum: query.minimum, maximum: query.maximum,
                                         step: query.step, defaultValue: query.default_value, writable: writable))
        }
        return found
    }

    public func control(_ id: UInt32) throws(V4L2Error) -> Int32 {
        var value: Int32 = 0
        try call("VIDIOC_G_CTRL") { wv_g_ctrl(fd, id, &value) }
        return value
    }

    public func setControl(_ id: UInt32, to value: Int32) throws(V4L2Error) {
        try call("VIDIOC_S_CTRL") { wv_s_ctrl(fd, id, value) }
    }
}
