import Foundation

/// The port check-in station: an officer unlocks it, finds the person's appointment,
/// and checks them in by photo (1:1 and 1:N, with liveness) or by their documents.
///
/// The station never decides alone: every match band, "no match" included, ends with the
/// officer's choice, and the photo-free path leads to the same check-in record. Screens
/// for the officer are in English; prompts for the person use the language they
/// registered in.
public struct PortFlow: VisitFlow {
    public enum Purpose: String, Sendable, Equatable { case checkIn, status }

    public struct Options: Sendable {
        /// The station locks itself after this long without input.
        public var idleTimeout: Duration
        public var maxCaptureAttempts: Int
        public init(idleTimeout: Duration = .seconds(120), maxCaptureAttempts: Int = 3) {
            self.idleTimeout = idleTimeout
            self.maxCaptureAttempts = maxCaptureAttempts
        }
    }

    public enum Step: Sendable, Equatable {
        case locked(GridKeyboard, problem: String?)
        case checkingPIN
        case menu(ChoiceList)
        case identifyBy(ChoiceList, Purpose)
        case enterCode(GridKeyboard, Purpose, problem: String?)
        case enterANumber(GridKeyboard, Purpose, problem: String?)
        case lookingUp(Purpose)
        case status(AppointmentStatus, detail: String?)
        case appointment(ChoiceList)
        case personConsent(ChoiceList)
        case capturing(guidance: String?)
        case matching
        case result(MatchDecision, ChoiceList)
        case biographic(ChoiceList)
        case recording
        case recorded(CheckInRecord.Outcome)
        case askStaff
    }

    public private(set) var step: Step
    public let catalog: MessageCatalog
    public let options: Options
    private var appointment: AppointmentSummary?
    private var decision: MatchDecision?
    private var captureFailures = 0
    private var resumeStep: Step?

    public init(catalog: MessageCatalog, options: Options = Options()) {
        self.catalog = catalog
        self.options = options
        self.step = .locked(.digits(maxLength: 8), problem: nil)
    }

    public var isResting: Bool {
        if case .locked(let keyboard, _) = step { return keyboard.text.isEmpty }
        return false
    }
    public var holdsNoVisitData: Bool { appointment == nil && decision == nil }

    private var officer: Prompter { Prompter(catalog: catalog, language: catalog.language(tagged: "en") ?? catalog.languages[0]) }
    private var person: Prompter {
        Prompter(catalog: catalog, language: appointment.flatMap { catalog.language(tagged: $0.languageTag) } ?? officer.language)
    }

    public mutating func start() -> [FlowEffect] {
        enter(.locked(.digits(maxLength: 8), problem: nil))
    }

    public mutating func handle(_ event: FlowEvent, now: Date) -> [FlowEffect] {
        switch (step, event) {
        case (_, .button(let press)) where press.action == .press || press.action == .autoRepeat:
            return handleButton(press.button, now: now)
        case (.checkingPIN, .pinChecked(let ok)):
            return ok ? enter(menuStep()) : enter(.locked(.digits(maxLength: 8), problem: officer.text("officer.pinWrong")))
        case (.lookingUp(let purpose), .lookedUp(let found)):
            guard let found, found.status != .notFound else {
                return purpose == .status ? enter(.status(.notFound, detail: nil))
                    : enter(.identifyBy(identifyChoices(), .checkIn)) + officer.say([officer.text("officer.notFound")])
            }
            // Only an appointment expected here today can be checked in; anything else
            // (already checked in, closed, another day or port) is shown as its status.
            if purpose == .status || found.status != .pending {
                return enter(.status(found.status, detail: Self.location(of: found)))
            }
            appointment = found
            return enter(.appointment(appointmentChoices()))
        case (.capturing(let current), .guidance(let key)) where current != key:
            step = .capturing(guidance: key)
            return render(speakAll: false) + person.say([person.text(key)])
        case (.capturing, .photoCaptured(_, let template)):
            guard let template, let appointment else {
                return [.stopCamera] + captureFailed()
            }
            return [.stopCamera] + enter(.matching) + [.match(template, expected: appointment.submissionID)]
        case (.capturing, .captureFailed):
            return captureFailed()
        case (.matching, .matched(let result)):
            decision = result
            return enter(.result(result, resultChoices()))
        case (.matching, .matchFailed):
            // Nothing to compare with: the documents decide.
            return enter(.biographic(biographicChoices()))
        case (.recording, .checkInRecorded):
            return enter(.recorded(recordedOutcome))
        case (_, .timerExpired):
            if case .locked = step { return [] }
            if step == .recording || step == .matching { return [] }
            return lock()
        default:
            return []
        }
    }

