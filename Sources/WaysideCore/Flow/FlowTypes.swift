import Foundation

/// What happens to a visit: buttons, results of the devices and services, timers.
public enum FlowEvent: Sendable, Equatable {
    case button(ButtonEvent)
    /// Advice from the capture pipeline while it works, as a catalog key ("capture.closer").
    case guidance(String)
    /// The capture pipeline took a photo (and a template when a face engine is present).
    case photoCaptured(jpeg: Data, template: FaceTemplate?)
    /// The capture pipeline gave up on this attempt (no face, liveness not passed, camera fault).
    case captureFailed(reason: String)
    /// The outbox committed the submission durably.
    case saved
    /// The outbox refused the submission.
    case saveFailed(OutboxError.Code)
    /// The intake's receipt for the saved submission arrived.
    case receiptArrived(Receipt)
    /// The step's timer ran out.
    case timerExpired
    /// Port: the officer's PIN was checked.
    case pinChecked(Bool)
    /// Port: the appointment lookup answered (nil: nothing found; a failure is nil too, with the reason logged).
    case lookedUp(AppointmentSummary?)
    /// Port: the matcher's decision.
    case matched(MatchDecision)
    /// Port: the matcher could not compare (no template, engine mismatch).
    case matchFailed(reason: String)
    /// Port: the check-in record was sealed and queued.
    case checkInRecorded
    /// Shelter: where the request with the typed code stands.
    case statusAnswered(StatusAnswer)
}

/// What a flow asks the outside world to do. Flows never do I/O themselves.
public enum FlowEffect: Sendable, Equatable {
    case show(ScreenContent)
    case say(String, languageTag: String)
    /// Turn the camera on and take a photo; answered by `guidance`, then `photoCaptured` or `captureFailed`.
    case capturePhoto(languageTag: String)
    case stopCamera
    /// Seal and commit; answered by `saved` or `saveFailed`.
    case submit(Submission)
    case printReceipt(ReceiptPrintout)
    case helpLamp(on: Bool)
    /// (Re)start the step's timer; answered by `timerExpired`.
    case startTimer(Duration)
    /// Wipe everything of the visit from memory and screen.
    case forgetVisit
    /// Port: check the officer's PIN; answered by `pinChecked`.
    case verifyPIN(String)
    /// Port: find an appointment; answered by `lookedUp`.
    case lookUp(PersonQuery)
    /// Port: compare with the expected person and today's gallery; answered by `matched` or `matchFailed`.
    case match(FaceTemplate, expected: UUID)
    /// Port: seal and queue the check-in; answered by `checkInRecorded`.
    case recordCheckIn(CheckInRecord)
    /// Shelter: find where a request stands by its code; answered by `statusAnswered`.
    case lookUpStatus(code: String)
}

/// A kiosk visit as a pure state machine: events in, effects out.
public protocol VisitFlow: Sendable {
    /// The effects that put the kiosk in its first state.
    mutating func start() -> [FlowEffect]
    /// Handles one event at wall-clock time `now` (used for records, never for timing).
    mutating func handle(_ event: FlowEvent, now: Date) -> [FlowEffect]
    /// True at the resting screen with no visit under way.
    var isResting: Bool { get }
    /// True when nothing of a visit is held in memory.
    var holdsNoVisitData: Bool { get }
}

/// Turns catalog keys into screens and speech in one language.
struct Prompter: Sendable {
    let catalog: MessageCatalog
    let language: Language

    func text(_ key: String, _ arguments: String...) -> String {
        catalog.text(key, in: language, arguments: arguments)
    }

    func say(_ lines: [String]) -> [FlowEffect] {
        lines.filter { !$0.isEmpty }.map { .say($0, languageTag: language.tag) }
    }

    func screen(_ id: String, title: String, lines: [String] = [], choices: ChoiceList? = nil,
                footer: String? = nil, entry: String? = nil, keyboard: GridKeyboard? = nil) -> ScreenContent {
        var content = ScreenContent(id: id, title: title, lines: lines, choices: choices?.options ?? [],
                                    selectedChoice: choices?.highlighted, footer: footer ?? text("footer.navigate"),
                                    direction: language.direction, languageTag: language.tag, entry: entry)
        if let keyboard {
            content.keyboard = KeyboardView(rows: keyboard.rows.map { $0.map(\.label) }, row: keyboard.row, column: keyboard.column)
        }
        return content
    }

    /// A code read character by character ("K 7 Q 4, M X 2 P, Z"), as people write it down.
    func spelled(_ code: String) -> String {
        code.split(separator: "-").map { $0.map(String.init).joined(separator: " ") }.joined(separator: ", ")
    }
}
