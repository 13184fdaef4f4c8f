import Synchronization
import WaysideCore

/// What a visitor carries away from one kiosk to another: the confirmation code they read
/// on the receipt, which they give at the port. Shared by the sim's shelter visitor and
/// its port visit.
public final class VisitorPocket: Sendable {
    private let code = Mutex<String?>(nil)
    public init() {}
    public var confirmationCode: String? { code.withLock { $0 } }
    func keep(_ found: String) { code.withLock { $0 = found } }
}

/// A visitor that follows a script: when a given screen appears, it presses a button,
/// or types text on the screen's keyboard by reading where the cursor is.
///
/// It is both a ``Screen`` (it watches what the kiosk shows) and a ``ButtonSource`` (it
/// presses). Keyed on screen ids and on what the screen shows rather than on delays, a
/// script is deterministic however fast or slow the board is, and it keeps working when
/// the keyboard's layout or its predicted cursor changes. The sim board uses it when
/// there is no terminal; tests use it to drive whole visits.
public actor ScriptedVisitor: Screen, ButtonSource {
    /// What the visitor does on a screen.
    public enum Action: Sendable, Equatable {
        case press(Button)
        /// Types the text with the arrows and OK, then the tick.
        case type(String)
        /// Types the confirmation code in the visitor's pocket (without dashes).
        case typeCarriedCode
        /// Presses the buttons listed for whichever of these screens appears (a branch:
        /// e.g. the officer confirms a match but refers a non-match).
        case choose([String: [Button]])
    }

    /// One step: when a screen whose id is in `screens` is shown, do `action`.
    public struct Step: Sendable, Equatable {
        public var screens: Set<String>
        public var action: Action
        /// How long the visitor looks at the screen before acting (a test takes a
        /// screenshot of it meanwhile); zero for every step of a normal script.
        public var pause: Duration = .zero
        public init(on screens: Set<String>, press button: Button) {
            self.screens = screens
            self.action = .press(button)
        }
        public init(on screen: String, press button: Button) {
            self.init(on: [screen], press: button)
        }
        public init(on screen: String, type text: String) {
            self.screens = [screen]
            self.action = .type(text)
        }
        public init(typeCarriedCodeOn screen: String) {
            self.screens = [screen]
            self.action = .typeCarriedCode
        }
        public init(choosing presses: [String: [Button]]) {
            self.screens = Set(presses.keys)
            self.action = .choose(presses)
        }
    }

    public nonisolated let name = "scripted visitor"
    private let script: [Step]
    private var next = 0
    private let continuation: AsyncStream<ButtonInput>.Continuation
    private let stream: AsyncStream<ButtonInput>
    /// Every screen shown, in order (ids only: no personal data is kept).
    public private(set) var screensSeen: [String] = []
    /// Buttons pressed, for measuring how much work a visit is.
    public private(set) var pressCount = 0

    /// Presses a button outside the process (e.g. on gpio-sim lines, so the kiosk's real
    /// GPIO code sees kernel edges); nil: presses are this visitor's own button events.
    public typealias Finger = @Sendable (Button) async throws -> Void
    private let finger: Finger?
    /// The presses that wait, one after another, and how many are still to be delivered.
    private var pressing: Task<Void, Never>?
    private var pendingPresses = 0
    /// What went wrong with the finger, if anything (the kiosk then waits in vain).
    public private(set) var fingerError: String?

    /// Where the visitor keeps the code from a receipt (nil: they keep nothing).
    private let pocket: VisitorPocket?

    public init(script: [Step], finger: Finger? = nil, pocket: VisitorPocket? = nil) {
        self.script = script
        self.finger = finger
        self.pocket = pocket
        (stream, continuation) = AsyncStream.makeStream(of: ButtonInput.self)
        if script.isEmpty || finger != nil { continuation.finish() }
    }

    /// The shelter visit the sim board plays without a terminal: Spanish, read the
    /// notice, type a name and a birth date, skip the optional fields, agree to the
    /// photo, accept it, take the receipt.
    public static let shelterVisit: [Step] = [
        Step(on: "attract", press: .ok),
        Step(on: "language", press: .down),
        Step(on: "language", press: .ok),
        Step(on: "notice", press: .ok),
        Step(on: "field-givenName", type: "MARIA"),
        Step(on: "field-familyName", type: "LOPEZ"),
        Step(on: "field-birthDate", type: "17041990"),
        Step(on: "field-country", press: .ok),
        Step(on: "field-aNumber", type: ""),
        Step(on: "field-phone", type: ""),
        Step(on: "field-port", press: .ok),
        Step(on: "review", press: .ok),
        Step(on: "consent", press: .ok),
        Step(on: "photo-review", press: .ok),
        Step(on: ["saved", "saved-offline"], press: .ok),
    ]

    /// The port check-in the sim plays after its shelter visit: the officer unlocks the
    /// station with `pin`, types the code the person carries, asks for the photo check, and
    /// confirms a match or refers anything else (the station never decides alone); then the
    /// person is told, and the officer locks the station.
    public static func portCheckIn(pin: String) -> [Step] {
        let refer: [Button] = [.down, .ok]
        return [
            Step(on: "port-locked", type: pin),
            Step(on: "port-menu", press: .ok),
            Step(on: "port-identify", press: .ok),
            Step(typeCarriedCodeOn: "port-code"),
            Step(on: "port-appointment", press: .ok),
            Step(on: "port-consent", press: .ok),
            Step(choosing: ["port-result-match": [.ok], "port-result-review": refer,
                            "port-result-no-match": refer, "port-result-possible-mix-up": refer]),
            Step(on: ["port-recorded-checked-in", "port-recorded-referred"], press: .ok),
            Step(on: "port-menu", press: .down),
            Step(on: "port-menu", press: .down),
            Step(on: "port-menu", press: .ok),
        ]
    }

    /// True once every step was played and its press delivered.
    public var finished: Bool { next >= script.count && pendingPresses == 0 }

    /// The step the visitor is waiting for, for a message when a visit stalls.
    public var waitingFor: Step? { next >= script.count ? nil : script[next] }

    public func show(_ content: ScreenContent) {
        screensSeen.append(content.id)
        if let pocket, content.id == "saved" || content.id == "saved-offline",
           let code = content.lines.lazy.compactMap(ConfirmationCode.find(in:)).first {
            pocket.keep(code)
        }
        guard next < script.count, script[next].screens.contains(content.id) else { return }
        switch script[next].action {
        case .press(let button):
            let pause = script[next].pause
            next += 1
            press(button, after: pause)
        case .type(let text):
            type(text, on: content)
        case .typeCarriedCode:
            guard let code = pocket?.confirmationCode else {
                fingerError = "no confirmation code was carried from a receipt"
                return
            }
            type(code.filter { $0 != "-" }, on: content)
        case .choose(let presses):
            let pause = script[next].pause
            next += 1
            for button in presses[content.id] ?? [] { press(button, after: pause) }
        }
        if next == script.count, pendingPresses == 0 { continuation.finish() }
    }

    private func type(_ text: String, on content: ScreenContent) {
        guard let button = Self.nextButton(toType: text, on: content) else { return }
        if button == .ok, let keyboard = content.keyboard, keyboard.rows[keyboard.row][keyboard.column] == "✓" { next += 1 }
        press(button)
    }

    private func press(_ button: Button, after pause: Duration = .zero) {
        pressCount += 1
        guard finger != nil || pause > .zero || pendingPresses > 0 else {
            continuation.yield(.event(ButtonEvent(button, .press)))
            continuation.yield(.event(ButtonEvent(button, .release)))
            return
        }
        // Presses that wait (a pause, or a finger outside the process) run one after another.
        pendingPresses += 1
        let previous = pressing
        pressing = Task {
            await previous?.value
            if pause > .zero { try? await Task.sleep(for: pause) }
            await self.deliver(button)
        }
    }

    private func deliver(_ button: Button) async {
        defer { pendingPresses -= 1 }
        guard let finger else {
            continuation.yield(.event(ButtonEvent(button, .press)))
            continuation.yield(.event(ButtonEvent(button, .release)))
            if next == script.count, pendingPresses == 1 { continuation.finish() }
            return
        }
        do { try await finger(button) } catch { recordFingerError("\(button.rawValue): \(error)") }
    }

    private func recordFingerError(_ text: String) { fingerError = text }

    /// The button that brings the screen's keyboard one step closer to having typed `text`.
    public static func nextButton(toType text: String, on content: ScreenContent) -> Button? {
        guard let keyboard = content.keyboard else { return nil }
        // The date screen shows "17/04/____" and the A-Number screen an "A" label: neither is typed text.
        var typed = (content.entry ?? "").filter { $0 != "/" && $0 != "_" }
        if content.id == "port-anumber", typed.hasPrefix("A") { typed.removeFirst() }
        let target = Array(text)
        // A masked entry (a PIN) shows stars: trust that what was typed so far was right.
        if !typed.isEmpty, typed.allSatisfy({ $0 == "*" }), typed.count <= target.count { typed = String(target.prefix(typed.count)) }
        let wanted: String
        if typed.count < target.count, typed == String(target.prefix(typed.count)) {
            wanted = target[typed.count] == " " ? "␣" : String(target[typed.count])
        } else if typed == text {
            wanted = "✓"
        } else {
            wanted = "⌫"
        }
        var goal: (row: Int, column: Int)?
        for (r, row) in keyboard.rows.enumerated() { if let c = row.firstIndex(of: wanted) { goal = (r, c); break } }
        guard let goal else { return nil }
        if goal.row != keyboard.row {
            let rows = keyboard.rows.count
            let down = (goal.row - keyboard.row + rows) % rows
            return down <= rows - down ? .down : .up
        }
        if goal.column != keyboard.column {
            let columns = keyboard.rows[goal.row].count
            let right = (goal.column - keyboard.column + columns) % columns
            return right <= columns - right ? .right : .left
        }
        return .ok
    }

    public nonisolated func inputs() -> AsyncStream<ButtonInput> { stream }
}
