import Foundation

/// The shelter registration: language, notice, details, consent, photo, receipt, forget.
///
/// Every failure path ends at a person (staff) or an alternative (registering without a
/// photo), never at a dead end, and no message blames the person. Help and repeat work on
/// every screen; an idle person is asked whether they need more time before anything is
/// forgotten.
public struct ShelterFlow: VisitFlow {
    /// The details asked for, in the order they are asked.
    public enum Field: String, Sendable, Equatable, CaseIterable {
        case givenName, familyName, birthDate, country, aNumber, phone, port

        var labelKey: String { "field.\(rawValue)" }
    }

    /// Site settings of the visit.
    public struct Options: Sendable {
        /// Ports of entry the person can ask for (proper names, not translated).
        public var ports: [String]
        /// Countries offered first, as ISO 3166-1 alpha-2 codes; "other" lets a person say theirs is not listed.
        public var countries: [String]
        public var idleTimeout: Duration
        public var moreTimeTimeout: Duration
        public var receiptTimeout: Duration
        /// Capture attempts before the kiosk offers staff and the photo-free path.
        public var maxCaptureAttempts: Int
        public var predictor: NextLetterPredictor?

        public init(ports: [String] = ["San Ysidro", "Calexico", "Nogales", "El Paso", "Eagle Pass", "Laredo", "Hidalgo", "Brownsville"],
                    countries: [String] = ["MX", "GT", "HN", "SV", "NI", "VE", "CU", "HT", "CO", "EC", "PE", "BR", "RU", "CN", "IN", "TR", "VN", "ET", "ER", "AF", "MR", "SN"],
                    idleTimeout: Duration = .seconds(90), moreTimeTimeout: Duration = .seconds(30),
                    receiptTimeout: Duration = .seconds(120), maxCaptureAttempts: Int = 3,
                    predictor: NextLetterPredictor? = try? .bundled()) {
            self.ports = ports
            self.countries = countries
            self.idleTimeout = idleTimeout
            self.moreTimeTimeout = moreTimeTimeout
            self.receiptTimeout = receiptTimeout
            self.maxCaptureAttempts = maxCaptureAttempts
            self.predictor = predictor
        }
    }

    /// Where the visit is.
    public enum Step: Sendable, Equatable {
        case attract
        case chooseLanguage(ChoiceList)
        /// The notice, then: start a request, or check one with the receipt's code.
        case notice(ChoiceList)
        case statusCode(GridKeyboard, problem: String?)
        case statusLooking
        case statusShown(StatusAnswer)
        case typing(Field, GridKeyboard, problem: String?)
        case picking(Field, ChoiceList)
        case review(ChoiceList)
        case consent(ChoiceList)
        case capturing(guidance: String?)
        case photoReview(ChoiceList)
        case captureTrouble(ChoiceList)
        case saving
        /// Saved. `code` is shown at once; `confirmed` once the intake acknowledged it.
        case saved(code: String, confirmed: Bool)
        case askStaff
        case moreTime(ChoiceList)
        case outboxFull
    }

    public private(set) var step: Step = .attract
    public let catalog: MessageCatalog
    public let options: Options
    private var language: Language
    private var visit = Visit()
    /// Where help and "more time?" return to.
    private var resumeStep: Step?
    private var editingFromReview = false

    /// What the visit has gathered; wiped on forget.
    private struct Visit: Sendable, Equatable {
        var details = PersonDetails()
        var consent: ConsentRecord?
        var photo: Data?
        var template: FaceTemplate?
        var submissionID: UUID?
        var captureFailures = 0
        var appointmentPort: String?
        var appointmentTime: Date?
    }

    public init(catalog: MessageCatalog, options: Options = Options()) {
        self.catalog = catalog
        self.options = options
        self.language = catalog.languages.first ?? Language(tag: "en", espeakVoice: nil)
    }

