#if canImport(Glibc)
import Glibc
#endif
import WaysideCore

/// A failed V4L2 call: which call, on which device, and the errno it returned.
///
/// Every V4L2 call goes through ``V4L2Call/perform(_:device:_:)``, so every error names
/// its ioctl (e.g. `VIDIOC_DQBUF`), the device and the errno. ``fault`` turns it into
/// the ``DeviceFault`` the screen shows.
public struct V4L2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. "VIDIOC_S_FMT", "open" or "poll".
    public var operation: String
    /// The device path, e.g. "/dev/video0".
    public var device: String
    /// The errno, when a system call failed; nil for a refusal found by Wayside itself.
    public var errno: Int32?
    /// What happened and what to do about it.
    public var detail: String

    /// An error of `operation` on `device`.
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
    /// ENOENT at open is a missing device; ENODEV or ENXIO at any time means the camera
    /// went away (the kernel answers every call on an unplugged device with ENODEV);
    /// EBUSY means another process streams from it.
    public var fault: DeviceFault {
        let code: DeviceFault.Code
        switch errno {
        case .some(ENOENT) where operation == "open": code = .missing
        case .some(ENODEV), .some(ENXIO): code = .unplugged
        case .some(ENOENT): code = .unplugged
        case .some(EBUSY): code = .busy
        case .some(EACCES), .some(EPERM): code = .permissionDenied
        case .some(ETIMEDOUT): code = .stalled
        case .some(EINVAL) where operation.hasPrefix("VIDIOC_S_FMT") || operation == "negotiate": code = .unsupported
        case .none where operation == "negotiate" || operation == "VIDIOC_QUERYCAP": code = .unsupported
        case .none where operation == "decode": code = .corruptData
        case .none where operation == "poll": code = .stalled
        default: code = .ioError
        }
        return DeviceFault(code, device: device, operation: operation, errno: errno, detail: hint(for: code))
    }

    private func hint(for code: DeviceFault.Code) -> String {
        let advice: String
        switch code {
        case .missing: advice = "no such device; check that the camera is plugged in and the board profile's camera.path"
        case .unplugged: advice = "the camera went away (unplugged or its driver unbound); waiting for it to return"
        case .busy: advice = "another process is using the camera; stop it (fuser \(device))"
        case .permissionDenied: advice = "the service user cannot open the camera; add it to the 'video' group or install the udev rule"
        case .stalled: advice = "the camera stopped delivering frames; reopening it"
        case .unsupported: advice = "the camera cannot deliver what the board profile asks for"
        case .corruptData: advice = "the camera delivered a broken frame; it was dropped"
        case .ioError: advice = "I/O error; check the cable and the kernel log (dmesg)"
        }
        return detail.isEmpty ? advice : "\(detail); \(advice)"
    }
}

/// The one way Wayside makes a V4L2 call.
public enum V4L2Call {
    /// How many times EAGAIN is retried before it is reported (EINTR is always retried).
    public static let eagainRetries = 3

    /// Runs `call` (a C function returning -1 and setting errno on failure), retrying
    /// EINTR (a signal interrupted it) and EAGAIN (the driver was not ready; a few times),
    /// and throws a ``V4L2Error`` naming `name`, `device` and errno otherwise.
    ///
    /// - Parameters:
    ///   - name: the call as the V4L2 documentation names it, e.g. "VIDIOC_DQBUF".
    ///   - errnoOf: reads errno after a failure (tests pass their own).
    @discardableResult
    public static func perform(_ name: String, device: String, errnoOf: () -> Int32 = { readErrno() },
                               _ call: () -> Int32) throws(V4L2Error) -> Int32 {
        var eagains = 0
        while true {
            let result = call()
            if result != -1 { return result }
            let error = errnoOf()
            if error == EINTR { continue }
            if error == EAGAIN, eagains < eagainRetries {
                eagains += 1
                continue
            }
            throw V4L2Error(operation: name, device: device, errno: error)
        }
    }

    /// errno of this thread.
    public static func readErrno() -> Int32 {
        #if canImport(Glibc)
        return Glibc.errno
        #else
        return 0
        #endif
    }
}
