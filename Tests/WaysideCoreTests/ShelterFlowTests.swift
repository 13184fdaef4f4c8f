import Foundation
import Testing
import WaysideCore

let catalog: MessageCatalog = (try? MessageCatalog.bundled()) ?? MessageCatalog(languages: [], tables: [:])

/// Drives a visit flow and collects its effects.
struct Driver<Flow: VisitFlow> {
    var flow: Flow
    var effects: [FlowEffect] = []
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    init(_ flow: Flow) {
        self.flow = flow
        effects = self.flow.start()
    }

    mutating func press(_ buttons: Button...) {
        for button in buttons {
            effects += flow.handle(.button(ButtonEvent(button, .press)), now: now)
            effects += flow.handle(.button(ButtonEvent(button, .release)), now: now)
        }
    }

    /// Types `text` on the current screen's keyboard the way a person reading the screen would.
    mutating func type(_ text: String, limit: Int = 300) {
        var presses = 0
        let screen = lastScreen?.id
        while let content = lastScreen, content.id == screen, presses < limit {
            guard let button = nextButton(toType: text, on: content) else { return }
            press(button)
            presses += 1
            if button == .ok, content.keyboard.map({ $0.rows[$0.row][$0.column] == "✓" }) == true { return }
        }
    }

    mutating func send(_ event: FlowEvent) { effects += flow.handle(event, now: now) }

    var screenIDs: [String] { effects.compactMap { if case .show(let c) = $0 { c.id } else { nil } } }
    var lastScreen: ScreenContent? { effects.reversed().lazy.compactMap { if case .show(let c) = $0 { c } else { nil } }.first }
    var spoken: [String] { effects.compactMap { if case .say(let text, _) = $0 { text } else { nil } } }
    var submissions: [Submission] { effects.compactMap { if case .submit(let s) = $0 { s } else { nil } } }
}

/// The button that moves a screen keyboard towards having typed `text` (shortest way, wrapping).
func nextButton(toType text: String, on content: ScreenContent) -> Button? {
    guard let keyboard = content.keyboard else { return nil }
    var typed = (content.entry ?? "").filter { $0 != "/" && $0 != "_" }
    if content.id == "port-anumber", typed.hasPrefix("A") { typed.removeFirst() }
    let target = Array(text)
    // A masked entry (a PIN) shows stars: trust that what was typed so far was right.
    if !typed.isEmpty, typed.allSatisfy({ $0 == "*" }), typed.count <= target.count { typed = String(target.prefix(typed.count)) }
    let wanted = typed == text ? "✓" : (typed.count < target.count && typed == String(target.prefix(typed.count))
        ? (target[typed.count] == " " ? "␣" : String(target[typed.count])) : "⌫")
    guard let r = keyboard.rows.firstIndex(where: { $0.contains(wanted) }), let c = keyboard.rows[r].firstIndex(of: wanted) else { return nil }
    if r != keyboard.row {
        let down = (r - keyboard.row + keyboard.rows.count) % keyboard.rows.count
        return down <= keyboard.rows.count - down ? .down : .up
    }
    if c != keyboard.column {
        let n = keyboard.rows[r].count, right = (c - keyboard.column + n) % n
        return right <= n - right ? .right : .left
    }
    return .ok
}

typealias Shelter = Driver<ShelterFlow>

extension Driver where Flow == ShelterFlow {
    init() { self.init(ShelterFlow(catalog: catalog)) }

    /// From the attract screen to the consent screen, in `languageIndex`.
    mutating func fillDetails(languageIndex: Int = 0, given: String = "MARIA", family: String = "LOPEZ", birth: String = "17041990") {
        press(.ok)
        for _ in 0..<languageIndex { press(.down) }
        press(.ok, .ok)
        type(given)
        type(family)
        type(birth)
        press(.ok)      // country: first listed
        type("")        // no A-Number
        type("")        // no phone
        press(.ok)      // port: first listed
        press(.ok)      // review: all correct
    }
}