    private var recordedOutcome: CheckInRecord.Outcome = .checkedIn

    private mutating func captureFailed() -> [FlowEffect] {
        captureFailures += 1
        if captureFailures >= options.maxCaptureAttempts {
            // Never a dead end: after repeated failures the documents decide.
            return [.stopCamera] + person.say([person.text("capture.failed")]) + enter(.biographic(biographicChoices()))
        }
        return person.say([person.text("capture.failed")]) + enter(.capturing(guidance: nil))
    }

    private mutating func handleButton(_ button: Button, now: Date) -> [FlowEffect] {
        if button == .repeat { return prompt().spoken }
        if button == .help, !isResting, step != .askStaff {
            resumeStep = step
            var effects: [FlowEffect] = [.helpLamp(on: true)]
            if case .capturing = step { effects.append(.stopCamera) }
            return effects + enter(.askStaff)
        }
        switch step {
        case .locked(var keyboard, _):
            switch keyboard.press(button) {
            case .editing, .cancelled:
                step = .locked(keyboard, problem: nil)
                return render(speakAll: false)
            case .done(let pin):
                step = .checkingPIN
                return render(speakAll: false) + [.verifyPIN(pin)]
            }
        case .menu(var list):
            guard let chosen = list.press(button) else { step = .menu(list); return render(speakAll: false) }
            switch chosen {
            case 0: return enter(.identifyBy(identifyChoices(), .checkIn))
            case 1: return enter(.identifyBy(identifyChoices(), .status))
            default: return lock()
            }
        case .identifyBy(var list, let purpose):
            guard let chosen = list.press(button) else { step = .identifyBy(list, purpose); return render(speakAll: false) }
            if chosen < 0 { return enter(menuStep()) }
            return chosen == 0 ? enter(.enterCode(.confirmationCode(), purpose, problem: nil))
                : enter(.enterANumber(.digits(maxLength: 9), purpose, problem: nil))
        case .enterCode(var keyboard, let purpose, _):
            switch keyboard.press(button) {
            case .editing:
                step = .enterCode(keyboard, purpose, problem: nil)
                return render(speakAll: false)
            case .cancelled:
                return enter(.identifyBy(identifyChoices(), purpose))
            case .done(let text):
                guard let code = ConfirmationCode.normalise(text) else {
                    step = .enterCode(keyboard, purpose, problem: officer.text("officer.badCode"))
                    return render(speakAll: false)
                }
                return enter(.lookingUp(purpose)) + [.lookUp(.confirmationCode(code))]
            }
        case .enterANumber(var keyboard, let purpose, _):
            switch keyboard.press(button) {
            case .editing:
                step = .enterANumber(keyboard, purpose, problem: nil)
                return render(speakAll: false)
            case .cancelled:
                return enter(.identifyBy(identifyChoices(), purpose))
            case .done(let digits):
                guard digits.count == 8 || digits.count == 9 else {
                    step = .enterANumber(keyboard, purpose, problem: officer.text("officer.badANumber"))
                    return render(speakAll: false)
                }
                return enter(.lookingUp(purpose)) + [.lookUp(.aNumber(digits.count == 8 ? "0" + digits : digits))]
            }
        case .status:
            return button == .ok || button == .back ? enter(menuStep()) : []
        case .appointment(var list):
            guard let chosen = list.press(button) else { step = .appointment(list); return render(speakAll: false) }
            if chosen < 0 { return finishVisit() }
            let canPhoto = appointment?.hasTemplate ?? false
            if chosen == 0, canPhoto {
                return enter(.personConsent(ChoiceList(options: [person.text("port.consent.yes"), person.text("port.consent.no")])))
            }
            return enter(.biographic(biographicChoices()))
        case .personConsent(var list):
            guard let chosen = list.press(button) else {
                step = .personConsent(list)
                return render(speakAll: false) + person.say([list.options[list.highlighted]])
            }
            if chosen == 0 { captureFailures = 0; return enter(.capturing(guidance: nil)) }
            // Declining the photo is always possible and leads to the same outcome.
            return enter(.biographic(biographicChoices()))
        case .capturing:
            return button == .back ? [.stopCamera] + enter(.biographic(biographicChoices())) : []
        case .result(_, var list):
            guard let chosen = list.press(button) else {
                if case .result(let decision, _) = step { step = .result(decision, list) }
                return render(speakAll: false)
            }
            switch chosen {
            case 0: return record(.checkedIn, method: .photo, now: now)
            case 1: return record(.referred, method: .photo, now: now)
            default:
                captureFailures = 0
                return enter(.capturing(guidance: nil))
            }
        case .biographic(var list):
            guard let chosen = list.press(button) else { step = .biographic(list); return render(speakAll: false) }
            if chosen < 0 { return enter(.appointment(appointmentChoices())) }
            return record(chosen == 0 ? .checkedIn : .referred, method: .biographic, now: now)
        case .recorded:
            return button == .ok ? finishVisit() : []
        case .askStaff:
            guard button == .ok || button == .back else { return [] }
            let back = resumeStep ?? menuStep()
            resumeStep = nil
            return [.helpLamp(on: false)] + enter(back)
        case .checkingPIN, .lookingUp, .matching, .recording:
            return []
        }
    }

