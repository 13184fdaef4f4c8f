#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Why a notification could not be sent to systemd.
public struct NotifyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var socket: String
    public var description: String { "sd_notify to \(socket): \(operation) failed with errno \(errno) (\(String(cString: strerror(errno))))" }
}

/// systemd's notify protocol (sd_notify(3)), spoken directly: one datagram per state
/// change to the AF_UNIX socket named by `NOTIFY_SOCKET`.
///
/// Without `NOTIFY_SOCKET` (not started by systemd) every call does nothing, so the daemon
/// runs the same way from a terminal.
public struct SystemdNotifier: Sendable {
    /// The socket path; a leading "@" names an abstract socket.
    public let socketPath: String?
    /// Half of this is how often to send `WATCHDOG=1`, from `WATCHDOG_USEC`.
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"]
        socketPath = (path?.isEmpty ?? true) ? nil : path
        // WATCHDOG_PID, when set, names the process the watchdog is meant for.
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 {
            watchdogInterval = .microseconds(usec)
        } else {
            watchdogInterval = nil
        }
    }

    /// True when started by systemd with a notify socket.
    public var isEnabled: Bool { socketPath != nil }

    /// Sends `state`, e.g. "READY=1", "STOPPING=1", "WATCHDOG=1" or "STATUS=...".
    public func notify(_ state: String) throws {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NotifyError(operation: "socket", errno: errno, socket: socketPath) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw NotifyError(operation: "address", errno: ENAMETOOLONG, socket: socketPath) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        // An abstract name's length counts exactly; a path's includes its terminating NUL.
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (abstract ? 0 : 1)
        let message = Array(state.utf8)
        while true {
            let sent = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
                }
            }
            if sent >= 0 { return }
            if errno == EINTR { continue }
            throw NotifyError(operation: "sendto", errno: errno, socket: socketPath)
        }
    }
}