    public var currentLanguage: Language { language }
    public var isResting: Bool { step == .attract }
    public var holdsNoVisitData: Bool { visit == Visit() && !editingFromReview && resumeStep == nil }

    private var prompter: Prompter { Prompter(catalog: catalog, language: language) }

    public mutating func start() -> [FlowEffect] {
        enter(.attract)
    }

    public mutating func handle(_ event: FlowEvent, now: Date) -> [FlowEffect] {
        switch event {
        case .button(let press):
            guard press.action == .press || press.action == .autoRepeat else { return [] }
            return handleButton(press.button, now: now)
        case .timerExpired:
            return handleTimeout()
        case .guidance(let key):
            guard case .capturing(let current) = step, current != key else { return [] }
            step = .capturing(guidance: key)
            return render(speakAll: false) + prompter.say([prompter.text(key)])
        case .photoCaptured(let jpeg, let template):
            guard case .capturing = step else { return [] }
            visit.photo = jpeg
            visit.template = template
            return [.stopCamera] + enter(.photoReview(ChoiceList(options: [
                prompter.text("photoReview.yes"), prompter.text("photoReview.retake"), prompter.text("photoReview.noPhoto"),
            ])))
        case .captureFailed:
            guard case .capturing = step else { return [] }
            visit.captureFailures += 1
            if visit.captureFailures >= options.maxCaptureAttempts {
                return [.stopCamera] + prompter.say([prompter.text("capture.failed")]) + enter(.captureTrouble(troubleChoices()))
            }
            return prompter.say([prompter.text("capture.failed")]) + enter(.capturing(guidance: nil))
        case .saved:
            guard step == .saving, let id = visit.submissionID else { return [] }
            let code = ConfirmationCode.make(for: id)
            return enter(.saved(code: code, confirmed: false)) + [.printReceipt(receiptPrintout(code: code))]
        case .saveFailed:
            guard step == .saving else { return [] }
            return [.helpLamp(on: true)] + enter(.outboxFull)
        case .receiptArrived(let receipt):
            guard case .saved = step, receipt.submissionID == visit.submissionID else { return [] }
            visit.appointmentPort = receipt.appointmentPort
            visit.appointmentTime = receipt.appointmentTime
            // Shown again with the appointment, but not spoken again: the code was already read out twice.
            step = .saved(code: receipt.confirmationCode, confirmed: true)
            return render(speakAll: false)
        case .statusAnswered(let answer):
            guard step == .statusLooking else { return [] }
            return enter(.statusShown(answer))
        case .pinChecked, .lookedUp, .matched, .matchFailed, .checkInRecorded:
            return []
        }
    }

    // MARK: Buttons

