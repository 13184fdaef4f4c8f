import Foundation

/// What happens to the kiosk flow: buttons, results of capture and saving, timers.
public enum FlowEvent: Sendable, Equatable {
    case button(ButtonEvent)
    /// The capture pipeline took the photo the person will review.
    case photoCaptured(jpeg: Data, template: FaceTemplate?)
    /// The capture pipeline gave up on this attempt (no face, camera fault).
    case captureFailed(reason: String)
    /// The outbox committed the submission durably.
    case saved
    /// The outbox refused the submission.
    case saveFailed(OutboxError.Code)
    /// The intake's receipt for the saved submission arrived.
    case receiptArrived(Receipt)
    /// The step's timer ran out.
    case timerExpired
}

/// What the flow asks the outside world to do. The ``KioskFlow`` never does I/O itself.
public enum FlowEffect: Sendable, Equatable {
    case show(ScreenContent)
    case say(String, languageTag: String)
    /// Turn the camera on and take a photo; answer with `photoCaptured` or `captureFailed`.
    case capturePhoto
    case stopCamera
    /// Seal and commit; answer with `saved` or `saveFailed`.
    case submit(Submission)
    case helpLamp(on: Bool)
    /// (Re)start the step's timer; the kiosk answers with `timerExpired`.
    case startTimer(Duration)
    /// Wipe everything of the visit from memory and screen.
    case forgetVisit
}

/// The steps of a shelter visit.
public enum FlowStep: Sendable, Equatable {
    case attract
    case chooseLanguage(highlighted: Int)
    case notice
    case consent(highlighted: Int)
    case capturing(attempt: Int)
    case saving
    /// Saved; `code` is the intake's confirmation code, or nil while it is not reachable.
    case saved(code: String?)
    case askStaff
    case outboxFull
}

/// The shelter visit as a pure state machine: events in, effects out.
///
/// Testable without devices: feed it events, read its effects. Every failure path ends
/// at a person (staff) or an alternative (registering without a photo), never at a dead end.
public struct KioskFlow: Sendable {
    public private(set) var step: FlowStep = .attract
    public let catalog: MessageCatalog
    /// How long a step waits for the person before the visit is forgotten.
    public var idleTimeout: Duration = .seconds(120)
    /// How long the receipt stays on screen.
    public var receiptTimeout: Duration = .seconds(60)
    /// Capture attempts before the kiosk offers staff and the photo-free path.
    public var maxCaptureAttempts = 3

    private var language: Language
    private var visit = Visit()

    /// What this visit has gathered; wiped by `forgetVisit`.
    private struct Visit: Sendable {
        var details = PersonDetails()
        var consent: ConsentRecord?
        var photo: Data?
        var template: FaceTemplate?
        var submissionID: UUID?
    }

    public init(catalog: MessageCatalog) {
        self.catalog = catalog
        self.language = catalog.languages.first ?? Language(tag: "en", espeakVoice: nil)
    }

    /// The language of the current visit.
    public var currentLanguage: Language { language }

    /// True when nothing of a visit is held in memory.
    public var holdsNoVisitData: Bool {
        visit.consent == nil && visit.photo == nil && visit.template == nil
            && visit.submissionID == nil && visit.details == PersonDetails()
    }

    /// The effects that put the kiosk in its first state.
    public mutating func start() -> [FlowEffect] {
        enter(.attract)
    }

    /// Handles one event at wall-clock time `now` (used only for the consent record and submission).
    public mutating func handle(_ event: FlowEvent, now: Date) -> [FlowEffect] {
        switch (step, event) {
        case (_, .button(let press)) where press.action == .press || press.action == .autoRepeat:
            return handleButton(press.button, now: now)
        case (_, .button):
            return []
        case (.attract, .timerExpired):
            return []
        case (.saved, .timerExpired), (.outboxFull, .timerExpired):
            return forgetAndRestart()
        case (_, .timerExpired):
            return forgetAndRestart()
        case (.capturing, .photoCaptured(let jpeg, let template)):
            visit.photo = jpeg
            visit.template = template
            return [.stopCamera] + submit(now: now)
        case (.capturing(let attempt), .captureFailed):
            if attempt >= maxCaptureAttempts {
                // Never a dead end and never the person's fault: offer staff, and
                // register without the photo.
                return [.stopCamera, .helpLamp(on: true)] + say("capture.failed") + submit(now: now)
            }
            return say("capture.failed") + enter(.capturing(attempt: attempt + 1))
        case (.saving, .saved):
            return enter(.saved(code: nil))
        case (.saving, .saveFailed):
            return [.helpLamp(on: true)] + enter(.outboxFull)
        case (.saved, .receiptArrived(let receipt)) where receipt.submissionID == visit.submissionID:
            return enter(.saved(code: receipt.confirmationCode))
        default:
            return []
        }
    }

