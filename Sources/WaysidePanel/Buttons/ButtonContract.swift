#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import WaysideCore

/// Moves a button's line the way a finger (or a bouncing contact) would, for
/// ``ButtonContract``: gpio-sim's pull files in the HIL VM, a fake chip in unit tests.
public protocol ButtonActuator: Sendable {
    /// Sets the line of `button` to its pressed or released level, now.
    func set(_ button: Button, pressed: Bool) async throws
    /// Lets `duration` pass with the lines as they are (virtual time for a fake).
    func hold(_ duration: Duration) async throws
}

/// The contract every GPIO ``ButtonSource`` meets, run against a fake chip in unit tests
/// and against gpio-sim in the HIL VM (`waysidectl panel buttons-contract`):
/// 1. a clean press and release yield exactly `press` then `release`;
/// 2. chatter (dozens of edges within a few milliseconds, ending pressed) yields exactly
///    one `press`, and its release exactly one `release`;
/// 3. a hold past the long-press time yields `press`, `longPress`, at least one
///    `autoRepeat`, then `release`, in that order.
public struct ButtonContract: Sendable {
    public var button: Button
    public var timing: ButtonTiming
    public var chatterEdges: Int
    /// How long to wait for an expected event before calling it missing (a deadline, not a
    /// measurement: a slow machine passes, a broken path fails).
    public var patience: Duration
    /// Time given to the source to request its lines before the first press.
    public var startup: Duration

    public init(button: Button = .ok, timing: ButtonTiming, chatterEdges: Int = 30, patience: Duration = .seconds(10),
                startup: Duration = .milliseconds(500)) {
        self.button = button
        self.timing = timing
        self.chatterEdges = chatterEdges
        self.patience = patience
        self.startup = startup
    }

    public struct Report: Sendable {
        public var failures: [String] = []
        public var notes: [String] = []
        public var passed: Bool { failures.isEmpty }
    }

    /// Runs the three checks against `source` moved by `actuator`.
    public func check(_ source: any ButtonSource, actuator: any ButtonActuator) async -> Report {
        var report = Report()
        let collector = EventCollector()
        let consumer = Task {
            for await input in source.inputs() { collector.add(input) }
        }
        defer { consumer.cancel() }
        do {
            // The source requests its lines on its own thread: an edge before that is lost.
            try await actuator.hold(startup)
            try await actuator.set(button, pressed: false)
            try await actuator.hold(timing.debounce * 2)

            // 1. Clean press and release. A hold that a loaded machine stretched past the
            // long-press time (a sleep that overslept) rightly yields a long press: such an
            // attempt is retried, not judged.
            var cleanJudged = false
            for attempt in 1...3 where !cleanJudged {
                collector.reset()
                let pressedAt = ContinuousClock.now
                try await actuator.set(button, pressed: true)
                try await actuator.hold(timing.debounce * 2)
                try await actuator.set(button, pressed: false)
                let held = pressedAt.duration(to: .now)
                let clean = await collector.waitFor(button, .release, within: patience)
                try await actuator.hold(timing.debounce * 2)
                if held >= timing.longPress {
                    report.notes.append("clean press attempt \(attempt): the button stayed down \(held), past the long-press time; retried")
                    continue
                }
                cleanJudged = true
                let cleanActions = collector.actions(of: button)
                if cleanActions != [.press, .release] { report.failures.append("clean press: expected press, release; got \(cleanActions)\(clean ? "" : " (no release)")") }
                report.notes.append("clean press: \(collector.faults.count) faults seen")
            }
            if !cleanJudged { report.failures.append("clean press: the actuator could not hold the button for less than the long-press time in 3 attempts") }

            // 2. Chatter ending pressed, then a clean release. Chatter means every edge
            // within the debounce window; a burst the actuator could not make that fast (a
            // loaded VM pausing between two writes) is two real presses, so it is retried,
            // not judged.
            var judged = false
            for attempt in 1...3 where !judged {
                collector.reset()
                let burstStart = ContinuousClock.now
                for edge in 0..<chatterEdges {
                    try await actuator.set(button, pressed: edge % 2 == 0)
                }
                if chatterEdges % 2 == 0 { try await actuator.set(button, pressed: true) }
                let burst = burstStart.duration(to: .now)
                try await actuator.hold(timing.debounce * 3)
                try await actuator.set(button, pressed: false)
                let held = burstStart.duration(to: .now)
                _ = await collector.waitFor(button, .release, within: patience)
                try await actuator.hold(timing.debounce * 3)
                if burst >= timing.debounce {
                    report.notes.append("chatter attempt \(attempt): the burst took \(burst), longer than the debounce window; retried")
                    continue
                }
                // Likewise a hold that a loaded machine stretched past the long-press time
                // rightly yields a long press.
                if held >= timing.longPress {
                    report.notes.append("chatter attempt \(attempt): the button stayed down \(held), past the long-press time; retried")
                    continue
                }
                judged = true
                let chatterActions = collector.actions(of: button)
                if chatterActions != [.press, .release] {
                    report.failures.append("chatter of \(chatterEdges) edges: expected exactly press, release; got \(chatterActions)")
                }
            }
            if !judged {
                report.failures.append("chatter: the actuator could not make \(chatterEdges) edges within the debounce window \(timing.debounce) in 3 attempts")
            }

            // 3. Long press with auto-repeat.
            collector.reset()
            try await actuator.set(button, pressed: true)
            try await actuator.hold(timing.longPress + timing.repeatInterval * 2 + timing.repeatInterval / 2)
            try await actuator.set(button, pressed: false)
            _ = await collector.waitFor(button, .release, within: patience)
            let held = collector.actions(of: button)
            let repeats = held.filter { $0 == .autoRepeat }.count
            let shapeOK = held.first == .press && held.count >= 4 && held[1] == .longPress && held.last == .release
                && held.dropFirst(2).dropLast().allSatisfy { $0 == .autoRepeat }
            if !shapeOK || repeats < 1 {
                report.failures.append("long press: expected press, longPress, autoRepeat..., release; got \(held)")
            }
            report.notes.append("long press: \(repeats) auto-repeats")
            for fault in collector.faults { report.notes.append("fault: \(fault)") }
        } catch {
            report.failures.append("the actuator failed: \(error)")
        }
        return report
    }
}

/// Gathers a source's events for the contract.
final class EventCollector: Sendable {
    private struct State {
        var events: [ButtonEvent] = []
        var faults: [DeviceFault] = []
    }
    private let state = Mutex(State())

    func add(_ input: ButtonInput) {
        state.withLock { state in
            switch input {
            case .event(let event): state.events.append(event)
            case .fault(let fault): state.faults.append(fault)
            case .recovered: break
            }
        }
    }

    func reset() { state.withLock { $0.events = [] } }
    var faults: [DeviceFault] { state.withLock { $0.faults } }
    func actions(of button: Button) -> [ButtonAction] { state.withLock { $0.events.filter { $0.button == button }.map(\.action) } }

    /// True once `action` of `button` has been seen (since the last reset); false after `within`.
    /// Checks every few milliseconds: this is the test's wait, not the device path.
    func waitFor(_ button: Button, _ action: ButtonAction, within: Duration) async -> Bool {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.events.contains { $0.button == button && $0.action == action } }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}
