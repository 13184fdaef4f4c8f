#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import WaysideDaemon

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let fd: Int32
    let path: String

    init(abstract: Bool = false) throws {
        let name = "wayside-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        path = abstract ? "@\(name)" : NSTemporaryDirectory() + name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
        }
        try #require(status == 0, "bind \(path): errno \(errno)")
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if !path.hasPrefix("@") { unlink(path) }
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

@Suite struct NotifyProtocol {
    @Test(arguments: [false, true])
    func readyAndWatchdogReachTheSocket(abstract: Bool) throws {
        let socket = try NotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.isEnabled)
        #expect(notifier.watchdogInterval == .seconds(2))
        try notifier.notify("READY=1")
        try notifier.notify("WATCHDOG=1")
        #expect(socket.receive() == "READY=1")
        #expect(socket.receive() == "WATCHDOG=1")
    }

    @Test func watchdogForAnotherProcessIsIgnored() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nowhere", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"])
        #expect(notifier.watchdogInterval == nil || getpid() == 1)
    }

    @Test func withoutSystemdNothingIsSent() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        try notifier.notify("READY=1")
    }

    @Test func aVanishedSocketIsAnErrorNotACrash() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": NSTemporaryDirectory() + "no-such-socket-\(getpid())"])
        #expect(throws: NotifyError.self) { try notifier.notify("READY=1") }
    }
}