    private mutating func handleButton(_ button: Button, now: Date) -> [FlowEffect] {
        if button == .repeat { return spokenPrompt() }
        if button == .help, ![.attract, .askStaff].contains(step) {
            resumeStep = step
            var effects: [FlowEffect] = [.helpLamp(on: true)]
            if case .capturing = step { effects.append(.stopCamera) }
            return effects + enter(.askStaff)
        }
        switch step {
        case .attract:
            return enter(.chooseLanguage(ChoiceList(options: catalog.languages.map { catalog.text("language.name", in: $0) })))

        case .chooseLanguage(var list):
            guard let chosen = list.press(button) else {
                step = .chooseLanguage(list)
                // Each language's name is spoken in its own voice.
                let highlighted = catalog.languages[list.highlighted]
                return render(speakAll: false) + [.say(catalog.text("language.name", in: highlighted), languageTag: highlighted.tag)]
            }
            if chosen < 0 { return forget() }
            language = catalog.languages[chosen]
            return enter(noticeStep())

        case .notice(var list):
            guard let chosen = list.press(button) else {
                step = .notice(list)
                return render(speakAll: false) + prompter.say([list.options[list.highlighted]])
            }
            if chosen < 0 { return enter(.chooseLanguage(languageList())) }
            return chosen == 0 ? enter(typingStep(.givenName)) : enter(.statusCode(.confirmationCode(), problem: nil))

        case .statusCode(var keyboard, _):
            switch keyboard.press(button) {
            case .editing:
                step = .statusCode(keyboard, problem: nil)
                return render(speakAll: false)
            case .cancelled:
                return enter(noticeStep())
            case .done(let text):
                guard let code = ConfirmationCode.normalise(text) else {
                    step = .statusCode(keyboard, problem: prompter.text("status.badCode"))
                    return render(speakAll: false) + prompter.say([prompter.text("status.badCode")])
                }
                return enter(.statusLooking) + [.lookUpStatus(code: code)]
            }

        case .statusShown:
            // Nothing of the lookup is kept: the next person starts afresh.
            return button == .ok || button == .back ? forget() : []

        case .statusLooking:
            return []

        case .typing(let field, var keyboard, _):
            let before = keyboard
            switch keyboard.press(button) {
            case .editing:
                step = .typing(field, keyboard, problem: nil)
                let moved = before.row != keyboard.row || before.column != keyboard.column
                return render(speakAll: false) + (moved || before.text != keyboard.text ? prompter.say([spokenLabel(of: keyboard.selected)]) : [])
            case .cancelled:
                return goBack(from: field)
            case .done(let text):
                if let problem = store(text, in: field) {
                    step = .typing(field, keyboard, problem: problem)
                    return render(speakAll: false) + prompter.say([problem])
                }
                return advance(after: field)
            }

        case .picking(let field, var list):
            guard let chosen = list.press(button) else {
                step = .picking(field, list)
                return render(speakAll: false) + prompter.say([list.options[list.highlighted]])
            }
            if chosen < 0 { return goBack(from: field) }
            switch field {
            case .country: visit.details.country = chosen < options.countries.count ? options.countries[chosen] : "other"
            case .port: visit.details.port = options.ports[chosen]
            default: break
            }
            return advance(after: field)

        case .review(var list):
            guard let chosen = list.press(button) else {
                step = .review(list)
                return render(speakAll: false) + prompter.say([list.options[list.highlighted]])
            }
            if chosen < 0 { editingFromReview = false; return enter(pickingStep(.port)) }
            if chosen == 0 {
                editingFromReview = false
                return enter(.consent(ChoiceList(options: [prompter.text("consent.yes"), prompter.text("consent.no")])))
            }
            editingFromReview = true
            return enter(stepFor(Field.allCases[chosen - 1]))

        case .consent(var list):
            guard let chosen = list.press(button) else {
                step = .consent(list)
                return render(speakAll: false) + prompter.say([list.options[list.highlighted]])
            }
            if chosen < 0 { return enter(reviewStep()) }
            let yes = chosen == 0
            // Just-in-time consent: recorded at the moment the camera would start.
            visit.consent = ConsentRecord(languageTag: language.tag, noticeVersion: catalog.version(of: "notice.body", in: language),
                                          photoConsented: yes, time: now)
            if yes { return enter(.capturing(guidance: nil)) }
            return submit(now: now, withPhoto: false)

        case .capturing:
            if button == .back { return [.stopCamera] + enter(.consent(ChoiceList(options: [prompter.text("consent.yes"), prompter.text("consent.no")]))) }
            return []

        case .photoReview(var list):
            guard let chosen = list.press(button) else {
                step = .photoReview(list)
                return render(speakAll: false) + prompter.say([list.options[list.highlighted]])
            }
            switch chosen {
            case 0: return submit(now: now, withPhoto: true)
            case 2: return submit(now: now, withPhoto: false)
            default:
                visit.photo = nil
                visit.template = nil
                return enter(.capturing(guidance: nil))
            }

        case .captureTrouble(var list):
            guard let chosen = list.press(button) else {
                step = .captureTrouble(list)
                return render(speakAll: false) + prompter.say([list.options[list.highlighted]])
            }
            switch chosen {
            case 0: return submit(now: now, withPhoto: false)
            case 1:
                resumeStep = step
                return [.helpLamp(on: true)] + enter(.askStaff)
            default:
                visit.captureFailures = 0
                return enter(.capturing(guidance: nil))
            }

        case .askStaff:
            guard button == .ok || button == .back else { return [] }
            let back = resumeStep ?? .attract
            resumeStep = nil
            return [.helpLamp(on: false)] + enter(back)

        case .moreTime(var list):
            guard let chosen = list.press(button) else {
                step = .moreTime(list)
                return render(speakAll: false) + prompter.say([list.options[list.highlighted]])
            }
            if chosen == 0, let back = resumeStep {
                resumeStep = nil
                return enter(back)
            }
            return forget()

        case .saved:
            return button == .ok ? forget() : []

        case .saving, .outboxFull:
            return []
        }
    }

