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

    /// Plays `gesture` up to three times until an attempt is made as meant (the gesture
    /// returns why it was not, or nil), then compares the button's actions with `expected`.
    private func judge(_ name: String, expecting expected: [ButtonAction], collector: EventCollector,
                       report: inout Report, gesture: () async throws -> String?) async throws {
        for attempt in 1...3 {
            collector.reset()
            if let why = try await gesture() {
                report.notes.append("\(name), attempt \(attempt): \(why); retried")
                continue
            }
            let actions = collector.actions(of: button)
            if actions != expected { report.failures.append("\(name): expected \(expected), got \(actions)") }
            return
        }
        report.failures.append("\(name): the actuator could not make the gesture as meant in 3 attempts")
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

            // A gesture that a loaded machine stretched (a sleep that overslept past the
            // long-press time, a burst slower than the debounce window) rightly yields
            // something else: such an attempt is retried, not judged.
            let stretched = { (burst: Duration, held: Duration) -> String? in
                if burst >= timing.debounce { return "the burst took \(burst), longer than the debounce window" }
                if held >= timing.longPress { return "the button stayed down \(held), past the long-press time" }
                return nil
            }

            // 1. Clean press and release.
            try await judge("clean press", expecting: [.press, .release], collector: collector, report: &report) {
                let pressedAt = ContinuousClock.now
                try await actuator.set(button, pressed: true)
                try await actuator.hold(timing.debounce * 2)
                try await actuator.set(button, pressed: false)
                let held = pressedAt.duration(to: .now)
                _ = await collector.waitFor(button, .release, within: patience)
                try await actuator.hold(timing.debounce * 2)
                return stretched(.zero, held)
            }
            report.notes.append("clean press: \(collector.faults.count) faults seen")

            // 2. Chatter ending pressed, then a clean release: exactly one press.
            try await judge("chatter of \(chatterEdges) edges", expecting: [.press, .release], collector: collector, report: &report) {
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
                return stretched(burst, held)
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
