#if canImport(Glibc)
import Glibc
#endif
import CGPIOD

/// One edge on an input line, as the kernel stamped it.
public struct LineEdge: Sendable, Equatable {
    public var offset: Int
    /// True for a rising edge (the line now reads 1).
    public var rising: Bool
    /// CLOCK_MONOTONIC time of the edge.
    public var timestamp: Duration

    public init(offset: Int, rising: Bool, at timestamp: Duration) {
        self.offset = offset
        self.rising = rising
        self.timestamp = timestamp
    }
}

/// What ``GPIOButtons`` asks of a GPIO chip: the seam between the button logic and
/// libgpiod, so faults and edge sequences can be tested without a kernel.
///
/// An instance is made, used and dropped on the one reader thread; it need not be Sendable.
public protocol GPIOLineSet: AnyObject {
    /// Waits for edges on the requested input lines, for at most `timeout` (nil: no limit),
    /// or until `wakeFD` becomes readable. Returns the edges read; empty on timeout or wake-up.
    func waitForEdges(timeout: Duration?, wakeFD: Int32) throws(PanelError) -> [LineEdge]
    /// The line's level now (true: reads 1).
    func level(of offset: Int) throws(PanelError) -> Bool
}

/// Opens the lines of a ``GPIOButtons``: a chip by name, path or label, and its input offsets.
public typealias GPIOLineOpener = @Sendable (_ chip: String, _ offsets: [Int], _ consumer: String) throws(PanelError) -> any GPIOLineSet

/// Input lines of one chip through libgpiod 1.6, requested for both edges with the pull-up
/// bias (buttons wired to ground need no external resistor).
///
/// Owns the chip handle and the line requests; `deinit` releases them.
public final class LibGPIODLines: GPIOLineSet {
    private let chip: OpaquePointer
    private let chipName: String
    private var lines: [(offset: Int, line: OpaquePointer, fd: Int32)] = []