    private mutating func handleTimeout() -> [FlowEffect] {
        switch step {
        case .attract, .saving, .capturing, .askStaff, .statusLooking:
            return []
        case .saved, .outboxFull, .moreTime, .chooseLanguage, .statusShown:
            return forget()
        default:
            resumeStep = step
            return enter(.moreTime(ChoiceList(options: [prompter.text("moreTime.yes"), prompter.text("moreTime.no")])))
        }
    }

    // MARK: Details

    private func typingStep(_ field: Field) -> Step {
        let current: String
        switch field {
        case .givenName: current = visit.details.givenName
        case .familyName: current = visit.details.familyName
        case .birthDate: current = visit.details.birthDate.filter(\.isNumber)
        case .aNumber: current = visit.details.aNumber ?? ""
        case .phone: current = visit.details.phone ?? ""
        case .country, .port: current = ""
        }
        let keyboard: GridKeyboard
        switch field {
        case .birthDate: keyboard = .digits(maxLength: 8, text: current)
        case .aNumber: keyboard = .digits(maxLength: 9, text: current)
        case .phone: keyboard = .digits(maxLength: 15, text: current)
        default: keyboard = .latinLetters(extra: extraLetters(for: language.tag), predictor: options.predictor, text: current)
        }
        return .typing(field, keyboard, problem: nil)
    }

    private func pickingStep(_ field: Field) -> Step {
        switch field {
        case .country:
            let locale = Locale(identifier: language.tag)
            let names = options.countries.map { locale.localizedString(forRegionCode: $0) ?? $0 } + [prompter.text("country.other")]
            let index = options.countries.firstIndex(of: visit.details.country) ?? (visit.details.country == "other" ? names.count - 1 : 0)
            return .picking(.country, ChoiceList(options: names, highlighted: index))
        default:
            return .picking(field, ChoiceList(options: options.ports, highlighted: options.ports.firstIndex(of: visit.details.port) ?? 0))
        }
    }

    private func stepFor(_ field: Field) -> Step {
        field == .country || field == .port ? pickingStep(field) : typingStep(field)
    }

    private func reviewStep() -> Step {
        .review(ChoiceList(options: [prompter.text("review.allCorrect")] + Field.allCases.map { "\(prompter.text($0.labelKey)): \(display($0))" }))
    }

    private func languageList() -> ChoiceList {
        ChoiceList(options: catalog.languages.map { catalog.text("language.name", in: $0) },
                   highlighted: catalog.languages.firstIndex(of: language) ?? 0)
    }

    private func display(_ field: Field) -> String {
        let details = visit.details
        switch field {
        case .givenName: return details.givenName
        case .familyName: return details.familyName
        case .birthDate: return details.birthDate
        case .country:
            return details.country == "other" ? prompter.text("country.other")
                : Locale(identifier: language.tag).localizedString(forRegionCode: details.country) ?? details.country
        case .aNumber: return details.aNumber.map { "A" + $0 } ?? "-"
        case .phone: return details.phone ?? "-"
        case .port: return details.port
        }
    }

