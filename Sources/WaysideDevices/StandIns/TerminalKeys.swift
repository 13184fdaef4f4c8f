#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WaysideCore

/// Keys of the terminal as kiosk buttons: arrows move, Enter is OK, Backspace is back,
/// `h` or `?` is help, `r` is repeat, `q` quits (as Ctrl-C does).
///
/// The terminal is put in raw mode while the sequence is iterated and restored after.
/// Reading happens on a thread of its own, woken through a pipe on cancellation, so no
/// cooperative thread ever blocks on the terminal.
public struct TerminalKeys: ButtonSource {
    public let name = "terminal keys"
    private let fd: Int32

    public init(fileDescriptor: Int32 = STDIN_FILENO) {
        self.fd = fileDescriptor
    }

    /// The button for one decoded key, if any. Pure, for tests.
    public static func button(for key: [UInt8]) -> Button? {
        switch key {
        case [0x1B, 0x5B, 0x41]: .up
        case [0x1B, 0x5B, 0x42]: .down
        case [0x1B, 0x5B, 0x43]: .right
        case [0x1B, 0x5B, 0x44]: .left
        case [0x0D], [0x0A], [0x20]: .ok
        case [0x7F], [0x08], [UInt8(ascii: "b")]: .back
        case [UInt8(ascii: "h")], [UInt8(ascii: "?")]: .help
        case [UInt8(ascii: "r")]: .repeat
        default: nil
        }
    }

    public func inputs() -> AsyncStream<ButtonInput> {
        let (stream, continuation) = AsyncStream.makeStream(of: ButtonInput.self)
        var wake: [Int32] = [0, 0]
        guard pipe(&wake) == 0 else {
            continuation.yield(.fault(DeviceFault(.ioError, device: "terminal", operation: "pipe", errno: errno)))
            continuation.finish()
            return stream
        }
        let fd = self.fd
        let (wakeRead, wakeWrite) = (wake[0], wake[1])
        let thread = Thread {
            var saved = termios()
            let isTerminal = tcgetattr(fd, &saved) == 0
            if isTerminal {
                var raw = saved
                raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
                tcsetattr(fd, TCSANOW, &raw)
            }
            defer {
                if isTerminal { tcsetattr(fd, TCSANOW, &saved) }
                close(wakeRead)
                continuation.finish()
            }
            let start = ContinuousClock.now
            var buffer = [UInt8](repeating: 0, count: 16)
            while true {
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
                let ready = poll(&fds, 2, -1)
                if ready < 0 {
                    if errno == EINTR { continue }
                    continuation.yield(.fault(DeviceFault(.ioError, device: "terminal", operation: "poll", errno: errno)))
                    return
                }
                if fds[1].revents != 0 { return }
                let count = read(fd, &buffer, buffer.count)
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                if count <= 0 { return } // end of input
                let key = Array(buffer[0..<count])
                if key == [UInt8(ascii: "q")] || key == [0x03] {
                    kill(getpid(), SIGINT)
                    continue
                }
                guard let button = Self.button(for: key) else { continue }
                let now = start.duration(to: .now)
                continuation.yield(.event(ButtonEvent(button, .press, at: now)))
                continuation.yield(.event(ButtonEvent(button, .release, at: now)))
            }
        }
        continuation.onTermination = { _ in
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
            close(wakeWrite)
        }
        thread.start()
        return stream
    }
}
