#if canImport(Glibc)
import Glibc
#endif
import CPanelLinux
import Synchronization
import WaysideCore

/// Where an LCD's bytes go: a serial port, or a recording in tests.
public protocol SerialPortIO: Sendable {
    /// Writes as much of `bytes` as the port takes now, without waiting; returns how many.
    func writeNow(_ bytes: [UInt8]) throws(PanelError) -> Int
}

/// A UART opened non-blocking in raw mode at a fixed baud (8N1, no flow control, modem
/// lines ignored), as a serial LCD backpack expects.
public final class TermiosSerialPort: SerialPortIO {
    public let device: String
    private let fd: Int32

    /// Opens `device` at `baud` (1200 to 115200). O_NONBLOCK keeps a write from ever
    /// blocking the kiosk on a full or stuck port; O_NOCTTY keeps the port from becoming
    /// the process's controlling terminal.
    public init(device: String, baud: Int) throws(PanelError) {
        let speeds: [Int: speed_t] = [1200: speed_t(B1200), 2400: speed_t(B2400), 4800: speed_t(B4800),
                                      9600: speed_t(B9600), 19200: speed_t(B19200), 38400: speed_t(B38400),
                                      57600: speed_t(B57600), 115200: speed_t(B115200)]
        guard let speed = speeds[baud] else {
            throw PanelError(operation: "baud", device: device,
                             detail: "\(baud) baud is not one an LCD backpack uses; use one of \(speeds.keys.sorted())")
        }
        self.device = device
        fd = try PanelCall.perform("open", device: device) { open(device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
        do throws(PanelError) {
            let fd = self.fd
            var settings = termios()
            try PanelCall.perform("tcgetattr", device: device) { tcgetattr(fd, &settings) }
            cfmakeraw(&settings)
            settings.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
            settings.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(PARENB) | tcflag_t(CRTSCTS))
            cfsetispeed(&settings, speed)
            cfsetospeed(&settings, speed)
            try PanelCall.perform("tcsetattr", device: device) { tcsetattr(fd, TCSANOW, &settings) }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    public func writeNow(_ bytes: [UInt8]) throws(PanelError) -> Int {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if result > 0 { written += result; continue }
            let error = Glibc.errno
            if result < 0, error == EINTR { continue }
            if result < 0, error == EAGAIN { break }
            throw PanelError(operation: "write", device: device, errno: result < 0 ? error : EIO)
        }
        return written
    }

    /// Bytes still in the kernel's output queue (TIOCOUTQ).
    public func pendingOutput() -> Int {
        var count: Int32 = 0
        return wayside_tty_outq(fd, &count) == 0 ? Int(count) : 0
    }
}

/// A serial character LCD (SparkFun SerLCD / OpenLCD) as the kiosk's ``Screen``.
///
/// Each screen is a whole redraw. A write never waits: what the port does not take at once
/// is dropped and counted, and the display is resent from scratch on the next screen, so an
/// unplugged or stuck LCD costs the kiosk nothing. A port that fails outright throws a
/// ``DeviceFault``; the kiosk goes on without it.
public actor SerialLCD: Screen {
    public nonisolated let name: String
    private let port: any SerialPortIO
    private var encoder: OpenLCDEncoder
    /// Screens cut short because the port would have blocked.
    public private(set) var droppedFrames = 0
    /// Bytes not sent because the port would have blocked.
    public private(set) var droppedBytes = 0

    public init(port: any SerialPortIO, geometry: LCDGeometry, name: String = "serial LCD",
                pageInterval: Duration = .seconds(3)) {
        self.name = name
        self.port = port
        self.encoder = OpenLCDEncoder(geometry: geometry)
        self.pageInterval = pageInterval
    }

    /// Opens `device` at `baud` for a `geometry` display.
    public static func open(device: String, baud: Int, geometry: LCDGeometry) throws(PanelError) -> SerialLCD {
        guard geometry.isSupported else {
            throw PanelError(operation: "geometry", device: device,
                             detail: "\(geometry.columns)x\(geometry.rows) is not a SerLCD size (16 or 20 columns, 1, 2 or 4 rows)")
        }
        return SerialLCD(port: try TermiosSerialPort(device: device, baud: baud), geometry: geometry,
                         name: "serial LCD \(device)")
    }

    /// How long each page of a screen that needs several stays up.
    public let pageInterval: Duration
    /// Turns the pages of the current screen; replaced by the next screen.
    private var pageTurner: Task<Void, Never>?

    public func show(_ content: ScreenContent) async throws {
        pageTurner?.cancel()
        pageTurner = nil
        let pages = encoder.pages(for: content)
        try write(encoder.encode(rows: pages[0]))
        guard pages.count > 1 else { return }
        // A screen longer than the display turns its pages until the next screen comes,
        // so a person reads all of it (the confirmation code included) without a button.
        let interval = pageInterval
        pageTurner = Task { [weak self] in
            var page = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, let self else { return }
                page = (page + 1) % pages.count
                await self.turn(to: pages[page])
            }
        }
    }

    private func turn(to rows: [String]) {
        guard !Task.isCancelled else { return }
        pageTurns += 1
        // A failed page turn is the same fault the next screen will report; nothing to do here.
        try? write(encoder.encode(rows: rows))
    }

    /// Pages a long screen has turned, for tests.
    public private(set) var pageTurns = 0

    private func write(_ bytes: [UInt8]) throws {
        let written: Int
        do throws(PanelError) {
            written = try port.writeNow(bytes)
        } catch {
            encoder.invalidate()
            throw error.fault
        }
        if written < bytes.count {
            droppedFrames += 1
            droppedBytes += bytes.count - written
            encoder.invalidate()
        }
    }
}

/// A ``SerialPortIO`` that records every byte, taking at most `capacity` bytes per write
/// (to play a full port), for byte-stream tests.
public final class RecordingSerialPort: SerialPortIO {
    private let state: Mutex<[UInt8]>
    private let capacity: Mutex<Int>

    public init(capacity: Int = .max) {
        state = Mutex([])
        self.capacity = Mutex(capacity)
    }

    /// What was written so far.
    public var bytes: [UInt8] { state.withLock { $0 } }
    /// Sets how many bytes the next writes accept.
    public func setCapacity(_ value: Int) { capacity.withLock { $0 = value } }
    public func reset() { state.withLock { $0 = [] } }

    public func writeNow(_ bytes: [UInt8]) throws(PanelError) -> Int {
        let taken = min(bytes.count, capacity.withLock { $0 })
        state.withLock { $0 += bytes.prefix(taken) }
        return taken
    }
}
