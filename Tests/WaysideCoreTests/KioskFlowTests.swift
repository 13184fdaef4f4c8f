import Foundation
import Testing
import WaysideCore

let catalog: MessageCatalog = {
    // The bundled catalogs must load; a test failure names the file if not.
    (try? MessageCatalog.bundled()) ?? MessageCatalog(languages: [], tables: [:])
}()

/// Drives a flow and collects its effects.
struct FlowDriver {
    var flow = KioskFlow(catalog: catalog)
    var effects: [FlowEffect] = []
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    init() { effects = flow.start() }

    mutating func press(_ buttons: Button...) {
        for button in buttons {
            effects += flow.handle(.button(ButtonEvent(button, .press)), now: now)
            effects += flow.handle(.button(ButtonEvent(button, .release)), now: now)
        }
    }

    mutating func send(_ event: FlowEvent) { effects += flow.handle(event, now: now) }

    var screenIDs: [String] { effects.compactMap { if case .show(let c) = $0 { c.id } else { nil } } }
    var lastScreen: ScreenContent? { effects.reversed().lazy.compactMap { if case .show(let c) = $0 { c } else { nil } }.first }
    var spoken: [String] { effects.compactMap { if case .say(let text, _) = $0 { text } else { nil } } }
    var submissions: [Submission] { effects.compactMap { if case .submit(let s) = $0 { s } else { nil } } }
}

@Suite struct Catalogs {
    @Test func bundledCatalogsLoad() throws {
        let bundled = try MessageCatalog.bundled()
        #expect(bundled.languages.count >= 2)
        #expect(bundled.referenceKeys.count > 10)
    }

    @Test func everyKeyExistsInEveryLanguage() throws {
        let bundled = try MessageCatalog.bundled()
        for language in bundled.languages {
            #expect(bundled.missingKeys(in: language.tag).isEmpty, "missing in \(language.tag)")
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

@Suite struct ShelterFlow {
    @Test func wholeVisitWithPhoto() throws {
        var driver = FlowDriver()
        driver.press(.ok)            // attract -> language
        driver.press(.down, .ok)     // Spanish
        driver.press(.ok)            // notice read
        driver.press(.ok)            // consent: yes (first choice)
        #expect(driver.effects.contains(.capturePhoto))
        driver.send(.photoCaptured(jpeg: Data([0xFF, 0xD8, 1]), template: nil))
        let submission = try #require(driver.submissions.first)
        #expect(submission.consent.photoConsented)
        #expect(submission.consent.languageTag == "es")
        #expect(submission.photoJPEG == Data([0xFF, 0xD8, 1]))
        #expect(driver.flow.step == .saving)
        driver.send(.saved)
        #expect(driver.lastScreen?.id == "saved-offline")
        driver.send(.receiptArrived(Receipt(submissionID: submission.id, confirmationCode: "K7Q-4MX2")))
        #expect(driver.lastScreen?.id == "saved")
        #expect(driver.lastScreen?.lines.first?.contains("K7Q-4MX2") == true)
        // Spoken character by character, twice.
        #expect(driver.spoken.filter { $0.contains("K 7 Q - 4 M X 2") }.count == 2)
        #expect(driver.screenIDs == ["attract", "language", "language", "notice", "consent", "capture", "saving", "saved-offline", "saved"])
    }

    @Test func declinedPhotoStillRegisters() throws {
        var driver = FlowDriver()
        driver.press(.ok, .ok, .ok)  // attract, English, notice
        driver.press(.down, .ok)     // consent: no
        #expect(!driver.effects.contains(.capturePhoto))
        let submission = try #require(driver.submissions.first)
        #expect(!submission.consent.photoConsented)
        #expect(submission.photoJPEG == nil && submission.template == nil)
    }

    @Test func repeatedCaptureFailureCallsStaffAndSubmitsWithoutPhoto() throws {
        var driver = FlowDriver()
        driver.press(.ok, .ok, .ok, .ok)
        for _ in 0..<3 { driver.send(.captureFailed(reason: "no face")) }
        #expect(driver.effects.contains(.helpLamp(on: true)))
        let submission = try #require(driver.submissions.first)
        #expect(submission.photoJPEG == nil)
        // The message never blames the person.
        #expect(driver.spoken.contains(catalog.text("capture.failed", in: catalog.languages[0])))
    }

    @Test func fullOutboxSendsThePersonToStaff() {
        var driver = FlowDriver()
        driver.press(.ok, .ok, .ok)
        driver.press(.down, .ok)
        driver.send(.saveFailed(.full))
        #expect(driver.flow.step == .outboxFull)
        #expect(driver.effects.contains(.helpLamp(on: true)))
    }

    @Test func helpFromAnyScreen() {
        var driver = FlowDriver()
        driver.press(.ok, .ok)
        driver.press(.help)
        #expect(driver.flow.step == .askStaff)
        #expect(driver.effects.contains(.helpLamp(on: true)))
    }

    @Test func repeatSpeaksTheSameScreenAgain() {
        var driver = FlowDriver()
        driver.press(.ok, .ok)
        let before = driver.spoken
        driver.press(.repeat)
        #expect(driver.spoken.count > before.count)
        #expect(Array(driver.spoken.suffix(driver.spoken.count - before.count)) == [catalog.text("notice.title", in: catalog.languages[0]), catalog.text("notice.body", in: catalog.languages[0])])
    }

    @Test func forgetLeavesNothingOfTheVisit() throws {
        var driver = FlowDriver()
        driver.press(.ok, .down, .ok, .ok, .ok)
        driver.send(.photoCaptured(jpeg: Data([1, 2, 3]), template: FaceTemplate(engine: "e", modelVersion: "m", values: [1])))
        driver.send(.saved)
        #expect(!driver.flow.holdsNoVisitData)
        driver.press(.ok) // done with the receipt
        #expect(driver.flow.holdsNoVisitData)
        #expect(driver.flow.step == .attract)
        #expect(driver.flow.currentLanguage.tag == "en")
        #expect(driver.effects.contains(.forgetVisit))
    }

    @Test func idleTimeoutForgetsTheVisit() {
        var driver = FlowDriver()
        driver.press(.ok, .down, .ok)
        driver.send(.timerExpired)
        #expect(driver.flow.step == .attract)
        #expect(driver.flow.holdsNoVisitData)
    }

    @Test func staleReceiptForAnotherSubmissionIsIgnored() {
        var driver = FlowDriver()
        driver.press(.ok, .ok, .ok, .down, .ok)
        driver.send(.saved)
        driver.send(.receiptArrived(Receipt(submissionID: UUID(), confirmationCode: "ZZZ")))
        #expect(driver.flow.step == .saved(code: nil))
    }
}