    private mutating func handleButton(_ button: Button, now: Date) -> [FlowEffect] {
        if button == .repeat { return render(speak: true).filter { if case .say = $0 { true } else { false } } }
        if button == .help, step != .askStaff { return [.helpLamp(on: true)] + enter(.askStaff) }
        switch step {
        case .attract:
            return enter(.chooseLanguage(highlighted: 0))
        case .chooseLanguage(let index):
            switch button {
            case .up: return enter(.chooseLanguage(highlighted: max(0, index - 1)), speak: false)
            case .down: return enter(.chooseLanguage(highlighted: min(catalog.languages.count - 1, index + 1)), speak: false)
            case .ok:
                language = catalog.languages[index]
                return enter(.notice)
            case .back: return forgetAndRestart()
            default: return []
            }
        case .notice:
            switch button {
            case .ok: return enter(.consent(highlighted: 0))
            case .back: return enter(.chooseLanguage(highlighted: catalog.languages.firstIndex(of: language) ?? 0))
            default: return []
            }
        case .consent(let index):
            switch button {
            case .up, .down: return enter(.consent(highlighted: 1 - index), speak: false)
            case .back: return enter(.notice)
            case .ok:
                let yes = index == 0
                visit.consent = ConsentRecord(languageTag: language.tag,
                                              noticeVersion: catalog.version(of: "notice.body", in: language),
                                              photoConsented: yes, time: now)
                if yes { return enter(.capturing(attempt: 1)) }
                return submit(now: now)
            default: return []
            }
        case .askStaff:
            if button == .ok || button == .back { return [.helpLamp(on: false)] + forgetAndRestart() }
            return []
        case .saved:
            if button == .ok { return forgetAndRestart() }
            return []
        case .capturing, .saving, .outboxFull:
            return []
        }
    }

    private mutating func submit(now: Date) -> [FlowEffect] {
        let id = UUID()
        visit.submissionID = id
        let consent = visit.consent ?? ConsentRecord(languageTag: language.tag,
                                                     noticeVersion: catalog.version(of: "notice.body", in: language),
                                                     photoConsented: false, time: now)
        let submission = Submission(id: id, createdAt: now, details: visit.details, consent: consent,
                                    photoJPEG: consent.photoConsented ? visit.photo : nil,
                                    template: consent.photoConsented ? visit.template : nil)
        return enter(.saving) + [.submit(submission)]
    }

    private mutating func forgetAndRestart() -> [FlowEffect] {
        visit = Visit()
        language = catalog.languages.first ?? language
        return [.forgetVisit, .show(.blank)] + enter(.attract)
    }

    private mutating func enter(_ next: FlowStep, speak: Bool = true) -> [FlowEffect] {
        step = next
        var effects = render(speak: speak)
        switch next {
        case .attract: break
        case .capturing: effects.append(.capturePhoto); effects.append(.startTimer(idleTimeout))
        case .saved: effects.append(.startTimer(receiptTimeout))
        default: effects.append(.startTimer(idleTimeout))
        }
        return effects
    }

    private func say(_ key: String) -> [FlowEffect] {
        [.say(catalog.text(key, in: language), languageTag: language.tag)]
    }

    /// The screen (and, if `speak`, the spoken prompt) of the current step.
    private func render(speak: Bool) -> [FlowEffect] {
        let t = { (key: String) in catalog.text(key, in: language) }
        let footer = t("footer.navigate")
        var content: ScreenContent
        var spoken: [String]
        switch step {
        case .attract:
            content = ScreenContent(id: "attract", title: t("attract.title"), lines: [t("attract.body")])
            spoken = []
        case .chooseLanguage(let index):
            let names = catalog.languages.map { catalog.text("language.name", in: $0) }
            content = ScreenContent(id: "language", title: t("language.title"), lines: [t("language.hint")],
                                    choices: names, selectedChoice: index)
            spoken = [catalog.text("language.name", in: catalog.languages[index])]
        case .notice:
            content = ScreenContent(id: "notice", title: t("notice.title"), lines: [t("notice.body")], footer: footer)
            spoken = [t("notice.title"), t("notice.body")]
        case .consent(let index):
            content = ScreenContent(id: "consent", title: t("consent.title"), lines: [t("consent.body")],
                                    choices: [t("consent.yes"), t("consent.no")], selectedChoice: index, footer: footer)
            spoken = [t("consent.title"), t("consent.body")]
        case .capturing:
            content = ScreenContent(id: "capture", title: t("capture.title"), lines: [t("capture.hold")])
            spoken = [t("capture.title")]
        case .saving:
            content = ScreenContent(id: "saving", title: t("saving.title"))
            spoken = []
        case .saved(let code):
            if let code {
                content = ScreenContent(id: "saved", title: t("saved.title"),
                                        lines: [catalog.text("saved.code", in: language, code)], footer: footer)
                // Spoken character by character, and twice: people write it down the second time.
                let spokenCode = catalog.text("saved.code", in: language, spelledOut(code))
                spoken = [t("saved.title"), spokenCode, spokenCode]
            } else {
                content = ScreenContent(id: "saved-offline", title: t("saved.title"), lines: [t("saved.offline")], footer: footer)
                spoken = [t("saved.title"), t("saved.offline")]
            }
        case .askStaff:
            content = ScreenContent(id: "help", title: t("help.title"), lines: [t("help.body")])
            spoken = [t("help.title"), t("help.body")]
        case .outboxFull:
            content = ScreenContent(id: "full", title: t("full.title"), lines: [t("full.body")])
            spoken = [t("full.title"), t("full.body")]
        }
        content.direction = language.direction
        content.languageTag = language.tag
        var effects: [FlowEffect] = [.show(content)]
        if speak { effects += spoken.map { .say($0, languageTag: language.tag) } }
        return effects
    }

    /// "K7Q-4MX2" -> "K 7 Q - 4 M X 2": a code is read character by character.
    private func spelledOut(_ code: String) -> String {
        code.map(String.init).joined(separator: " ")
    }
}
