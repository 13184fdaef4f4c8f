import Foundation
import Testing
import WaysideCore

typealias Port = Driver<PortFlow>

let expected = AppointmentSummary(
    submissionID: UUID(), confirmationCode: ConfirmationCode.make(for: UUID()),
    details: PersonDetails(givenName: "Maria", familyName: "Lopez", birthDate: "1990-04-17", country: "MX", port: "El Paso"),
    languageTag: "es", port: "El Paso", time: nil, hasTemplate: true, status: .pending)

extension Driver where Flow == PortFlow {
    init() { self.init(PortFlow(catalog: catalog)) }

    var requests: [FlowEffect] {
        effects.filter {
            switch $0 {
            case .verifyPIN, .lookUp, .match, .recordCheckIn: true
            default: false
            }
        }
    }

    /// Unlocked, at the menu.
    mutating func unlock() {
        type("2468")
        send(.pinChecked(true))
    }

    /// At the appointment screen of `appointment`, found by its code.
    mutating func find(_ appointment: AppointmentSummary) {
        unlock()
        press(.ok)          // check in a person
        press(.ok)          // by confirmation code
        type(appointment.confirmationCode.replacingOccurrences(of: "-", with: ""))
        send(.lookedUp(appointment))
    }
}

@Suite struct PortCheckIn {
    @Test func wrongPINKeepsTheStationLocked() {
        var port = Port()
        port.type("1111")
        #expect(port.requests.last == .verifyPIN("1111"))
        port.send(.pinChecked(false))
        #expect(port.lastScreen?.id == "port-locked")
        #expect(port.lastScreen?.lines.contains("Wrong PIN.") == true)
        // The PIN is never shown.
        #expect(port.effects.allSatisfy { if case .show(let c) = $0 { !(c.entry ?? "").contains("1") } else { true } })
    }

    @Test func matchIsConfirmedByTheOfficer() throws {
        var port = Port()
        port.find(expected)
        #expect(port.requests.contains(.lookUp(.confirmationCode(expected.confirmationCode))))
        #expect(port.lastScreen?.id == "port-appointment")
        port.press(.ok)     // photo check
        #expect(port.lastScreen?.id == "port-consent")
        #expect(port.lastScreen?.languageTag == "es") // the person's own language
        port.press(.ok)     // the person agrees
        #expect(port.effects.contains(.capturePhoto(languageTag: "es")))
        let template = FaceTemplate(engine: "dlib", modelVersion: "v1", values: [0.1, 0.2])
        port.send(.photoCaptured(jpeg: Data([1]), template: template))
        #expect(port.requests.last == .match(template, expected: expected.submissionID))
        let decision = MatchDecision(band: .match, score: 0.93, threshold: 0.61, modelVersion: "v1")
        port.send(.matched(decision))
        #expect(port.lastScreen?.id == "port-result-match")
        #expect(port.lastScreen?.lines.first?.contains("0.93") == true)
        #expect(port.lastScreen?.lines.first?.contains("0.61") == true)
        port.press(.ok)     // officer confirms
        guard case .recordCheckIn(let record) = port.requests.last else { Issue.record("no check-in record"); return }
        #expect(record.outcome == .checkedIn && record.method == .photo && record.decision == decision)
        port.send(.checkInRecorded)
        #expect(port.lastScreen?.id == "port-recorded-checked-in")
        port.press(.ok)
        #expect(port.lastScreen?.id == "port-menu")
        #expect(port.flow.holdsNoVisitData)
    }

    @Test func nonMatchGoesToTheOfficerNeverAnAutomaticDenial() throws {
        var port = Port()
        port.find(expected)
        port.press(.ok, .ok)
        port.send(.photoCaptured(jpeg: Data([1]), template: FaceTemplate(engine: "dlib", modelVersion: "v1", values: [1])))
        port.send(.matched(MatchDecision(band: .noMatch, score: 0.12, threshold: 0.61, modelVersion: "v1")))
        #expect(port.lastScreen?.id == "port-result-no-match")
        // The officer chooses; referring is one of the choices, denial is not.
        #expect(port.lastScreen?.choices.count == 3)
        port.press(.down, .ok) // refer to secondary review
        guard case .recordCheckIn(let record) = port.requests.last else { Issue.record("no record"); return }
        #expect(record.outcome == .referred)
    }