    private mutating func record(_ outcome: CheckInRecord.Outcome, method: CheckInRecord.Method, now: Date) -> [FlowEffect] {
        guard let appointment else { return finishVisit() }
        recordedOutcome = outcome
        let record = CheckInRecord(submissionID: appointment.submissionID, method: method,
                                   decision: method == .photo ? decision : nil, outcome: outcome, time: now)
        return enter(.recording) + [.recordCheckIn(record)]
    }

    /// Back to the menu with nothing of the person kept.
    private mutating func finishVisit() -> [FlowEffect] {
        appointment = nil
        decision = nil
        captureFailures = 0
        resumeStep = nil
        return [.stopCamera, .forgetVisit, .show(.blank)] + enter(menuStep())
    }

    private mutating func lock() -> [FlowEffect] {
        appointment = nil
        decision = nil
        resumeStep = nil
        return [.stopCamera, .forgetVisit, .show(.blank)] + enter(.locked(.digits(maxLength: 8), problem: nil))
    }

    /// Where and when an appointment is, for the status screen ("San Ysidro, 2026-12-01 08:00 UTC").
    static func location(of found: AppointmentSummary) -> String? {
        guard !found.port.isEmpty else { return nil }
        guard let time = found.time else { return found.port }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return "\(found.port), \(formatter.string(from: time))"
    }

    private func menuStep() -> Step {
        .menu(ChoiceList(options: [officer.text("officer.menu.checkIn"), officer.text("officer.menu.status"), officer.text("officer.menu.lock")]))
    }

    private func identifyChoices() -> ChoiceList {
        ChoiceList(options: [officer.text("officer.identify.code"), officer.text("officer.identify.aNumber")])
    }

    private func appointmentChoices() -> ChoiceList {
        let canPhoto = appointment?.hasTemplate ?? false
        return ChoiceList(options: canPhoto ? [officer.text("officer.method.photo"), officer.text("officer.method.documents")]
                                            : [officer.text("officer.method.documents")])
    }

    private func resultChoices() -> ChoiceList {
        ChoiceList(options: [officer.text("officer.confirm"), officer.text("officer.refer"), officer.text("officer.retake")])
    }

    private func biographicChoices() -> ChoiceList {
        ChoiceList(options: [officer.text("officer.documentsMatch"), officer.text("officer.refer")])
    }

    // MARK: Screens

