#if canImport(Glibc)
import Glibc
#endif
import WaysideCore

/// A failed call of a panel device (GPIO, serial LCD, framebuffer, speech): which call,
/// on which device, and the errno it returned.
///
/// Every system call of the panel goes through ``PanelCall/perform(_:device:_:)``, so an
/// error always names its call; ``fault`` turns it into the ``DeviceFault`` the kiosk shows.
public struct PanelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. "gpiod_chip_open_lookup", "FBIOGET_VSCREENINFO", "write".
    public var operation: String
    /// The device, e.g. "gpiochip0 line 4", "/dev/ttyS1", "/dev/fb0".
    public var device: String
    /// The errno, when a system call failed; nil for a refusal found by Wayside itself.
    public var errno: Int32?
    /// What happened and what to do about it.
    public var detail: String

    public init(operation: String, device: String, errno: Int32? = nil, detail: String = "") {
        self.operation = operation
        self.device = device
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = "\(device): \(operation) failed"
        if let errno { text += " (errno \(errno): \(String(cString: strerror(errno))))" }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }

    /// The named fault this error means for the kiosk.
    ///
    /// libgpiod reports a chip that is not there with ENOENT (or ENODEV when looked up by
    /// label) and a line another process holds with EBUSY, as the character device does.
    public var fault: DeviceFault {
        let code: DeviceFault.Code
        switch errno {
        // gpiod_chip_open_lookup tries the name, the label, the number and the path in turn,
        // so its errno is that of the last attempt: any failure but a permission one means
        // there is no such chip.
        case let error where operation == "gpiod_chip_open_lookup" && error != EACCES && error != EPERM: code = .missing
        case .some(ENOENT) where operation.hasPrefix("open"): code = .missing
        case .some(ENODEV), .some(ENXIO), .some(EIO): code = .unplugged
        case .some(EBUSY): code = .busy
        case .some(EACCES), .some(EPERM): code = .permissionDenied
        case .some(EINVAL) where operation.hasPrefix("FBIO") || operation == "tcsetattr": code = .unsupported
        case .none where operation == "format" || operation == "baud" || operation == "geometry": code = .unsupported
        case .none where operation == "voice": code = .unsupported
        default: code = .ioError
        }
        return DeviceFault(code, device: device, operation: operation, errno: errno, detail: detail)
    }
}

/// The one way the panel makes a system call.
public enum PanelCall {
    /// Runs `call` (a C function returning a negative value and setting errno on failure),
    /// retrying EINTR, and throws a ``PanelError`` naming `name`, `device` and errno otherwise.
    @discardableResult
    public static func perform(_ name: String, device: String, _ call: () -> Int32) throws(PanelError) -> Int32 {
        while true {
            let result = call()
            if result >= 0 { return result }
            let error = Glibc.errno
            if error == EINTR { continue }
            throw PanelError(operation: name, device: device, errno: error)
        }
    }

    /// CLOCK_MONOTONIC now: the clock the kernel stamps GPIO edge events with (uAPI v1,
    /// Linux >= 5.7), so debounce deadlines and event times can be compared.
    public static func monotonicNow() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, for poll(2) timeouts; never negative.
    var pollMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }

    /// Milliseconds as a Double, for reports.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
