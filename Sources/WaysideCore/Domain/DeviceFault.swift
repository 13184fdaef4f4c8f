/// A named fault of a device that the screen can show and the operator can act on.
///
/// Adapters never crash on these: they report them, back off, and retry.
public struct DeviceFault: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in words a technician can act on.
    public enum Code: String, Sendable, Equatable {
        /// The device node does not exist (not plugged in, wrong path in the board profile).
        case missing
        /// Another process holds the device (EBUSY).
        case busy
        /// The device went away while in use (ENODEV, unplugged).
        case unplugged
        /// The device stopped delivering data within its timeout.
        case stalled
        /// The device delivered data that could not be decoded.
        case corruptData
        /// The device does not support what the board profile asks for.
        case unsupported
        /// Permission denied: the service user lacks access (udev rule, group).
        case permissionDenied
        /// Any other I/O error.
        case ioError
    }

    public var code: Code
    /// The device, e.g. "/dev/video0" or "gpiochip0 line 17".
    public var device: String
    /// The operation that failed, e.g. "VIDIOC_DQBUF" or "open".
    public var operation: String
    /// The errno, when a system call failed.
    public var errno: Int32?
    /// Extra detail for the log.
    public var detail: String

    public init(_ code: Code, device: String, operation: String, errno: Int32? = nil, detail: String = "") {
        self.code = code
        self.device = device
        self.operation = operation
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = "\(device): \(operation) failed (\(code.rawValue))"
        if let errno { text += " errno \(errno)" }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}

/// The state a device reports alongside its data.
public enum DeviceHealth: Sendable, Equatable {
    case ok
    case faulted(DeviceFault)
}
