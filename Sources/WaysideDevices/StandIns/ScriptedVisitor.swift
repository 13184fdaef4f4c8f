import WaysideCore

/// A visitor that follows a script: when a given screen appears, it presses a button.
///
/// It is both a ``Screen`` (it watches what the kiosk shows) and a ``ButtonSource`` (it
/// presses). Keyed on screen ids rather than on delays, a script is deterministic however
/// fast or slow the board is. The sim board uses it when there is no terminal; tests use
/// it to drive whole visits.
public actor ScriptedVisitor: Screen, ButtonSource {
    /// One step: when a screen whose id is in `screens` is shown, press `button`.
    public struct Step: Sendable, Equatable {
        public var screens: Set<String>
        public var button: Button
        public init(on screens: Set<String>, press button: Button) {
            self.screens = screens
            self.button = button
        }
        public init(on screen: String, press button: Button) {
            self.init(on: [screen], press: button)
        }
    }

    public nonisolated let name = "scripted visitor"
    private let script: [Step]
    private var next = 0
    private let continuation: AsyncStream<ButtonInput>.Continuation
    private let stream: AsyncStream<ButtonInput>
    /// Every screen shown, in order (ids only: no personal data is kept).
    public private(set) var screensSeen: [String] = []

    public init(script: [Step]) {
        self.script = script
        (stream, continuation) = AsyncStream.makeStream(of: ButtonInput.self)
        if script.isEmpty { continuation.finish() }
    }

    /// The shelter visit the sim board plays without a terminal: Spanish, read the
    /// notice, agree to the photo, take the receipt.
    public static let shelterVisit: [Step] = [
        Step(on: "attract", press: .ok),
        Step(on: "language", press: .down),
        Step(on: "language", press: .ok),
        Step(on: "notice", press: .ok),
        Step(on: "consent", press: .ok),
        Step(on: ["saved", "saved-offline"], press: .ok),
    ]

    /// True once every step was played.
    public var finished: Bool { next >= script.count }

    /// The step the visitor is waiting for, for a message when a visit stalls.
    public var waitingFor: Step? { finished ? nil : script[next] }

    public func show(_ content: ScreenContent) {
        screensSeen.append(content.id)
        guard next < script.count, script[next].screens.contains(content.id) else { return }
        let button = script[next].button
        next += 1
        continuation.yield(.event(ButtonEvent(button, .press)))
        continuation.yield(.event(ButtonEvent(button, .release)))
        if next == script.count { continuation.finish() }
    }

    public nonisolated func inputs() -> AsyncStream<ButtonInput> { stream }
}
