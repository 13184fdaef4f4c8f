#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import WaysideCore

/// Buttons on GPIO lines: edges from the kernel, debounced on their own timestamps,
/// reported as press, release, long press and auto-repeat.
///
/// A thread of its own waits in poll(2) on the lines' event descriptors and a wake-up pipe,
/// with a timeout only when a debounce window, long press or repeat is due: no busy loop,
/// and cancelling the consumer wakes it at once. A chip that is missing or a line another
/// process holds is yielded as a ``DeviceFault`` and retried with back-off; the kiosk goes on.
public struct GPIOButtons: ButtonSource {
    public let name: String
    public let chip: String
    /// Which line offset is which button.
    public let lines: [Button: Int]
    /// Pressed reads 0 (buttons wired to ground with the pull-up).
    public let activeLow: Bool
    public let timing: ButtonTiming
    private let opener: GPIOLineOpener
    private let now: @Sendable () -> Duration
    private let retryDelays: [Duration]

    /// - Parameters:
    ///   - opener: opens the lines; ``LibGPIODLines/opener`` on a board, a fake in tests.
    ///   - now: the monotonic clock the edge timestamps come from (tests pass the fake's).
    ///   - retryDelays: back-off after a fault, the last one repeated.
    public init(chip: String, lines: [Button: Int], activeLow: Bool = true, timing: ButtonTiming = ButtonTiming(),
                opener: @escaping GPIOLineOpener = LibGPIODLines.opener,
                now: @escaping @Sendable () -> Duration = PanelCall.monotonicNow,
                retryDelays: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(5)]) {
        self.name = "gpio \(chip)"
        self.chip = chip
        self.lines = lines
        self.activeLow = activeLow
        self.timing = timing
        self.opener = opener
        self.now = now
        self.retryDelays = retryDelays.isEmpty ? [.seconds(1)] : retryDelays
    }

    public func inputs() -> AsyncStream<ButtonInput> {
        let (stream, continuation) = AsyncStream.makeStream(of: ButtonInput.self, bufferingPolicy: .bufferingNewest(256))
        let wake: PanelWakeup
        do throws(PanelError) {
            wake = try PanelWakeup(device: chip)
        } catch {
            continuation.yield(.fault(error.fault))
            continuation.finish()
            return stream
        }
        let reader = ButtonReader(source: self, wake: wake, continuation: continuation)
        continuation.onTermination = { _ in wake.wake() }
        let thread = Thread { reader.run() }
        thread.name = "wayside-gpio-buttons"
        thread.start()
        return stream
    }

    fileprivate var openLines: GPIOLineOpener { opener }
    fileprivate var clock: @Sendable () -> Duration { now }
    fileprivate var delays: [Duration] { retryDelays }
}

/// The reader thread's work: open, wait, debounce, yield; on a fault report, back off, retry.
private struct ButtonReader: Sendable {
    let source: GPIOButtons
    let wake: PanelWakeup
    let continuation: AsyncStream<ButtonInput>.Continuation

    func run() {
        defer { continuation.finish() }
        var byOffset: [Int: Button] = [:]
        for (button, offset) in source.lines { byOffset[offset] = button }
        let offsets = byOffset.keys.sorted()
        var attempt = 0
        var faulted = false
        while !wake.drain() {
            do throws(PanelError) {
                let lineSet = try source.openLines(source.chip, offsets, "wayside")
                if faulted {
                    continuation.yield(.recovered)
                    faulted = false
                }
                attempt = 0
                try pump(lineSet, byOffset: byOffset)
                return  // woken: the consumer is gone
            } catch {
                continuation.yield(.fault(error.fault))
                faulted = true
                let delay = source.delays[min(attempt, source.delays.count - 1)]
                attempt += 1
                if wake.wait(timeout: delay) { return }
            }
        }
    }

    /// Reads edges until woken; throws when the lines fail.
    private func pump(_ lineSet: any GPIOLineSet, byOffset: [Int: Button]) throws(PanelError) {
        var debouncer = ButtonDebouncer(timing: source.timing)
        while true {
            let timeout = debouncer.nextDeadline.map { $0 - source.clock() }
            let edges = try lineSet.waitForEdges(timeout: timeout.map { max($0, .zero) }, wakeFD: wake.readFD)
            if wake.drain() { return }
            var events: [ButtonEvent] = []
            for edge in edges {
                guard let button = byOffset[edge.offset] else { continue }
                let pressed = source.activeLow ? !edge.rising : edge.rising
                events += debouncer.edge(button, pressed: pressed, at: edge.timestamp)
            }
            if edges.isEmpty {
                // A deadline is due. The v1 uAPI queues 16 events per line and drops the rest
                // when a burst outruns the reader, so the level the edges left may be stale:
                // read the lines themselves, and treat a difference as an edge now.
                // The level is stamped just before the deadline, so the window that closes
                // now is judged on it, not on the stale level.
                let now = source.clock()
                let stamp = (debouncer.nextDeadline.map { min($0, now) } ?? now) - .nanoseconds(1)
                for (offset, button) in byOffset {
                    let high = try lineSet.level(of: offset)
                    let pressed = source.activeLow ? !high : high
                    if pressed != debouncer.lastLevel(button) { events += debouncer.edge(button, pressed: pressed, at: stamp) }
                }
            }
            events += debouncer.advance(to: source.clock())
            for event in events { continuation.yield(.event(event)) }
        }
    }
}

/// A pipe that wakes a reader thread out of poll(2) (the consumer went away).
final class PanelWakeup: Sendable {
    let readFD: Int32
    private let writeFD: Int32

    init(device: String) throws(PanelError) {
        var fds: [Int32] = [-1, -1]
        try PanelCall.perform("pipe", device: device) { fds.withUnsafeMutableBufferPointer { pipe($0.baseAddress) } }
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

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Empties the pipe; true when a wake-up was pending. Leaves one wake-up marked for later
    /// checks by writing it back, so every loop level sees it.
    @discardableResult
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, 16) }
        if count > 0 { wake() }
        return count > 0
    }

    /// Sleeps up to `timeout` unless woken; true when woken.
    func wait(timeout: Duration) -> Bool {
        var fd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&fd, 1, timeout.pollMilliseconds)
            if ready < 0, Glibc.errno == EINTR { continue }
            return ready > 0
        }
    }
}

/// The help lamp (or buzzer) on a GPIO output line: switched on when a person asks for
/// staff. The line is requested on first use; a fault is logged by the caller through
/// ``lastFault`` and retried on the next switch, never thrown into the flow.
public final class GPIOHelpLamp: HelpSignal {
    private struct State: ~Copyable {
        var output: LibGPIODOutput?
        var fault: DeviceFault?
    }
    private let chip: String
    private let offset: Int
    private let state = Mutex(State())

    public init(chip: String, offset: Int) {
        self.chip = chip
        self.offset = offset
    }

    /// The fault of the last switch, nil when it worked.
    public var lastFault: DeviceFault? { state.withLock { $0.fault } }

    public func set(_ on: Bool) async {
        state.withLock { state in
            do throws(PanelError) {
                if state.output == nil {
                    state.output = try LibGPIODOutput(chip: chip, offset: offset, consumer: "wayside-help", initial: on)
                }
                try state.output?.set(on)
                state.fault = nil
            } catch {
                state.output = nil
                state.fault = error.fault
            }
        }
    }
}