    /// Stores a typed value; returns what is wrong with it, in words, when it cannot be used.
    private mutating func store(_ text: String, in field: Field) -> String? {
        switch field {
        case .givenName:
            guard !text.isEmpty else { return prompter.text("entry.needName") }
            visit.details.givenName = text
        case .familyName:
            visit.details.familyName = text
        case .birthDate:
            guard let date = Self.birthDate(fromDigits: text) else { return prompter.text("entry.badDate") }
            visit.details.birthDate = date
        case .aNumber:
            // An A-Number has 8 or 9 digits; 8-digit ones are written with a leading zero.
            if text.isEmpty { visit.details.aNumber = nil; return nil }
            guard text.count == 8 || text.count == 9 else { return prompter.text("entry.badANumber") }
            visit.details.aNumber = text.count == 8 ? "0" + text : text
        case .phone:
            if text.isEmpty { visit.details.phone = nil; return nil }
            guard (7...15).contains(text.count) else { return prompter.text("entry.badPhone") }
            visit.details.phone = text
        case .country, .port:
            break
        }
        return nil
    }

    /// "17041990" (day, month, year) -> "1990-04-17", when it is a real date between 1900 and today.
    public static func birthDate(fromDigits digits: String, today: Date = Date()) -> String? {
        guard digits.count == 8, let day = Int(digits.prefix(2)), let month = Int(digits.dropFirst(2).prefix(2)),
              let year = Int(digits.suffix(4)) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let components = DateComponents(year: year, month: month, day: day)
        guard year >= 1900, let date = calendar.date(from: components),
              calendar.component(.day, from: date) == day, calendar.component(.month, from: date) == month,
              date <= today else { return nil }
        return String(format: "%04d-%02d-%02d", year, month, day)
    }

    private mutating func advance(after field: Field) -> [FlowEffect] {
        if editingFromReview { return enter(reviewStep()) }
        guard let index = Field.allCases.firstIndex(of: field), index + 1 < Field.allCases.count else { return enter(reviewStep()) }
        return enter(stepFor(Field.allCases[index + 1]))
    }

    private mutating func goBack(from field: Field) -> [FlowEffect] {
        if editingFromReview { return enter(reviewStep()) }
        guard let index = Field.allCases.firstIndex(of: field), index > 0 else { return enter(noticeStep()) }
        return enter(stepFor(Field.allCases[index - 1]))
    }

    /// Letters of the language that the Latin grid adds, so names keep their accents where the screen can show them.
    private func extraLetters(for tag: String) -> [Character] {
        switch tag {
        case "es": Array("ÑÁÉÍÓ")
        case "fr", "ht": Array("ÉÈÇÒÀ")
        case "pt": Array("ÃÇÁÉÕ")
        case "tr": Array("ÇĞİÖŞ")
        case "vi": Array("ĐƠƯÂÊ")
        default: []
        }
    }

    private func spokenLabel(of key: GridKey) -> String {
        switch key {
        case .character(" "): prompter.text("key.space")
        case .character(let c): String(c)
        case .delete: prompter.text("key.delete")
        case .done: prompter.text("key.done")
        }
    }

    private func noticeStep() -> Step {
        .notice(ChoiceList(options: [prompter.text("notice.start"), prompter.text("status.check")]))
    }