@Suite struct Catalogs {
    @Test func bundledCatalogsLoad() throws {
        let bundled = try MessageCatalog.bundled()
        #expect(bundled.languages.count >= 2)
        #expect(bundled.referenceKeys.count > 50)
    }

    @Test func everyPersonFacingKeyExistsInEveryLanguage() throws {
        let bundled = try MessageCatalog.bundled()
        for language in bundled.languages {
            #expect(bundled.missingKeys(in: language.tag).isEmpty, "missing in \(language.tag): \(bundled.missingKeys(in: language.tag).sorted())")
        }
    }

    @Test func everyKeyTheFlowsUseExists() throws {
        // The keys named in the flows' source must be in the English catalog.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bundled = try MessageCatalog.bundled()
        for file in ["ShelterFlow", "PortFlow"] {
            let source = try String(contentsOf: root.appendingPathComponent("Sources/WaysideCore/Flow/\(file).swift"), encoding: .utf8)
            let regex = try Regex("text\\(\"([a-zA-Z.\\-]+)\"")
            for match in source.matches(of: regex) {
                let key = String(source[match.range]).dropFirst(6).dropLast()
                #expect(bundled.referenceKeys.contains(String(key)), "\(file) uses \(key), which en.json lacks")
            }
        }
    }

    @Test func missingTranslationFallsBackToEnglishNotBlank() {
        let english = Language(tag: "en", espeakVoice: nil)
        let other = Language(tag: "xx", espeakVoice: nil)
        let partial = MessageCatalog(languages: [english, other], tables: ["en": ["a": "Hello", "b": "Code %@"], "xx": ["a": "Salut"]])
        #expect(partial.missingKeys(in: "xx") == ["b"])
        #expect(partial.text("b", in: other, "K7") == "Code K7")
        #expect(partial.text("a", in: other) == "Salut")
    }
}

@Suite struct ShelterVisit {
    /// The receipt says any kiosk can tell the person about their appointment: from the
    /// notice, the code is typed and the answer shown and spoken in their language, and
    /// nothing of it is kept.
    @Test func aReceiptsCodeFindsWhereTheRequestStands() throws {
        var shelter = Shelter()
        shelter.press(.ok, .down, .ok)           // Spanish
        #expect(shelter.lastScreen?.id == "notice")
        #expect(shelter.lastScreen?.choices.count == 2)
        shelter.press(.down, .ok)                // check my appointment
        #expect(shelter.lastScreen?.id == "status-code")
        let code = ConfirmationCode.make(for: UUID())
        var typo = Array(code.filter { $0 != "-" })
        typo[0] = typo[0] == "1" ? "2" : "1"
        shelter.type(String(typo))
        #expect(shelter.lastScreen?.id == "status-code")
        #expect(shelter.lastScreen?.lines.first?.isEmpty == false, "a mistyped code is refused at once, with a reason")
        for _ in 0..<9 { shelter.press(.back) }  // delete; one more back would leave
        shelter.type(code.filter { $0 != "-" })
        #expect(shelter.effects.contains(.lookUpStatus(code: code)))
        #expect(shelter.lastScreen?.id == "status-looking")
        shelter.send(.statusAnswered(.pending(port: "El Paso", time: Date(timeIntervalSince1970: 1_800_100_000))))
        let answer = try #require(shelter.lastScreen)
        #expect(answer.id == "status" && answer.languageTag == "es")
        #expect(answer.lines.first?.contains("El Paso") == true)
        #expect(shelter.spoken.last == answer.lines.first)
        shelter.press(.ok)
        #expect(shelter.lastScreen?.id == "attract")
        #expect(shelter.flow.holdsNoVisitData)

        for (status, key) in [(StatusAnswer.checkedIn, "status.checkedIn"), (.notFound, "status.notFound"),
                              (.waitingToSend, "status.waiting"), (.unreachable, "status.unreachable")] {
            var again = Shelter()
            again.press(.ok, .ok, .down, .ok)    // English
            again.type(code.filter { $0 != "-" })
            again.send(.statusAnswered(status))
            #expect(again.lastScreen?.lines == [catalog.text(key, in: try #require(catalog.language(tagged: "en")))])
        }
    }