    /// Opens `chip` (gpiod_chip_open_lookup: a name like "gpiochip0", a path or a label)
    /// and requests `offsets` as inputs with both-edge events and pull-up bias.
    public init(chip: String, offsets: [Int], consumer: String) throws(PanelError) {
        guard let handle = gpiod_chip_open_lookup(chip) else {
            throw PanelError(operation: "gpiod_chip_open_lookup", device: chip, errno: Glibc.errno,
                             detail: "no GPIO chip with this name, path or label; check the board profile's buttons.chip")
        }
        self.chip = handle
        self.chipName = chip
        let lineCount = Int(gpiod_chip_num_lines(handle))
        for offset in offsets {
            let device = "\(chip) line \(offset)"
            guard offset >= 0, offset < lineCount, let line = gpiod_chip_get_line(handle, UInt32(offset)) else {
                throw PanelError(operation: "gpiod_chip_get_line", device: device, errno: EINVAL,
                                 detail: "the chip has \(lineCount) lines")
            }
            let flags = Int32(truncatingIfNeeded: GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
            try PanelCall.perform("gpiod_line_request_both_edges_events_flags", device: device) {
                gpiod_line_request_both_edges_events_flags(line, consumer, flags)
            }
            let fd = gpiod_line_event_get_fd(line)
            guard fd >= 0 else {
                gpiod_line_release(line)
                throw PanelError(operation: "gpiod_line_event_get_fd", device: device, errno: Glibc.errno)
            }
            lines.append((offset, line, fd))
        }
    }

    deinit {
        for entry in lines { gpiod_line_release(entry.line) }
        gpiod_chip_close(chip)
    }

    public func waitForEdges(timeout: Duration?, wakeFD: Int32) throws(PanelError) -> [LineEdge] {
        var fds = lines.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
        let count = fds.count
        let ready = try PanelCall.perform("poll", device: chipName) {
            fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t(count), timeout?.pollMilliseconds ?? -1) }
        }
        guard ready > 0 else { return [] }
        var edges: [LineEdge] = []
        var events = [gpiod_line_event](repeating: gpiod_line_event(), count: 16)
        for (index, entry) in lines.enumerated() where fds[index].revents != 0 {
            if fds[index].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                throw PanelError(operation: "poll", device: "\(chipName) line \(entry.offset)", errno: ENODEV,
                                 detail: "the line's event descriptor reported an error")
            }
            let read = try PanelCall.perform("gpiod_line_event_read", device: "\(chipName) line \(entry.offset)") {
                events.withUnsafeMutableBufferPointer { gpiod_line_event_read_multiple(entry.line, $0.baseAddress, 16) }
            }
            for event in events.prefix(Int(read)) {
                edges.append(LineEdge(offset: entry.offset, rising: event.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE),
                                      at: .seconds(event.ts.tv_sec) + .nanoseconds(event.ts.tv_nsec)))
            }
        }
        return edges.sorted { $0.timestamp < $1.timestamp }
    }

    /// gpiod_line_get_value.
    public func level(of offset: Int) throws(PanelError) -> Bool {
        guard let entry = lines.first(where: { $0.offset == offset }) else {
            throw PanelError(operation: "gpiod_line_get_value", device: "\(chipName) line \(offset)", errno: EINVAL, detail: "line not requested")
        }
        return try PanelCall.perform("gpiod_line_get_value", device: "\(chipName) line \(offset)") { gpiod_line_get_value(entry.line) } == 1
    }

    /// The consumer that holds each of `offsets` on `chip` (nil: the line is free), as the
    /// kernel's line info says. A test's finger waits for the kiosk to hold its lines, since
    /// an edge before the request is lost, as a real press would be.
    public static func consumers(chip: String, offsets: [Int]) throws(PanelError) -> [Int: String?] {
        guard let handle = gpiod_chip_open_lookup(chip) else {
            throw PanelError(operation: "gpiod_chip_open_lookup", device: chip, errno: Glibc.errno,
                             detail: "no GPIO chip with this name, path or label; check the board profile's buttons.chip")
        }
        defer { gpiod_chip_close(handle) }
        var result: [Int: String?] = [:]
        for offset in offsets {
            guard let line = gpiod_chip_get_line(handle, UInt32(offset)) else {
                throw PanelError(operation: "gpiod_chip_get_line", device: "\(chip) line \(offset)", errno: Glibc.errno)
            }
            _ = gpiod_line_update(line)
            result[offset] = gpiod_line_is_used(line) ? gpiod_line_consumer(line).map { String(cString: $0) } ?? "" : nil
        }
        return result
    }

    /// The opener for ``GPIOButtons`` that uses libgpiod.
    public static let opener: GPIOLineOpener = { (chip: String, offsets: [Int], consumer: String) throws(PanelError) -> any GPIOLineSet in
        try LibGPIODLines(chip: chip, offsets: offsets, consumer: consumer)
    }
}

/// One GPIO output line through libgpiod (help lamp, buzzer), requested on first use and
/// kept until the owner is dropped.
public final class LibGPIODOutput {
    private let chip: OpaquePointer
    private let line: OpaquePointer
    public let device: String

    /// Requests `offset` of `chip` as an output starting at `initial`.
    public init(chip: String, offset: Int, consumer: String, initial: Bool = false) throws(PanelError) {
        device = "\(chip) line \(offset)"
        guard let handle = gpiod_chip_open_lookup(chip) else {
            throw PanelError(operation: "gpiod_chip_open_lookup", device: chip, errno: Glibc.errno,
                             detail: "no GPIO chip with this name, path or label; check the board profile's buttons.chip")
        }
        guard offset >= 0, offset < Int(gpiod_chip_num_lines(handle)), let line = gpiod_chip_get_line(handle, UInt32(offset)) else {
            gpiod_chip_close(handle)
            throw PanelError(operation: "gpiod_chip_get_line", device: "\(chip) line \(offset)", errno: EINVAL)
        }
        let result = gpiod_line_request_output(line, consumer, initial ? 1 : 0)
        if result < 0 {
            let error = Glibc.errno
            gpiod_chip_close(handle)
            throw PanelError(operation: "gpiod_line_request_output", device: "\(chip) line \(offset)", errno: error)
        }
        self.chip = handle
        self.line = line
    }

    deinit {
        gpiod_line_release(line)
        gpiod_chip_close(chip)
    }

    /// gpiod_line_set_value.
    public func set(_ on: Bool) throws(PanelError) {
        let line = self.line
        try PanelCall.perform("gpiod_line_set_value", device: device) { gpiod_line_set_value(line, on ? 1 : 0) }
    }
}
