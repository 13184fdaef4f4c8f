import Foundation
import Logging
import Testing
import WaysideCore
import WaysideFace
import WaysideMatch
import WaysideStation
import WaysideStore
import WaysideUplink
import WaysideWire

/// The port station against the real intake (SQLite, and PostgreSQL under scripts/with-postgres),
/// with the shipped comparison back-end: PIN, gallery, lookup, 1:1 and 1:N, check-in.
@Suite struct PortStationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The demo photos `scripts/setup` fetches (two of one man, one of another).
    static let demoImages = FaceModelFiles.cacheDirectory() + "/demo-images"
    static var facesPresent: Bool {
        (try? FaceModelFiles.standard().checkPresent()) != nil && FileManager.default.fileExists(atPath: demoImages + "/obama2.jpg")
    }

    /// The real engine's template of the face nearest the centre of a demo photo.
    static func template(of name: String, engine: DlibFaceEngine) throws -> FaceTemplate {
        let image = try RGBImage(contentsOfFile: demoImages + "/" + name)
        let face = try #require(FaceChoice.nearestCentre(try engine.detect(in: image), width: image.width, height: image.height))
        return try engine.template(of: face, in: image)
    }

    static func registration(_ name: String, aNumber: String?, template: FaceTemplate?, language: String) -> Submission {
        Submission(createdAt: Date(),
                   details: PersonDetails(givenName: name, familyName: "Test", birthDate: "1990-01-02", aNumber: aNumber,
                                          phone: nil, country: "HT", port: "San Ysidro"),
                   consent: ConsentRecord(languageTag: language, noticeVersion: "n1", photoConsented: template != nil, time: Date()),
                   photoJPEG: template == nil ? nil : Data(repeating: 0xFF, count: 300),
                   template: template)
    }

    @Test(.enabled(if: facesPresent, "face models or demo images absent: run scripts/fetch-models"), arguments: StorageKind.available)
    func stationFindsMatchesAndChecksIn(kind: StorageKind) async throws {
        let engine = try DlibFaceEngine(models: .standard(), options: .stills)
        let obama = try Self.template(of: "obama.jpg", engine: engine), obamaAgain = try Self.template(of: "obama2.jpg", engine: engine)
        let biden = try Self.template(of: "biden.jpg", engine: engine)
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            let stationDirectory = try temporaryDirectory()
            let (identity, _) = try await Enroller.enrol(stateDirectory: stationDirectory + "/state", intakeURL: intake.url, token: testToken,
                                                         deviceID: "station-7", role: .port)
            var receipts: [Receipt] = []
            for person in [Self.registration("Ana", aNumber: "212345678", template: obama, language: "es"),
                           Self.registration("Bea", aNumber: "298765432", template: biden, language: "ar"),
                           Self.registration("Cleo", aNumber: nil, template: nil, language: "ht")] {
                receipts.append(try await kiosk.uplink.deliver(try await commitOne(kiosk, person)))
            }
            let appointmentDay = try #require(receipts[0].appointmentTime)
            #expect(receipts.allSatisfy { $0.appointmentTime.map { Calendar.current.isDate($0, inSameDayAs: appointmentDay) } ?? false })

            let shipped = try ComparisonBackendFile.load(from: Self.repository + "/Models/comparison-backend.json", for: LFWTemplates.model)
            let queue = try CheckInQueue(directory: stationDirectory + "/check-ins", intakeKey: intake.keys.sealingKey.publicKey)
            let station = IntakePortStation(
                configuration: .init(port: "San Ysidro", officer: "officer-3"),
                link: .init(uplink: HTTPUplink(baseURL: intake.url, identity: identity, now: { intake.wall.now() }), identity: identity),
                queue: queue, pin: try OfficerPIN(pin: "4821", rounds: 1_000), policy: try DecisionPolicy(calibration: shipped.file.calibration),
                backend: shipped.backend, logger: Logger(label: "test.station"), now: { appointmentDay })

            #expect(await !station.verifyPIN("1111"))
            #expect(await station.verifyPIN("4821"))
            #expect(await station.gallerySize == (3, 2))

            let a = try #require(try await station.lookUp(.confirmationCode(receipts[0].confirmationCode.lowercased())))
            #expect(a.details.givenName == "Ana" && a.languageTag == "es" && a.hasTemplate && a.status == .pending)
            let b = try #require(try await station.lookUp(.aNumber("298765432")))
            #expect(b.details.givenName == "Bea" && b.languageTag == "ar" && b.hasTemplate)
            let c = try #require(try await station.lookUp(.confirmationCode(receipts[2].confirmationCode)))
            #expect(c.details.givenName == "Cleo" && !c.hasTemplate)

            // Ana in front of the camera (another photo), expected as Ana: a match.
            let same = try await station.match(obamaAgain, expected: a.submissionID)
            #expect(same.band == .match, "\(same)")
            // Ana in front of the camera with Bea's code: the 1:N search names Ana.
            let swapped = try await station.match(obamaAgain, expected: b.submissionID)
            #expect(swapped.band == .possibleMixUp && swapped.otherCandidate == a.submissionID, "\(swapped)")
            try await station.record(CheckInRecord(submissionID: a.submissionID, method: .photo, decision: same, outcome: .checkedIn, time: appointmentDay))
            try await station.record(CheckInRecord(submissionID: c.submissionID, method: .biographic, decision: nil, outcome: .checkedIn, time: appointmentDay))
            #expect(queue.pending().isEmpty)
            #expect(try await kiosk.uplink.status(code: receipts[0].confirmationCode).state == .checkedIn)
            #expect(try await kiosk.uplink.status(code: receipts[2].confirmationCode).state == .checkedIn)
            #expect(try await kiosk.uplink.status(code: receipts[1].confirmationCode).state == .pending)
            // Once checked in, the code shows its status instead of a second check-in.
            #expect(try await station.lookUp(.confirmationCode(receipts[0].confirmationCode))?.status == .checkedIn)
            // A well-formed code nobody holds.
            #expect(try await station.lookUp(.confirmationCode(ConfirmationCode.make(for: UUID())))?.status == .notFound)
            // Ana's template left the matcher with her check-in: the same capture with Bea's
            // code is now only a stranger to Bea, never a silent pass.
            let stranger = try await station.match(obamaAgain, expected: b.submissionID)
            #expect(stranger.band == .noMatch, "\(stranger)")
            await #expect(throws: MatchError.self) { try await station.match(obamaAgain, expected: a.submissionID) }
            #expect(try await intake.storage.auditLog().contains { $0.action == "check-in" && $0.actor == "station-7" })

            // The same station a week later: Bea's appointment is not today's, so it shows
            // where and when it is rather than offering a check-in.
            let later = IntakePortStation(
                configuration: .init(port: "San Ysidro"),
                link: .init(uplink: HTTPUplink(baseURL: intake.url, identity: identity, now: { intake.wall.now() }), identity: identity),
                queue: queue, pin: try OfficerPIN(pin: "4821", rounds: 10), policy: try DecisionPolicy(calibration: shipped.file.calibration),
                backend: shipped.backend, logger: Logger(label: "test.station"), now: { appointmentDay.addingTimeInterval(7 * 86_400) })
            let elsewhere = try #require(try await later.lookUp(.confirmationCode(receipts[1].confirmationCode)))
            #expect(elsewhere.status == .elsewhere && elsewhere.port == "San Ysidro" && elsewhere.details.givenName.isEmpty)
        } }
    }

    /// Offline, a check-in stays sealed on disk until the intake takes it; a record the power
    /// cut mid-write was never confirmed and is dropped.
    @Test func checkInsWaitSealedUntilTheIntakeTakesThem() async throws {
        try await withStorage(.sqlite) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            let station = try await enrolKiosk(intake, id: "station-9", role: .port)
            let receipt = try await kiosk.uplink.deliver(try await commitOne(kiosk, person(template: false)))
            let directory = try temporaryDirectory() + "/check-ins"
            var queue = try CheckInQueue(directory: directory, intakeKey: intake.keys.sealingKey.publicKey)
            try queue.enqueue(WireCheckIn(confirmationCode: receipt.confirmationCode, time: intake.wall.now(), outcome: "photo-free", officer: "o"),
                              id: UUID(), createdAt: Date())
            let files = queue.pending()
            #expect(files.count == 1)
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + files[0]))
            #expect(String(decoding: onDisk, as: UTF8.self).contains(receipt.confirmationCode) == false)

            struct Down: Error {}
            let logger = Logger(label: "test.queue")
            #expect(await queue.flush(logger: logger) { _ in throw Down() } == 1)
            #expect(await queue.flush(logger: logger) { _ in 503 } == 1)
            #expect(try await kiosk.uplink.status(code: receipt.confirmationCode).state == .pending)

            FileManager.default.createFile(atPath: directory + "/000000000000000-torn.json.tmp", contents: Data("{\"id\":".utf8))
            queue = try CheckInQueue(directory: directory, intakeKey: intake.keys.sealingKey.publicKey)
            #expect(queue.pending() == files)
            #expect(!FileManager.default.fileExists(atPath: directory + "/000000000000000-torn.json.tmp"))

            let left = await queue.flush(logger: logger) { body in
                try await station.uplink.send(method: .POST, path: WirePath.checkIns, body: body).0
            }
            #expect(left == 0 && queue.pending().isEmpty)
            #expect(try await kiosk.uplink.status(code: receipt.confirmationCode).state == .checkedIn)
        } }
    }

    @Test func wrongPINsLockTheStationForAWhile() throws {
        var gate = PINGate(pin: try OfficerPIN(pin: "20481", rounds: 100), freeAttempts: 5, firstLockout: .seconds(60))
        let start = ContinuousClock.now
        var answers: [Bool] = []
        for _ in 0..<5 { answers.append(gate.check("99999", now: start)) }
        // Locked: even the right PIN is refused until the minute is over.
        answers.append(gate.check("20481", now: start + .seconds(59)))
        #expect(answers == [false, false, false, false, false, false])
        let afterMinute = gate.check("20481", now: start + .seconds(61))
        #expect(afterMinute)
        // Five more wrong ones lock for a minute again; one more after that, for two.
        for _ in 0..<5 { _ = gate.check("00000", now: start + .seconds(62)) }
        _ = gate.check("00000", now: start + .seconds(123))
        let beforeTwo = gate.check("20481", now: start + .seconds(123 + 119))
        let afterTwo = gate.check("20481", now: start + .seconds(123 + 121))
        #expect(!beforeTwo && afterTwo)
        #expect(throws: StoreError.self) { try OfficerPIN(pin: "12a4") }
        #expect(try OfficerPIN(pin: "1234", rounds: 10).matches("1234"))
        #expect(try !OfficerPIN(pin: "1234", rounds: 10).matches("12345"))
    }

    @Test func thePINIsKeptHashedAndAMissingOneNamesTheCommand() throws {
        let directory = try temporaryDirectory()
        #expect { try OfficerPIN.load(from: directory) } throws: { "\($0)".contains("waysidectl station set-pin") }
        try OfficerPIN(pin: "867530", rounds: 10).write(to: directory)
        let text = try String(contentsOfFile: directory + "/officer-pin", encoding: .utf8)
        #expect(!text.contains("867530"))
        #expect(try OfficerPIN.load(from: directory).matches("867530"))
    }
}