    @Test func wholeVisitWithPhoto() throws {
        var visit = Shelter()
        visit.fillDetails(languageIndex: 1)
        #expect(visit.lastScreen?.id == "consent")
        visit.press(.ok) // yes, take my photo
        #expect(visit.effects.contains(.capturePhoto(languageTag: "es")))
        visit.send(.guidance("capture.closer"))
        #expect(visit.lastScreen?.lines == [catalog.text("capture.closer", in: catalog.languages[1])])
        visit.send(.photoCaptured(jpeg: Data([0xFF, 0xD8, 1]), template: nil))
        #expect(visit.lastScreen?.id == "photo-review")
        visit.press(.ok) // yes, use it
        let submission = try #require(visit.submissions.first)
        #expect(submission.consent.photoConsented)
        #expect(submission.consent.languageTag == "es")
        #expect(submission.photoJPEG == Data([0xFF, 0xD8, 1]))
        #expect(submission.details.givenName == "MARIA")
        #expect(submission.details.familyName == "LOPEZ")
        #expect(submission.details.birthDate == "1990-04-17")
        #expect(submission.details.country == "MX")
        #expect(submission.details.aNumber == nil)
        visit.send(.saved)
        let code = ConfirmationCode.make(for: submission.id)
        #expect(visit.lastScreen?.id == "saved-offline")
        #expect(visit.lastScreen?.lines.first?.contains(code) == true)
        // Spoken character by character, twice; printed.
        let spelled = code.split(separator: "-").map { $0.map(String.init).joined(separator: " ") }.joined(separator: ", ")
        #expect(visit.spoken.filter { $0.contains(spelled) }.count == 2)
        #expect(visit.effects.contains { if case .printReceipt(let r) = $0 { r.code == code } else { false } })
        visit.send(.receiptArrived(Receipt(submissionID: submission.id, confirmationCode: code, appointmentPort: "El Paso")))
        #expect(visit.lastScreen?.id == "saved")
        #expect(visit.lastScreen?.lines.contains { $0.contains("El Paso") } == true)
    }

    @Test func declinedPhotoStillRegisters() throws {
        var visit = Shelter()
        visit.fillDetails()
        visit.press(.down, .ok) // no photo
        #expect(!visit.effects.contains(.capturePhoto(languageTag: "en")))
        let submission = try #require(visit.submissions.first)
        #expect(!submission.consent.photoConsented)
        #expect(submission.photoJPEG == nil && submission.template == nil)
    }

    @Test func repeatedCaptureFailureOffersStaffAndThePhotoFreePath() throws {
        var visit = Shelter()
        visit.fillDetails()
        visit.press(.ok)
        for _ in 0..<3 { visit.send(.captureFailed(reason: "no face")) }
        #expect(visit.lastScreen?.id == "capture-trouble")
        // The message never blames the person.
        #expect(visit.spoken.contains(catalog.text("capture.failed", in: catalog.languages[0])))
        visit.press(.down, .ok) // call staff
        #expect(visit.effects.contains(.helpLamp(on: true)))
        visit.press(.ok)        // staff came: back where we were
        #expect(visit.lastScreen?.id == "capture-trouble")
        visit.press(.up, .ok)   // the highlight stayed where it was: up to "continue without a photo"
        let submission = try #require(visit.submissions.first)
        #expect(submission.photoJPEG == nil)
        #expect(submission.details.familyName == "LOPEZ")
    }