    private mutating func enter(_ next: Step) -> [FlowEffect] {
        step = next
        var effects = render(speakAll: true)
        if case .capturing = next { effects.append(.capturePhoto(languageTag: person.language.tag)) }
        if case .locked = next {} else { effects.append(.startTimer(options.idleTimeout)) }
        return effects
    }

    private func render(speakAll: Bool) -> [FlowEffect] {
        let (content, spoken) = prompt()
        return [.show(content)] + (speakAll ? spoken : [])
    }

    private func prompt() -> (content: ScreenContent, spoken: [FlowEffect]) {
        let o = officer, p = person
        switch step {
        case .locked(let keyboard, let problem):
            return (o.screen("port-locked", title: o.text("officer.locked.title"), lines: [o.text("officer.locked.body")] + (problem.map { [$0] } ?? []),
                             entry: String(repeating: "*", count: keyboard.text.count), keyboard: keyboard), [])
        case .checkingPIN:
            return (o.screen("port-checking", title: o.text("officer.locked.title")), [])
        case .menu(let list):
            return (o.screen("port-menu", title: o.text("officer.menu.title"), choices: list), [])
        case .identifyBy(let list, _):
            return (o.screen("port-identify", title: o.text("officer.identify.title"), choices: list), [])
        case .enterCode(let keyboard, _, let problem):
            return (o.screen("port-code", title: o.text("officer.identify.code"), lines: problem.map { [$0] } ?? [], entry: keyboard.text, keyboard: keyboard), [])
        case .enterANumber(let keyboard, _, let problem):
            return (o.screen("port-anumber", title: o.text("officer.identify.aNumber"), lines: problem.map { [$0] } ?? [], entry: "A" + keyboard.text, keyboard: keyboard), [])
        case .lookingUp:
            return (o.screen("port-looking-up", title: o.text("officer.lookingUp")), [])
        case .status(let status, let detail):
            return (o.screen("port-status", title: o.text("officer.status.title"),
                             lines: [o.text("officer.status.\(status.rawValue)")] + (detail.map { [$0] } ?? [])), [])
        case .appointment(let list):
            var lines: [String] = []
            if let a = appointment {
                lines = ["\(a.details.familyName.uppercased()), \(a.details.givenName)", a.details.birthDate, a.details.country,
                         a.confirmationCode] + (a.hasTemplate ? [] : [o.text("officer.noPhotoOnFile")])
            }
            return (o.screen("port-appointment", title: o.text("officer.appointment.title"), lines: lines, choices: list), [])
        case .personConsent(let list):
            return (p.screen("port-consent", title: p.text("port.consent.title"), lines: [p.text("port.consent.body")], choices: list),
                    p.say([p.text("port.consent.title"), p.text("port.consent.body")] + list.options))
        case .capturing(let guidance):
            var capture = p.screen("capture", title: p.text("capture.title"), lines: [p.text(guidance ?? "capture.lookHere")])
            capture.showsLiveCamera = true
            return (capture, p.say([p.text("capture.title")]))
        case .matching:
            return (o.screen("port-matching", title: o.text("officer.matching")), [])
        case .result(let decision, let list):
            let score = String(format: "%.2f", decision.score), threshold = String(format: "%.2f", decision.threshold)
            return (o.screen("port-result-\(decision.band.rawValue)", title: o.text("officer.band.\(decision.band.rawValue)"),
                             lines: [o.text("officer.score", score, threshold, decision.modelVersion)], choices: list), [])
        case .biographic(let list):
            var lines = [o.text("officer.biographic.body")]
            if let a = appointment { lines += ["\(a.details.familyName.uppercased()), \(a.details.givenName)", a.details.birthDate] }
            return (o.screen("port-biographic", title: o.text("officer.biographic.title"), lines: lines, choices: list), [])
        case .recording:
            return (o.screen("port-recording", title: o.text("officer.recording")), [])
        case .recorded(let outcome):
            let key = outcome == .checkedIn ? "port.checkedIn" : "port.referred"
            return (p.screen("port-recorded-\(outcome.rawValue)", title: p.text(key)), p.say([p.text(key)]))
        case .askStaff:
            return (p.screen("help", title: p.text("help.title"), lines: [p.text("help.body")]), p.say([p.text("help.title")]))
        }
    }
}
