import Crypto
import Foundation
import Testing
import WaysideCore
import WaysideStore
import WaysideWire

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "wayside-store-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func sampleSubmission(name: String = "Wilmarie", photo: Data? = nil) -> Submission {
    Submission(createdAt: Date(timeIntervalSince1970: 1_790_000_000),
               details: PersonDetails(givenName: name, familyName: "Desrosiers", birthDate: "1991-03-04", aNumber: "212345678",
                                      phone: "5550101", country: "HT", port: "San Ysidro"),
               consent: ConsentRecord(languageTag: "ht", noticeVersion: "n1", photoConsented: photo != nil, time: Date(timeIntervalSince1970: 1_790_000_000)),
               photoJPEG: photo)
}

/// Every byte of the database's files (main, WAL, shared memory).
func databaseBytes(_ path: String) -> Data {
    var all = Data()
    for suffix in ["", "-wal", "-shm", "-journal"] {
        if let d = FileManager.default.contents(atPath: path + suffix) { all += d }
    }
    return all
}

@Suite struct SealedOutboxTests {
    @Test func roundTripOpensOnlyWithTheIntakeKey() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let intake = Curve25519.KeyAgreement.PrivateKey()
        let outbox = try SealedOutbox(path: dir + "/outbox.sqlite", recipient: intake.publicKey)
        let s = sampleSubmission(photo: Data(repeating: 0xAB, count: 5000))
        try await outbox.commit(s)
        let entries = try await outbox.pending(limit: 10)
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.id == s.id)
        let opened = try Sealing.open(entry.sealed, with: intake, purpose: .submission, associatedData: Data(s.id.uuidString.utf8))
        #expect(try WireCoding.decoder().decode(Submission.self, from: opened) == s)
        // Another key, or the same bytes presented as another id, do not open.
        #expect(throws: SealingError.self) {
            try Sealing.open(entry.sealed, with: .init(), purpose: .submission, associatedData: Data(s.id.uuidString.utf8))
        }
        #expect(throws: SealingError.self) {
            try Sealing.open(entry.sealed, with: intake, purpose: .submission, associatedData: Data(UUID().uuidString.utf8))
        }
    }

    @Test func nothingReadableOnDiskBeforeOrAfterForwarding() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/outbox.sqlite"
        let outbox = try SealedOutbox(path: path, recipient: Curve25519.KeyAgreement.PrivateKey().publicKey)
        let name = "Zyxwvutsrqponm"
        let photo = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let s = sampleSubmission(name: name, photo: photo)
        try await outbox.commit(s)
        let onDisk = databaseBytes(path)
        #expect(onDisk.count > 0)
        #expect(onDisk.range(of: Data(name.utf8)) == nil)
        #expect(onDisk.range(of: Data("212345678".utf8)) == nil)
        #expect(onDisk.range(of: photo.prefix(64)) == nil)
        // Control: the check does find what is stored in clear (the id), so it can fail.
        #expect(onDisk.range(of: Data(s.id.uuidString.utf8)) != nil)

        let sealed = try #require(try await outbox.pending(limit: 1).first).sealed
        try await outbox.acknowledge(s.id, receipt: Receipt(submissionID: s.id, confirmationCode: "AAAA-BBBB-C"))
        try await outbox.checkpoint()
        // secure_delete: the sealed bytes are overwritten, not just unlinked.
        #expect(databaseBytes(path).range(of: sealed.suffix(256)) == nil)
        #expect(try await outbox.receipt(for: s.id)?.confirmationCode == "AAAA-BBBB-C")
        #expect(try await outbox.depth() == 0)
    }

    @Test func quotaFullRefusesAndKeepsWhatIsThere() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outbox = try SealedOutbox(path: dir + "/outbox.sqlite", recipient: Curve25519.KeyAgreement.PrivateKey().publicKey, quotaBytes: 20_000)
        let photo = Data(repeating: 1, count: 6000)
        var committed: [UUID] = []
        var refusal: OutboxError?
        for _ in 0..<10 {
            let s = sampleSubmission(photo: photo)
            do {
                try await outbox.commit(s)
                committed.append(s.id)
            } catch let e as OutboxError {
                refusal = e
                break
            }
        }
        #expect(refusal?.code == .full)
        #expect(committed.count >= 1 && committed.count < 10)
        #expect(try await outbox.pending(limit: 100).map(\.id) == committed)
        #expect(try await outbox.usedBytes() <= 20_000)
        // The running total the quota checks is the sum of what waits, after commits,
        // after a delivery, and after reopening the file.
        func waitingBytes(_ box: SealedOutbox) async throws -> Int {
            try await box.pending(limit: 100).map(\.sealed.count).reduce(0, +)
        }
        #expect(try await outbox.usedBytes() == waitingBytes(outbox))
        // Forwarding one frees room again.
        try await outbox.acknowledge(committed[0], receipt: Receipt(submissionID: committed[0], confirmationCode: "X"))
        #expect(try await outbox.usedBytes() == waitingBytes(outbox))
        try await outbox.commit(sampleSubmission(photo: photo))
        let reopened = try SealedOutbox(path: dir + "/outbox.sqlite", recipient: Curve25519.KeyAgreement.PrivateKey().publicKey, quotaBytes: 20_000)
        #expect(try await reopened.usedBytes() == waitingBytes(reopened))
        #expect(try await reopened.usedBytes() > 0)
    }

    @Test func durableSettingsAreInForceAndSurviveReopening() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = Curve25519.KeyAgreement.PrivateKey().publicKey
        let path = dir + "/outbox.sqlite"
        var ids: [UUID] = []
        do {
            let outbox = try SealedOutbox(path: path, recipient: key)
            let settings = try await outbox.durabilitySettings()
            #expect(settings.journalMode == "wal")
            #expect(settings.synchronous == 2)  // FULL
            #expect(settings.secureDelete == 1)
            for _ in 0..<5 {
                let s = sampleSubmission()
                try await outbox.commit(s)
                try await outbox.commit(s)  // a second commit of the same id is stored once
                ids.append(s.id)
            }
        }
        // The committed transactions are in the WAL file; a new connection (as after a
        // crash, before any checkpoint) sees them all, in order.
        let reopened = try SealedOutbox(path: path, recipient: key)
        #expect(try await reopened.pending(limit: 100).map(\.id) == ids)
    }

    @Test func identityFileIsPrivateAndRefusedWhenNot() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state"
        let made = try DeviceIdentity.create(deviceID: "kiosk-1", in: state)
        let attrs = try FileManager.default.attributesOfItem(atPath: state + "/device.key")
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect((try FileManager.default.attributesOfItem(atPath: state)[.posixPermissions] as? Int) == 0o700)
        let loaded = try DeviceIdentity.load(from: state)
        #expect(loaded.deviceID == "kiosk-1")
        #expect(loaded.signingKey.publicKey.rawRepresentation == made.signingKey.publicKey.rawRepresentation)
        #expect(throws: StoreError.self) { try DeviceIdentity.create(deviceID: "kiosk-1", in: state) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: state + "/device.key")
        #expect {
            try DeviceIdentity.load(from: state)
        } throws: { ($0 as? StoreError)?.code == .permissions }
    }

    @Test func confirmationCodeCatchesTyposAndReadsLookalikes() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let code = ConfirmationCode.random(using: &g)
            #expect(ConfirmationCode(parsing: code.value) == code)
            #expect(ConfirmationCode(parsing: code.value.lowercased().replacingOccurrences(of: "-", with: " ")) == code)
            // Every single-symbol substitution is caught.
            var chars = Array(code.value.replacingOccurrences(of: "-", with: ""))
            let i = Int.random(in: 0..<9)
            let original = chars[i]
            chars[i] = ConfirmationCode.alphabet.first { $0 != original } ?? "0"
            #expect(ConfirmationCode(parsing: String(chars)) == nil)
        }
        #expect(ConfirmationCode(parsing: "hello") == nil)
    }
}