    @Test func reviewCorrectsOneFieldAndReturns() throws {
        var visit = Shelter()
        visit.fillDetails(family: "LOPES")
        visit.press(.back)            // consent -> review
        #expect(visit.lastScreen?.id == "review")
        visit.press(.down, .down, .ok) // second field: family name
        #expect(visit.lastScreen?.id == "field-familyName")
        visit.type("LOPEZ")
        #expect(visit.lastScreen?.id == "review")
        visit.press(.ok)        // all correct
        visit.press(.down, .ok) // no photo
        #expect(visit.submissions.first?.details.familyName == "LOPEZ")
    }

    @Test func impossibleBirthDateIsExplainedNotAccepted() {
        var visit = Shelter()
        visit.press(.ok, .ok, .ok)
        visit.type("ANA")
        visit.type("")
        visit.type("31021990")
        #expect(visit.lastScreen?.id == "field-birthDate")
        #expect(visit.lastScreen?.lines.contains(catalog.text("entry.badDate", in: catalog.languages[0])) == true)
    }

    @Test func birthDates() {
        #expect(ShelterFlow.birthDate(fromDigits: "17041990") == "1990-04-17")
        #expect(ShelterFlow.birthDate(fromDigits: "29022000") == "2000-02-29")
        #expect(ShelterFlow.birthDate(fromDigits: "29021900") == nil)
        #expect(ShelterFlow.birthDate(fromDigits: "01011890") == nil)
        #expect(ShelterFlow.birthDate(fromDigits: "0101199") == nil)
        #expect(ShelterFlow.birthDate(fromDigits: "01013000") == nil)
    }

    @Test func fullOutboxSendsThePersonToStaff() {
        var visit = Shelter()
        visit.fillDetails()
        visit.press(.down, .ok)
        visit.send(.saveFailed(.full))
        #expect(visit.lastScreen?.id == "full")
        #expect(visit.effects.contains(.helpLamp(on: true)))
    }

    @Test func helpKeepsTheDetailsAndReturns() {
        var visit = Shelter()
        visit.press(.ok, .ok, .ok)
        visit.type("MARIA")
        visit.press(.help)
        #expect(visit.lastScreen?.id == "help")
        visit.press(.ok)
        #expect(visit.lastScreen?.id == "field-familyName")
        #expect(!visit.flow.holdsNoVisitData)
    }

    @Test func repeatSpeaksTheScreenAgain() {
        var visit = Shelter()
        visit.press(.ok, .ok)
        let before = visit.spoken.count
        visit.press(.repeat)
        let english = catalog.languages[0]
        #expect(Array(visit.spoken.dropFirst(before)) == [catalog.text("notice.title", in: english), catalog.text("notice.body", in: english),
                                                           catalog.text("notice.alternatives", in: english),
                                                           catalog.text("notice.start", in: english), catalog.text("status.check", in: english)])
    }

    @Test func idleAsksForMoreTimeBeforeForgetting() {
        var visit = Shelter()
        visit.press(.ok, .down, .ok, .ok)
        visit.type("JOSE")
        visit.send(.timerExpired)
        #expect(visit.lastScreen?.id == "more-time")
        visit.press(.ok) // yes, more time
        #expect(visit.lastScreen?.id == "field-familyName")
        visit.send(.timerExpired)
        visit.send(.timerExpired) // no answer to "more time?": forget
        #expect(visit.flow.step == .attract)
        #expect(visit.flow.holdsNoVisitData)
        #expect(visit.flow.currentLanguage.tag == "en")
    }

    @Test func forgetLeavesNothingInMemoryOrOnScreen() throws {
        var visit = Shelter()
        visit.fillDetails()
        visit.press(.ok)
        visit.send(.photoCaptured(jpeg: Data([1, 2, 3]), template: FaceTemplate(engine: "e", modelVersion: "m", values: [1])))
        visit.press(.ok)
        visit.send(.saved)
        #expect(!visit.flow.holdsNoVisitData)
        visit.press(.ok) // done with the receipt
        #expect(visit.flow.holdsNoVisitData)
        #expect(visit.flow.step == .attract)
        #expect(visit.effects.contains(.forgetVisit))
        // What the screen shows after forgetting carries nothing of the person.
        let afterForget = visit.effects.split { $0 == .forgetVisit }.last ?? []
        for case .show(let content) in afterForget {
            let text = ([content.title] + content.lines + content.choices + [content.entry ?? ""]).joined(separator: " ")
            #expect(!text.contains("MARIA") && !text.contains("LOPEZ") && !text.contains("1990"))
            #expect(content.preview == nil)
        }
    }

    @Test func staleReceiptForAnotherSubmissionIsIgnored() {
        var visit = Shelter()
        visit.fillDetails()
        visit.press(.down, .ok)
        visit.send(.saved)
        visit.send(.receiptArrived(Receipt(submissionID: UUID(), confirmationCode: "ZZZ")))
        #expect(visit.lastScreen?.id == "saved-offline")
    }
}