    @Test func possibleMixUpIsFlagged() {
        var port = Port()
        port.find(expected)
        port.press(.ok, .ok)
        port.send(.photoCaptured(jpeg: Data([1]), template: FaceTemplate(engine: "dlib", modelVersion: "v1", values: [1])))
        port.send(.matched(MatchDecision(band: .possibleMixUp, score: 0.5, threshold: 0.61, modelVersion: "v1", otherCandidate: UUID())))
        #expect(port.lastScreen?.id == "port-result-possible-mix-up")
    }

    @Test func declinedPhotoLeadsToTheSameOutcomeByDocuments() {
        var port = Port()
        port.find(expected)
        port.press(.ok)          // photo check offered
        port.press(.down, .ok)   // the person declines
        #expect(port.lastScreen?.id == "port-biographic")
        port.press(.ok)          // documents match
        guard case .recordCheckIn(let record) = port.requests.last else { Issue.record("no record"); return }
        #expect(record.method == .biographic && record.outcome == .checkedIn && record.decision == nil)
    }

    @Test func noPhotoOnFileOffersOnlyDocuments() {
        var port = Port()
        var withoutPhoto = expected
        withoutPhoto.hasTemplate = false
        port.find(withoutPhoto)
        #expect(port.lastScreen?.choices == ["Check documents instead"])
        port.press(.ok)
        #expect(port.lastScreen?.id == "port-biographic")
    }

    @Test func repeatedCaptureFailureFallsBackToDocuments() {
        var port = Port()
        port.find(expected)
        port.press(.ok, .ok)
        for _ in 0..<3 { port.send(.captureFailed(reason: "no face")) }
        #expect(port.lastScreen?.id == "port-biographic")
    }

    @Test func statusLookupByANumber() {
        var port = Port()
        port.unlock()
        port.press(.down, .ok)   // look up a status
        port.press(.down, .ok)   // by A-Number
        port.type("12345678")
        #expect(port.requests.last == .lookUp(.aNumber("012345678")))
        port.send(.lookedUp(nil))
        #expect(port.lastScreen?.id == "port-status")
        #expect(port.lastScreen?.lines == ["Not found"])
    }

    @Test func onlyAnAppointmentExpectedTodayCanBeCheckedIn() {
        var done = expected
        done.status = .checkedIn
        var port = Port()
        port.find(done)
        #expect(port.lastScreen?.id == "port-status")
        #expect(port.lastScreen?.lines == ["Checked in", "El Paso"])

        var later = expected
        later.status = .elsewhere
        later.details = PersonDetails()
        later.time = Date(timeIntervalSince1970: 1_796_000_400)
        port = Port()
        port.find(later)
        #expect(port.lastScreen?.id == "port-status")
        #expect(port.lastScreen?.lines.last == "El Paso, 2026-11-30 01:00 UTC")
        #expect(port.flow.holdsNoVisitData)
        port.press(.ok)
        #expect(port.lastScreen?.id == "port-menu")
    }

    @Test func badCodeIsRefusedBeforeAnyLookup() {
        var port = Port()
        port.unlock()
        port.press(.ok, .ok)
        port.type("ABCD1234Z")
        #expect(port.lastScreen?.id == "port-code")
        #expect(!port.requests.contains { if case .lookUp = $0 { true } else { false } })
    }

    @Test func idleStationLocksAndForgets() {
        var port = Port()
        port.find(expected)
        port.send(.timerExpired)
        #expect(port.lastScreen?.id == "port-locked")
        #expect(port.flow.holdsNoVisitData)
    }
}
