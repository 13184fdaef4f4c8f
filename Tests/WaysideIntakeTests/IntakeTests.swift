import AsyncHTTPClient
import Crypto
import Foundation
import Synchronization
import Testing
import WaysideCore
import WaysideIntake
import WaysideStore
import WaysideUplink
import WaysideWire

/// The storage contract: every test below runs against each storage that is available.
/// Serialized: they share one PostgreSQL server, which one of them restarts.
@Suite(.serialized, .timeLimit(.minutes(2))) struct IntakeOverHTTPTests {
    @Test(arguments: StorageKind.available) func submissionTravelsSealedAndComesBackWithAReceipt(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            let s = person("Wilmarie")
            try await kiosk.outbox.commit(s)
            let forwarder = Forwarder(outbox: kiosk.outbox, uplink: kiosk.uplink, clock: SimulatedClock())
            #expect(await forwarder.step() == .delivered)
            #expect(await forwarder.step() == .idle)
            #expect(try await kiosk.outbox.depth() == 0)
            let receipt = try #require(try await kiosk.outbox.receipt(for: s.id))
            #expect(ConfirmationCode(parsing: receipt.confirmationCode)?.value == receipt.confirmationCode)
            #expect(receipt.appointmentPort == "San Ysidro")
            #expect(receipt.appointmentTime != nil)
            #expect(try await intake.storage.arrivals() == [s.id])
            let export = try #require(try await intake.storage.export(code: receipt.confirmationCode))
            #expect(String(decoding: export.details ?? Data(), as: UTF8.self).contains("Wilmarie"))
            // Status by code and by A-Number, signed by the kiosk.
            #expect(try await kiosk.uplink.status(code: receipt.confirmationCode).state == .pending)
            let byNumber = try await kiosk.uplink.status(aNumber: "A-212-345-678")
            #expect(byNumber.confirmationCode == receipt.confirmationCode)
            #expect(try await kiosk.uplink.status(aNumber: "999999999").state == .notFound)
            #expect(try await intake.storage.auditLog().contains { $0.action == "status-lookup" && $0.actor == kiosk.identity.deviceID })
        } }
    }

    @Test(arguments: StorageKind.available) func redeliveryIsIdempotent(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            let s = person()
            try await kiosk.outbox.commit(s)
            let entry = try #require(try await kiosk.outbox.pending(limit: 1).first)
            let first = try await kiosk.uplink.deliver(entry)
            let second = try await kiosk.uplink.deliver(entry)
            #expect(first == second)
            #expect(try await intake.storage.arrivals() == [s.id])
            // The same id from another kiosk is a conflict, not a second record.
            let other = try await enrolKiosk(intake)
            await #expect { try await other.uplink.deliver(entry) } throws: { ($0 as? UplinkError)?.code == .rejected }
            #expect(try await intake.storage.arrivals() == [s.id])
        } }
    }

    @Test(arguments: StorageKind.available) func badRequestsGetAClear4xxAndStoreNothing(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage, maxBodyBytes: 64 * 1024) { intake in
            let kiosk = try await enrolKiosk(intake)
            let url = intake.url + WirePath.submissions
            let now = Int64(intake.wall.now().timeIntervalSince1970)
            func signed(_ body: Data, time: Int64 = now, identity: DeviceIdentity = kiosk.identity) throws -> [(String, String)] {
                try RequestSigning.headers(method: "POST", path: WirePath.submissions, body: body, time: time, deviceID: identity.deviceID, key: identity.signingKey)
            }
            let s = person()
            let intakeKey = intake.keys.sealingKey.publicKey
            let good = try WireCoding.encoder().encode(WireSubmission(id: s.id, createdAt: s.createdAt, sealed: try Sealing.seal(
                try WireCoding.encoder().encode(s), to: intakeKey, purpose: .submission, associatedData: Data(s.id.uuidString.utf8))))

            var (status, problem) = try await raw(url, body: good)
            #expect(status == 401 && problem?.error == "unsigned")

            (status, problem) = try await raw(url, headers: try signed(Data("{not json".utf8)), body: Data("{not json".utf8))
            #expect(status == 400 && problem?.error == "malformed")

            let big = Data(repeating: 0x41, count: 100 * 1024)
            (status, _) = try await raw(url, headers: try signed(big), body: big)
            #expect(status == 413)

            (status, problem) = try await raw(url, headers: try signed(good, time: now - 3600), body: good)
            #expect(status == 401 && problem?.error == "stale-request")

            var tampered = good
            tampered[tampered.count - 3] ^= 0x01
            (status, problem) = try await raw(url, headers: try signed(good), body: tampered)
            #expect(status == 400 && problem?.error == "digest-mismatch")

            var forged = try signed(good)
            forged[3].1 = try kiosk.identity.signingKey.signature(for: Data("something else".utf8)).base64EncodedString()
            (status, problem) = try await raw(url, headers: forged, body: good)
            #expect(status == 401 && problem?.error == "bad-signature")

            let stranger = DeviceIdentity(deviceID: "not-enrolled", signingKey: .init(), sealingKey: .init())
            (status, problem) = try await raw(url, headers: try signed(good, identity: stranger), body: good)
            #expect(status == 401 && problem?.error == "unknown-device")

            let wrongKey = try WireCoding.encoder().encode(WireSubmission(id: s.id, createdAt: s.createdAt, sealed: try Sealing.seal(
                try WireCoding.encoder().encode(s), to: Curve25519.KeyAgreement.PrivateKey().publicKey, purpose: .submission,
                associatedData: Data(s.id.uuidString.utf8))))
            (status, problem) = try await raw(url, headers: try signed(wrongKey), body: wrongKey)
            #expect(status == 422 && problem?.error == "unsealable")

            (status, problem) = try await raw(intake.url + WirePath.devices, headers: [("authorization", "Bearer wrong")], body: Data("{}".utf8))
            #expect(status == 401 && problem?.error == "bad-token")

            #expect(try await intake.storage.arrivals().isEmpty)
            // Control: the well-formed request itself is accepted, so the refusals above were for cause.
            (status, _) = try await raw(url, headers: try signed(good), body: good)
            #expect(status == 201)
            #expect(try await intake.storage.arrivals() == [s.id])
            // A replay of that request after the window is refused; within it, answered idempotently.
            (status, _) = try await raw(url, headers: try signed(good), body: good)
            #expect(status == 200)
            intake.wall.advance(by: 301)
            (status, problem) = try await raw(url, headers: try signed(good), body: good)
            #expect(status == 401 && problem?.error == "stale-request")
            #expect(try await intake.storage.arrivals() == [s.id])
        } }
    }

    @Test(arguments: StorageKind.available) func backlogDrainsInOrderAfterALongOutage(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            let clock = SimulatedClock()
            let outage = Duration.seconds(6 * 3600)
            // The real HTTP uplink behind a switch that says "unreachable" until the simulated outage is over.
            let uplink = OutageUplink(inner: kiosk.uplink, clock: clock, until: clock.now.advanced(by: outage))
            var committed: [UUID] = []
            for i in 0..<40 {
                let s = person("Person\(i)", port: "Test Port")
                try await kiosk.outbox.commit(s)
                committed.append(s.id)
            }
            let policy = RetryPolicy(base: .seconds(1), cap: .seconds(600), pollInterval: .seconds(1))
            let forwarder = Forwarder(outbox: kiosk.outbox, uplink: uplink, clock: clock, policy: policy)
            let task = Task { try await forwarder.run() }
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while try await kiosk.outbox.depth() > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            task.cancel()
            _ = try? await task.value
            #expect(clock.now.offset >= outage)
            #expect(uplink.failures > 10)
            #expect(clock.sleeps.allSatisfy { $0 <= policy.cap })
            #expect(try await intake.storage.arrivals() == committed)
            for id in committed { #expect(try await kiosk.outbox.receipt(for: id) != nil) }
        } }
    }

    @Test(arguments: StorageKind.available) func appointmentsAreFairAcrossKiosksAndCanBeMovedOrCancelled(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let a = try await enrolKiosk(intake, id: "kiosk-a")
            let b = try await enrolKiosk(intake, id: "kiosk-b")
            // b is active; then a sends a burst of 6 (a day's capacity at San Ysidro is 6).
            let first = try await b.uplink.deliver(try await commitOne(b, person("B0")))
            var fromA: [Receipt] = []
            for i in 0..<6 { fromA.append(try await a.uplink.deliver(try await commitOne(a, person("A\(i)")))) }
            let day1 = try #require(first.appointmentTime)
            let aOnDay1 = fromA.filter { Calendar.current.isDate($0.appointmentTime ?? .distantPast, equalTo: day1, toGranularity: .day) }
            // Two active kiosks: a may take only half the day (3), leaving room for b.
            #expect(aOnDay1.count == 3)
            let bLater = try await b.uplink.deliver(try await commitOne(b, person("B1")))
            #expect(Calendar.current.isDate(try #require(bLater.appointmentTime), equalTo: day1, toGranularity: .day))
            // Slots are filled evenly: 09:00 and 13:00.
            let hours = Set(fromA.compactMap { $0.appointmentTime }.map { Calendar(identifier: .gregorian).dateComponents(in: .gmt, from: $0).hour })
            #expect(hours == [9, 13])

            let code = fromA[0].confirmationCode
            let (status, body) = try await a.uplink.send(method: .POST, path: WirePath.appointments + "/\(code)/reschedule",
                                                         body: try WireCoding.encoder().encode(WireReschedule(notBefore: "2099-01-01")))
            #expect(status == 200)
            let moved = try WireCoding.decoder().decode(WireStatus.self, from: body)
            #expect((moved.appointmentTime ?? .distantPast) >= Date(timeIntervalSince1970: 4_070_908_800))
            let (cancelStatus, _) = try await a.uplink.send(method: .POST, path: WirePath.appointments + "/\(code)/cancel", body: Data())
            #expect(cancelStatus == 200)
            #expect(try await a.uplink.status(code: code).state == .closed)
            let (again, _) = try await a.uplink.send(method: .POST, path: WirePath.appointments + "/\(code)/cancel", body: Data())
            #expect(again == 404)
            // A typo in the code is caught by the check character.
            var typo = Array(code)
            typo[0] = typo[0] == "1" ? "2" : "1"
            await #expect { try await a.uplink.status(code: String(typo)) } throws: { ($0 as? UplinkError)?.code == .rejected }
        } }
    }

    /// The code a kiosk shows offline (derived from the submission id) is the code the intake
    /// files the request under; only a taken code is replaced, and the receipt says by what.
    @Test(arguments: StorageKind.available) func theOfflineCodeIsTheIntakesCode(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            let first = person()
            let firstEntry = try await commitOne(kiosk, first)
            let firstReceipt = try await kiosk.uplink.deliver(firstEntry)
            #expect(firstReceipt.confirmationCode == WaysideCore.ConfirmationCode.make(for: first.id))
            // A second request whose id shares the 40 bits the code is made from.
            var bytes = first.id.uuid
            bytes.15 ^= 0xFF
            var second = person("Jean")
            second.id = UUID(uuid: bytes)
            #expect(WaysideCore.ConfirmationCode.make(for: second.id) == firstReceipt.confirmationCode)
            let secondReceipt = try await kiosk.uplink.deliver(try await commitOne(kiosk, second))
            #expect(secondReceipt.confirmationCode != firstReceipt.confirmationCode)
            #expect(WaysideCore.ConfirmationCode.normalise(secondReceipt.confirmationCode) != nil)
            // Delivered again, each keeps its own code.
            #expect(try await kiosk.uplink.deliver(firstEntry).confirmationCode == firstReceipt.confirmationCode)
            #expect(try await kiosk.uplink.status(code: secondReceipt.confirmationCode).state == .pending)
        } }
    }

    @Test(arguments: StorageKind.available) func galleryIsSealedToTheStationAndCheckInsCloseTheLoop(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            let station = try await enrolKiosk(intake, id: "station-1", role: .port)
            let receipt = try await kiosk.uplink.deliver(try await commitOne(kiosk, person(template: true)))
            let day = String(ISO8601DateFormatter.string(from: try #require(receipt.appointmentTime), timeZone: .gmt, formatOptions: [.withFullDate]))
            // A shelter kiosk may not read galleries.
            let (denied, _) = try await kiosk.uplink.send(method: .GET, path: WirePath.gallery + "?port=San%20Ysidro&day=\(day)", body: Data())
            #expect(denied == 403)
            let (status, body) = try await station.uplink.send(method: .GET, path: WirePath.gallery + "?port=San%20Ysidro&day=\(day)", body: Data())
            #expect(status == 200)
            let gallery = try WireCoding.decoder().decode(WireGallery.self, from: body)
            #expect(String(decoding: body, as: UTF8.self).contains(receipt.confirmationCode) == false)
            let opened = try Sealing.open(gallery.sealed, with: station.identity.sealingKey, purpose: .gallery,
                                          associatedData: Data("station-1/San Ysidro/\(day)".utf8))
            let entries = try WireCoding.decoder().decode([GalleryEntry].self, from: opened)
            #expect(entries.map(\.confirmationCode) == [receipt.confirmationCode])
            #expect(throws: SealingError.self) {
                try Sealing.open(gallery.sealed, with: kiosk.identity.sealingKey, purpose: .gallery, associatedData: Data("station-1/San Ysidro/\(day)".utf8))
            }
            let record = WireCheckIn(confirmationCode: receipt.confirmationCode, time: intake.wall.now(), outcome: "match", officer: "officer-7")
            let id = UUID()
            let envelope = WireSubmission(id: id, createdAt: Date(), sealed: try Sealing.seal(
                try WireCoding.encoder().encode(record), to: intake.keys.sealingKey.publicKey, purpose: .checkIn, associatedData: Data(id.uuidString.utf8)))
            let (checked, _) = try await station.uplink.send(method: .POST, path: WirePath.checkIns, body: try WireCoding.encoder().encode(envelope))
            #expect(checked == 200)
            #expect(try await station.uplink.status(code: receipt.confirmationCode).state == .checkedIn)
            #expect(try await intake.storage.auditLog().contains { $0.action == "gallery-read" && $0.actor == "station-1" })
        } }
    }

    @Test(arguments: StorageKind.available) func retentionPurgesBiometricsAndAuditsIt(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            let kept = try await kiosk.uplink.deliver(try await commitOne(kiosk, person("Kept", template: true)))
            let checked = try await kiosk.uplink.deliver(try await commitOne(kiosk, person("Checked", template: true)))
            #expect(try await storage.checkIn(code: checked.confirmationCode, at: intake.wall.now()))
            let policy = RetentionPolicy(daysAfterCheckIn: 3, daysAfterLapse: 10)
            #expect(try await storage.purge(policy: policy, now: intake.wall.now().addingTimeInterval(2 * 86_400)) == 0)
            #expect(try await storage.purge(policy: policy, now: intake.wall.now().addingTimeInterval(4 * 86_400)) == 1)
            let c = try #require(try await storage.export(code: checked.confirmationCode))
            #expect(!c.holdsTemplate && !c.holdsPhoto)
            // The other appointment lapses after its day passes, and is purged 10 days later.
            let k = try #require(try await storage.export(code: kept.confirmationCode))
            #expect(k.holdsTemplate && k.holdsPhoto)
            let lapse = (kept.appointmentTime ?? Date()).addingTimeInterval(86_400 * 2)
            _ = try await storage.purge(policy: policy, now: lapse)
            #expect(try await storage.status(code: kept.confirmationCode).state == .closed)
            #expect(try await storage.purge(policy: policy, now: lapse.addingTimeInterval(11 * 86_400)) == 1)
            #expect(try await storage.auditLog().filter { $0.action == "purge-biometrics" }.count == 2)
            // Forget removes the record on request.
            #expect(try await storage.forget(code: kept.confirmationCode))
            #expect(try await storage.export(code: kept.confirmationCode) == nil)
        } }
    }

    @Test(arguments: StorageKind.available) func statusPageShowsCountsAndNoPersonalData(kind: StorageKind) async throws {
        try await withStorage(kind) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake, id: "kiosk-status")
            let r = try await kiosk.uplink.deliver(try await commitOne(kiosk, person("Zyxwvutsrq")))
            var request = HTTPClientRequest(url: intake.url + WirePath.statusPage)
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let html = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(response.status.code == 200)
            #expect(html.contains("kiosk-status"))
            #expect(html.contains("<td>1</td>"))
            #expect(!html.contains("Zyxwvutsrq"))
            #expect(!html.contains(r.confirmationCode))
            #expect(!html.contains("212345678"))
        } }
    }
}

/// Commits one submission and returns its outbox entry.
func commitOne(_ kiosk: Kiosk, _ s: Submission) async throws -> OutboxEntry {
    try await kiosk.outbox.commit(s)
    return try #require(try await kiosk.outbox.pending(limit: 100).first { $0.id == s.id })
}

/// The real uplink, unreachable until a moment of a simulated clock.
final class OutageUplink: Uplink, Sendable {
    let inner: HTTPUplink
    let clock: SimulatedClock
    let until: SimulatedClock.Instant
    private let count = Mutex(0)
    init(inner: HTTPUplink, clock: SimulatedClock, until: SimulatedClock.Instant) {
        self.inner = inner
        self.clock = clock
        self.until = until
    }
    var failures: Int { count.withLock { $0 } }
    func deliver(_ entry: OutboxEntry) async throws -> Receipt {
        if clock.now < until {
            count.withLock { $0 += 1 }
            throw UplinkError(.unreachable, "simulated outage")
        }
        return try await inner.deliver(entry)
    }
}