@Suite struct Keyboard {
    @Test func predictorWaitsOnTheLikelyLetter() throws {
        let predictor = try NextLetterPredictor.bundled()
        #expect(predictor.order == 3)
        // After "MARI" a name most often goes on with a letter, never a digit.
        let next = try #require(predictor.predict(after: "MARI"))
        #expect(next.isLetter)
    }

    @Test func typingMovesAndWraps() {
        var keyboard = GridKeyboard.latinLetters()
        #expect(keyboard.selected == .character("A"))
        _ = keyboard.press(.left) // wraps to the row's end
        #expect(keyboard.selected == .character("Y"))
        _ = keyboard.press(.up)   // wraps to the last row, clamped to its length
        #expect(keyboard.selected == .done)
        #expect(keyboard.press(.ok) == .done(""))
    }

    @Test func backDeletesThenCancels() {
        var keyboard = GridKeyboard.digits(maxLength: 4, text: "12")
        #expect(keyboard.press(.back) == .editing)
        #expect(keyboard.text == "1")
        #expect(keyboard.press(.back) == .editing)
        #expect(keyboard.press(.back) == .cancelled)
    }

    @Test func maxLengthIsKept() {
        var keyboard = GridKeyboard.digits(maxLength: 2)
        for _ in 0..<5 { _ = keyboard.press(.ok) }
        #expect(keyboard.text == "11")
    }

    @Test func predictionSavesPresses() throws {
        let plain = GridKeyboard.latinLetters()
        let predicted = GridKeyboard.latinLetters(predictor: try NextLetterPredictor.bundled())
        let names = ["MARIA GONZALEZ", "JEAN BAPTISTE", "JOSE HERNANDEZ", "ANA RODRIGUEZ"]
        let withPrediction = names.map { predicted.pressesToType($0) }.reduce(0, +)
        let without = names.map { plain.pressesToType($0) }.reduce(0, +)
        #expect(withPrediction < without)
    }
}

@Suite struct Codes {
    @Test func codeRoundTripsAndCatchesTypos() {
        for _ in 0..<200 {
            let code = ConfirmationCode.make(for: UUID())
            #expect(code.count == 11)
            #expect(ConfirmationCode.normalise(code) == code)
            #expect(ConfirmationCode.normalise(code.lowercased().replacingOccurrences(of: "-", with: "")) == code)
            // Any single changed character is caught by the check character.
            var characters = Array(code)
            let index = [0, 1, 2, 3, 5, 6, 7, 8].randomElement() ?? 0
            let symbols = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ").filter { $0 != characters[index] }
            characters[index] = symbols.randomElement() ?? "0"
            #expect(ConfirmationCode.normalise(String(characters)) == nil)
        }
    }

    @Test func sameSubmissionSameCode() {
        let id = UUID()
        #expect(ConfirmationCode.make(for: id) == ConfirmationCode.make(for: id))
    }
}
