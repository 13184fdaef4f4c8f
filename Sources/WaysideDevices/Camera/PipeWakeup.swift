#if canImport(Glibc)
import Glibc
#endif

/// Wakes a capture thread out of poll(2): the thread polls the read end of a pipe beside
/// the device, and ``wake()`` writes a byte to it. Cancellation and control requests
/// reach a thread blocked on a silent camera at once, without a polling loop.
public final class PipeWakeup: Sendable {
    /// The end a capture thread polls (O_NONBLOCK).
    public let readFD: Int32
    private let writeFD: Int32

    /// A new pipe; throws a ``V4L2Error`` naming `pipe` when the process is out of descriptors.
    public init(device: String) throws(V4L2Error) {
        var fds: [Int32] = [-1, -1]
        let result = fds.withUnsafeMutableBufferPointer { pipe($0.baseAddress) }
        guard result == 0 else { throw V4L2Error(operation: "pipe", device: device, errno: V4L2Call.readErrno()) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Makes the capture thread's current or next wait return ``V4L2WaitResult/woken``.
    public func wake() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)  // a full pipe already wakes the reader
    }

    /// Empties the pipe; true when there was a wake-up to take.
    @discardableResult
    public func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        var woke = false
        while buffer.withUnsafeMutableBytes({ read(readFD, $0.baseAddress, 64) }) > 0 { woke = true }
        return woke
    }
}
