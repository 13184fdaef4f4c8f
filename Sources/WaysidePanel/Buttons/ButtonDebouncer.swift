import WaysideCore

/// How long a button must be quiet, held, and how fast it repeats.
public struct ButtonTiming: Sendable, Equatable {
    /// Edges within this time of a reported change are contact chatter, not a new change.
    public var debounce: Duration
    /// Held this long, a press also reports ``ButtonAction/longPress``.
    public var longPress: Duration
    /// After the long press, ``ButtonAction/autoRepeat`` at this interval while held.
    public var repeatInterval: Duration

    public init(debounce: Duration = .milliseconds(20), longPress: Duration = .milliseconds(800),
                repeatInterval: Duration = .milliseconds(250)) {
        self.debounce = debounce
        self.longPress = longPress
        self.repeatInterval = repeatInterval
    }
}

/// Debounce, long press and auto-repeat for a set of buttons, driven only by the times it
/// is given: the kernel's monotonic edge timestamps and the caller's "now". It reads no
/// clock itself, so tests replay edge sequences with exact times and nothing waits.
///
/// Leading-edge debounce: the first edge that changes a button's state is reported at once
/// (a press shows on screen with no added delay), then edges are ignored for ``ButtonTiming/debounce``;
/// at the end of that window the line's last level is compared with what was reported, so
/// a press whose chatter ends released is still followed by its release. libgpiod 1.6 has
/// no kernel debounce (that came with the v2 uAPI), hence doing it here.
public struct ButtonDebouncer: Sendable {
    struct LineState: Sendable {
        var reported = false
        var raw = false
        var lockoutUntil: Duration?
        var pressedAt: Duration?
        var longPressSent = false
        var nextRepeat: Duration?
    }

    public let timing: ButtonTiming
    private var states: [Button: LineState] = [:]

    public init(timing: ButtonTiming) {
        self.timing = timing
    }

    /// Whether `button` is pressed as far as the kiosk knows (after debouncing).
    public func isPressed(_ button: Button) -> Bool { states[button]?.reported ?? false }

    /// The level the last edge of `button` left its line at (pressed or not), debounced or not.
    public func lastLevel(_ button: Button) -> Bool { states[button]?.raw ?? false }

    /// One edge: the line of `button` now reads `pressed`, at monotonic time `time`.
    /// Returns the events due up to and including this edge, oldest first.
    public mutating func edge(_ button: Button, pressed: Bool, at time: Duration) -> [ButtonEvent] {
        var events = advance(to: time)
        var state = states[button] ?? LineState()
        state.raw = pressed
        if state.lockoutUntil == nil, pressed != state.reported {
            report(button, pressed: pressed, at: time, state: &state, into: &events)
        }
        states[button] = state
        return events
    }

    /// Events that fall due by `now` with no edge: the end of a debounce window, a long
    /// press, auto-repeats. Oldest first.
    public mutating func advance(to now: Duration) -> [ButtonEvent] {
        var events: [ButtonEvent] = []
        for button in Button.allCases {
            guard var state = states[button] else { continue }
            while let due = Self.nextDeadline(of: state, timing: timing), due <= now {
                if let lock = state.lockoutUntil, lock == due {
                    state.lockoutUntil = nil
                    if state.raw != state.reported {
                        report(button, pressed: state.raw, at: lock, state: &state, into: &events)
                    }
                } else if !state.longPressSent, let pressedAt = state.pressedAt, pressedAt + timing.longPress == due {
                    state.longPressSent = true
                    events.append(ButtonEvent(button, .longPress, at: due))
                    state.nextRepeat = due + timing.repeatInterval
                } else if let next = state.nextRepeat, next == due {
                    events.append(ButtonEvent(button, .autoRepeat, at: due))
                    // A caller that fell far behind (a stalled thread) gets one repeat, not a burst.
                    var following = next + timing.repeatInterval
                    if following <= now { following = now + timing.repeatInterval }
                    state.nextRepeat = following
                } else {
                    break
                }
            }
            states[button] = state
        }
        return events.sorted { $0.timestamp < $1.timestamp }
    }

    /// The earliest time at which ``advance(to:)`` has something to do; nil when nothing is pending.
    public var nextDeadline: Duration? {
        states.values.compactMap { Self.nextDeadline(of: $0, timing: timing) }.min()
    }

    private static func nextDeadline(of state: LineState, timing: ButtonTiming) -> Duration? {
        var candidates: [Duration] = []
        if let lock = state.lockoutUntil { candidates.append(lock) }
        if state.reported, let pressedAt = state.pressedAt {
            if !state.longPressSent { candidates.append(pressedAt + timing.longPress) }
            else if let next = state.nextRepeat { candidates.append(next) }
        }
        return candidates.min()
    }

    private func report(_ button: Button, pressed: Bool, at time: Duration, state: inout LineState,
                        into events: inout [ButtonEvent]) {
        state.reported = pressed
        state.lockoutUntil = time + timing.debounce
        if pressed {
            state.pressedAt = time
            state.longPressSent = false
            state.nextRepeat = nil
            events.append(ButtonEvent(button, .press, at: time))
        } else {
            state.pressedAt = nil
            state.longPressSent = false
            state.nextRepeat = nil
            events.append(ButtonEvent(button, .release, at: time))
        }
    }
}