    /// An appointment's day and time as the person's language writes them.
    private func appointmentTime(_ time: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: language.tag)
        formatter.dateStyle = .full
        formatter.timeStyle = .short
        return formatter.string(from: time)
    }

    /// What a status answer says, in the person's language.
    private func statusText(_ answer: StatusAnswer) -> String {
        let p = prompter
        switch answer {
        case .pending(let port, let time):
            guard let port else { return p.text("status.pendingNoDate") }
            guard let time else { return p.text("status.pending", port) }
            return p.text("status.pending", "\(port), \(appointmentTime(time))")
        case .checkedIn: return p.text("status.checkedIn")
        case .closed: return p.text("status.closed")
        case .notFound: return p.text("status.notFound")
        case .waitingToSend: return p.text("status.waiting")
        case .unreachable: return p.text("status.unreachable")
        }
    }

    private func troubleChoices() -> ChoiceList {
        ChoiceList(options: [prompter.text("trouble.noPhoto"), prompter.text("trouble.staff"), prompter.text("trouble.retry")])
    }

    // MARK: Submit and forget

    private mutating func submit(now: Date, withPhoto: Bool) -> [FlowEffect] {
        let id = UUID()
        visit.submissionID = id
        let consent = visit.consent ?? ConsentRecord(languageTag: language.tag, noticeVersion: catalog.version(of: "notice.body", in: language),
                                                     photoConsented: false, time: now)
        let keepPhoto = withPhoto && consent.photoConsented
        let submission = Submission(id: id, createdAt: now, details: visit.details, consent: consent,
                                    photoJPEG: keepPhoto ? visit.photo : nil, template: keepPhoto ? visit.template : nil)
        // The photo is not needed on the kiosk any more: keep nothing longer than necessary.
        visit.photo = nil
        visit.template = nil
        return [.stopCamera, .helpLamp(on: false)] + enter(.saving) + [.submit(submission)]
    }

    private mutating func forget() -> [FlowEffect] {
        visit = Visit()
        resumeStep = nil
        editingFromReview = false
        language = catalog.languages.first ?? language
        return [.stopCamera, .forgetVisit, .show(.blank)] + enter(.attract)
    }

    private func receiptPrintout(code: String) -> ReceiptPrintout {
        ReceiptPrintout(lines: [prompter.text("saved.title"), prompter.text("saved.code", code), prompter.text("saved.checkLater")], code: code,
                        languageTag: language.tag, direction: language.direction)
    }

    // MARK: Screens

    private mutating func enter(_ next: Step) -> [FlowEffect] {
        step = next
        var effects = render(speakAll: true)
        switch next {
        case .attract: break
        case .capturing: effects.append(.capturePhoto(languageTag: language.tag))
        case .saved: effects.append(.startTimer(options.receiptTimeout))
        case .moreTime: effects.append(.startTimer(options.moreTimeTimeout))
        case .outboxFull: effects.append(.startTimer(options.receiptTimeout))
        default: effects.append(.startTimer(options.idleTimeout))
        }
        return effects
    }

    /// The current screen; with `speakAll`, its whole spoken prompt too.
    private func render(speakAll: Bool) -> [FlowEffect] {
        let (content, spoken) = screen()
        return [.show(content)] + (speakAll ? prompter.say(spoken) : [])
    }

    private func spokenPrompt() -> [FlowEffect] {
        prompter.say(screen().spoken)
    }

    private func screen() -> (content: ScreenContent, spoken: [String]) {
        let p = prompter
        switch step {
        case .attract:
            return (p.screen("attract", title: p.text("attract.title"), lines: [p.text("attract.body")], footer: ""), [])
        case .chooseLanguage(let list):
            return (p.screen("language", title: p.text("language.title"), lines: [p.text("language.hint")], choices: list),
                    [catalog.text("language.name", in: catalog.languages[list.highlighted])])
        case .notice(let list):
            return (p.screen("notice", title: p.text("notice.title"), lines: [p.text("notice.body"), p.text("notice.alternatives")], choices: list),
                    [p.text("notice.title"), p.text("notice.body"), p.text("notice.alternatives")] + list.options)
        case .statusCode(let keyboard, let problem):
            return (p.screen("status-code", title: p.text("status.enterCode"), lines: problem.map { [$0] } ?? [],
                             entry: keyboard.text, keyboard: keyboard), [p.text("status.enterCode")])
        case .statusLooking:
            return (p.screen("status-looking", title: p.text("status.looking")), [])
        case .statusShown(let answer):
            let lines = [statusText(answer)]
            return (p.screen("status", title: p.text("status.check"), lines: lines), lines)
        case .typing(let field, let keyboard, let problem):
            let hint = p.text(keyboard.rows.count == 4 ? "entry.hintDigits" : "entry.hintLetters")
            let optional = field == .aNumber || field == .phone || field == .familyName ? [p.text("entry.optional")] : []
            let lines = [hint] + optional + (problem.map { [$0] } ?? [])
            let shown = field == .birthDate ? Self.datePattern(keyboard.text) : keyboard.text
            return (p.screen("field-\(field.rawValue)", title: p.text(field.labelKey), lines: lines, entry: shown, keyboard: keyboard),
                    [p.text(field.labelKey)] + lines)
        case .picking(let field, let list):
            return (p.screen("field-\(field.rawValue)", title: p.text(field.labelKey), choices: list), [p.text(field.labelKey)])
        case .review(let list):
            return (p.screen("review", title: p.text("review.title"), lines: [p.text("review.hint")], choices: list),
                    [p.text("review.title"), p.text("review.hint")] + list.options.dropFirst())
        case .consent(let list):
            return (p.screen("consent", title: p.text("consent.title"), lines: [p.text("consent.body")], choices: list),
                    [p.text("consent.title"), p.text("consent.body")] + list.options)
        case .capturing(let guidance):
            var capture = p.screen("capture", title: p.text("capture.title"), lines: [p.text(guidance ?? "capture.lookHere")])
            capture.showsLiveCamera = true
            return (capture,
                    [p.text("capture.title")])
        case .photoReview(let list):
            var review = p.screen("photo-review", title: p.text("photoReview.title"), choices: list)
            review.showsCapturedPhoto = true
            return (review, [p.text("photoReview.title")] + list.options)
        case .captureTrouble(let list):
            return (p.screen("capture-trouble", title: p.text("trouble.title"), lines: [p.text("capture.failed")], choices: list),
                    [p.text("trouble.title")] + list.options)
        case .saving:
            return (p.screen("saving", title: p.text("saving.title"), footer: ""), [])
        case .saved(let code, let confirmed):
            var lines = [p.text("saved.code", code)]
            if confirmed, let port = visit.appointmentPort {
                if let time = visit.appointmentTime {
                    lines.append(p.text("saved.appointment", port, appointmentTime(time)))
                } else {
                    lines.append(p.text("saved.port", port))
                }
            } else if !confirmed {
                lines.append(p.text("saved.offline"))
            }
            lines.append(p.text("saved.checkLater"))
            // The code is spoken character by character, twice: people write it down the second time.
            let spokenCode = p.text("saved.code", p.spelled(code))
            return (p.screen(confirmed ? "saved" : "saved-offline", title: p.text("saved.title"), lines: lines),
                    [p.text("saved.title"), spokenCode, spokenCode] + lines.dropFirst())
        case .askStaff:
            return (p.screen("help", title: p.text("help.title"), lines: [p.text("help.body")]), [p.text("help.title"), p.text("help.body")])
        case .moreTime(let list):
            return (p.screen("more-time", title: p.text("moreTime.title"), choices: list), [p.text("moreTime.title")] + list.options)
        case .outboxFull:
            return (p.screen("full", title: p.text("full.title"), lines: [p.text("full.body")]), [p.text("full.title"), p.text("full.body")])
        }
    }

    /// "1704" -> "17/04/____": the date pattern filled as digits arrive.
    static func datePattern(_ digits: String) -> String {
        let padded = Array(digits + String(repeating: "_", count: max(0, 8 - digits.count)))
        return String(padded[0..<2]) + "/" + String(padded[2..<4]) + "/" + String(padded[4..<8])
    }
}
