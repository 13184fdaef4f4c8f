/// The kiosk's physical buttons. A board profile maps each to a GPIO line or a key.
public enum Button: String, Sendable, Equatable, CaseIterable, Codable {
    case up, down, left, right
    /// Confirm the highlighted choice.
    case ok
    /// Go back one step.
    case back
    /// Ask for staff; lights the help lamp.
    case help
    /// Say the current prompt again.
    case `repeat`
}

/// What happened to a button, after debouncing.
public enum ButtonAction: String, Sendable, Equatable {
    case press
    case release
    /// Held past the long-press time (reported once per hold, after `press`).
    case longPress
    /// Auto-repeat while held, after the long press.
    case autoRepeat
}

/// One debounced button event, stamped with the monotonic time of the edge that caused it.
public struct ButtonEvent: Sendable, Equatable {
    public var button: Button
    public var action: ButtonAction
    public var timestamp: Duration

    public init(_ button: Button, _ action: ButtonAction, at timestamp: Duration = .zero) {
        self.button = button
        self.action = action
        self.timestamp = timestamp
    }
}

/// What a ``ButtonSource`` yields.
public enum ButtonInput: Sendable, Equatable {
    case event(ButtonEvent)
    case fault(DeviceFault)
    case recovered
}

/// Buttons: GPIO lines, terminal keys, a test's control socket, or a script.
public protocol ButtonSource: Sendable {
    var name: String { get }
    /// Debounced events until the consuming task is cancelled (a script may finish earlier).
    func inputs() -> AsyncStream<ButtonInput>
}

/// A lamp or buzzer the kiosk switches on when a person asks for staff.
public protocol HelpSignal: Sendable {
    func set(_ on: Bool) async
}
