#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import WaysideCore
import WaysidePanel

/// A GPIO chip in memory with a virtual monotonic clock: edges are queued with exact
/// timestamps, and time moves only when the test holds or the reader waits for a deadline
/// the test has allowed. Buttons are active low, as on the boards.
final class FakeGPIOChip: Sendable {
    private struct State {
        var now: Duration = .seconds(1000)
        var horizon: Duration = .seconds(1000)
        var queue: [LineEdge] = []
        var levels: [Int: Bool] = [:]
        var openFailures: [PanelError] = []
        var opens = 0
        var readerIdle = false
    }
    private let state = Mutex(State())
    let lines: [Button: Int]
    private let signalRead: Int32
    private let signalWrite: Int32

    init(lines: [Button: Int], openFailures: [PanelError] = []) {
        self.lines = lines
        var fds: [Int32] = [-1, -1]
        _ = fds.withUnsafeMutableBufferPointer { pipe($0.baseAddress) }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        signalRead = fds[0]
        signalWrite = fds[1]
        state.withLock { $0.openFailures = openFailures }
    }

    deinit {
        close(signalRead)
        close(signalWrite)
    }

    var now: Duration { state.withLock { $0.now } }
    var opens: Int { state.withLock { $0.opens } }

    var opener: GPIOLineOpener {
        { (chip: String, offsets: [Int], consumer: String) throws(PanelError) -> any GPIOLineSet in
            let failure: PanelError? = self.state.withLock { state in
                state.opens += 1
                return state.openFailures.isEmpty ? nil : state.openFailures.removeFirst()
            }
            if let failure { throw failure }
            return FakeLineSet(chip: self)
        }
    }

    private func signal() {
        var byte: UInt8 = 1
        _ = write(signalWrite, &byte, 1)
    }

    /// Drives a line: pressed pulls it low. No edge when the level does not change.
    func set(offset: Int, pressed: Bool) {
        state.withLock { state in
            let level = !pressed
            guard state.levels[offset, default: true] != level else { return }
            state.levels[offset] = level
            state.now += .microseconds(100)
            state.queue.append(LineEdge(offset: offset, rising: level, at: state.now))
        }
        signal()
    }

    /// Changes a line's level with no edge: the kernel's 16-event queue overflowed.
    func setLosingTheEdge(offset: Int, pressed: Bool) {
        state.withLock { $0.levels[offset] = !pressed }
    }

    /// Lets `duration` of virtual time pass once the reader has taken every edge.
    func hold(_ duration: Duration) async {
        state.withLock { $0.horizon = $0.now + duration }
        signal()
        // Generous: the reader's task may wait long for a thread while the whole suite runs
        // dlib and the daemon tests on two cores (a clean CI clone once waited past 5 s).
        let giveUp = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < giveUp {
            let done = state.withLock { state -> Bool in
                guard state.readerIdle, state.queue.isEmpty else { return false }
                state.now = max(state.now, state.horizon)
                return true
            }
            if done { break }
            try? await Task.sleep(for: .milliseconds(1))
        }
        signal()
    }

    func level(of offset: Int) -> Bool { state.withLock { $0.levels[offset, default: true] } }

    fileprivate enum Step { case edges([LineEdge]), advanced, block }

    fileprivate func step(timeout: Duration?) -> Step {
        state.withLock { state in
            if !state.queue.isEmpty {
                defer { state.queue = [] }
                state.readerIdle = false
                return .edges(state.queue)
            }
            if let timeout, state.now + timeout <= state.horizon {
                state.now += timeout
                state.readerIdle = false
                return .advanced
            }
            state.readerIdle = true
            return .block
        }
    }

    fileprivate func waitForSignal(wakeFD: Int32) -> Bool {
        var fds = [pollfd(fd: signalRead, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, 1000)
        var buffer = [UInt8](repeating: 0, count: 64)
        _ = read(signalRead, &buffer, 64)
        state.withLock { $0.readerIdle = false }
        return fds[1].revents != 0
    }
}

private final class FakeLineSet: GPIOLineSet {
    let chip: FakeGPIOChip
    init(chip: FakeGPIOChip) { self.chip = chip }

    func waitForEdges(timeout: Duration?, wakeFD: Int32) throws(PanelError) -> [LineEdge] {
        while true {
            switch chip.step(timeout: timeout) {
            case .edges(let edges): return edges
            case .advanced: return []
            case .block: if chip.waitForSignal(wakeFD: wakeFD) { return [] }
            }
        }
    }

    func level(of offset: Int) throws(PanelError) -> Bool { chip.level(of: offset) }
}

/// The contract's actuator for the fake chip.
struct FakeActuator: ButtonActuator {
    let chip: FakeGPIOChip
    func set(_ button: Button, pressed: Bool) async throws {
        guard let offset = chip.lines[button] else { return }
        chip.set(offset: offset, pressed: pressed)
    }
    func hold(_ duration: Duration) async throws { await chip.hold(duration) }
}
