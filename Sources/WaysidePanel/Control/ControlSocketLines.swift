#if canImport(Glibc)
import Glibc
#endif
import WaysideCore

/// Buttons driven through a Unix datagram socket: the host stand-in a test (or an operator's
/// script) presses buttons with. Each datagram is `press BUTTON [NS]` or `release BUTTON [NS]`,
/// NS being the sender's CLOCK_MONOTONIC time in nanoseconds (the receipt time without it).
///
/// It is a ``GPIOLineSet``, so ``GPIOButtons`` debounces it exactly as it debounces GPIO
/// lines, and the same ``ButtonContract`` runs against it: a datagram is an edge.
public final class ControlSocketLines: GPIOLineSet {
    public let path: String
    private let fd: Int32
    private let offsets: [Button: Int]
    private var levels: [Int: Bool] = [:]

    /// Binds `path` (replacing a stale socket file); `offsets` says which line each button is.
    public init(path: String, offsets: [Button: Int]) throws(PanelError) {
        self.path = path
        self.offsets = offsets
        fd = try UnixSocketAddress.bindDatagramSocket(path, nonBlocking: true)
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The opener for ``GPIOButtons``: `chip` is the socket's path, offsets as the profile's.
    public static func opener(offsets: [Button: Int]) -> GPIOLineOpener {
        { (chip: String, _: [Int], _: String) throws(PanelError) -> any GPIOLineSet in
            try ControlSocketLines(path: chip, offsets: offsets)
        }
    }

    public func waitForEdges(timeout: Duration?, wakeFD: Int32) throws(PanelError) -> [LineEdge] {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        let ready = try PanelCall.perform("poll", device: path) { poll(&fds, 2, timeout?.pollMilliseconds ?? -1) }
        guard ready > 0, fds[0].revents != 0 else { return [] }
        var edges: [LineEdge] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 256, 0) }
            if count < 0 {
                let error = Glibc.errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK { break }
                throw PanelError(operation: "recv", device: path, errno: error)
            }
            guard let edge = parse(String(decoding: buffer.prefix(count), as: UTF8.self)) else { continue }
            levels[edge.offset] = edge.rising
            edges.append(edge)
        }
        return edges
    }

    public func level(of offset: Int) throws(PanelError) -> Bool { levels[offset] ?? true }

    /// One datagram as an edge of an active-low line; nil for anything else (ignored, as
    /// line noise would be).
    func parse(_ message: String) -> LineEdge? {
        let words = message.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, let button = Button(rawValue: String(words[1])), let offset = offsets[button] else { return nil }
        let pressed: Bool
        switch words[0] {
        case "press": pressed = true
        case "release": pressed = false
        default: return nil
        }
        var time = PanelCall.monotonicNow()
        if words.count >= 3, let ns = Int64(words[2]) { time = .nanoseconds(ns) }
        return LineEdge(offset: offset, rising: !pressed, at: time)
    }

    /// Sends one datagram to the socket at `path`: what a test's actuator does.
    public static func send(_ message: String, to path: String) throws(PanelError) {
        var address = try UnixSocketAddress.make(path, operation: "sendto")
        let socketFD = try PanelCall.perform("socket", device: path) { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        defer { close(socketFD) }
        let payload = Array(message.utf8)
        try PanelCall.perform("sendto", device: path) {
            UnixSocketAddress.with(&address) { Int32(sendto(socketFD, payload, payload.count, 0, $0, $1)) }
        }
    }
}

/// `sockaddr_un` for a path, shared by the control socket's two directions.
enum UnixSocketAddress {
    static func make(_ path: String, operation: String) throws(PanelError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw PanelError(operation: operation, device: path, errno: ENAMETOOLONG, detail: "a socket path has at most \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// A datagram socket bound at `path` (a stale socket file there is replaced).
    static func bindDatagramSocket(_ path: String, nonBlocking: Bool, receiveBuffer: Int32? = nil) throws(PanelError) -> Int32 {
        var address = try make(path, operation: "bind")
        let flags = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        let socketFD = try PanelCall.perform("socket", device: path) { socket(AF_UNIX, flags, 0) }
        unlink(path)
        if var size = receiveBuffer {
            setsockopt(socketFD, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        guard with(&address, { bind(socketFD, $0, $1) }) == 0 else {
            let error = Glibc.errno
            close(socketFD)
            throw PanelError(operation: "bind", device: path, errno: error)
        }
        return socketFD
    }

    static func with<R>(_ address: inout sockaddr_un, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
