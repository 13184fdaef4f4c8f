import Crypto
import Foundation
import Logging
import WaysideCore
import WaysideStore
import WaysideWire

/// Check-in records on their way to the intake, sealed to the intake's key and kept one
/// file each in `<data>/check-ins` until the intake acknowledges them.
///
/// A port loses its network too: the officer's check-in is sealed and made durable before
/// the station says "checked in", and sent when the intake can be reached. Nothing in the
/// folder is readable on the station (only the intake's key opens it); a record the power
/// cut mid-write (a `.tmp` file) was never confirmed to the officer and is removed.
public final class CheckInQueue: Sendable {
    public let directory: String
    private let intakeKey: Curve25519.KeyAgreement.PublicKey

    /// Opens (creating) the queue folder; records are sealed to `intakeKey`.
    public init(directory: String, intakeKey: Curve25519.KeyAgreement.PublicKey) throws {
        self.directory = directory
        self.intakeKey = intakeKey
        try FileIO.makePrivateDirectory(directory)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Seals `record` and makes it durable; returns when it is safe to tell the officer.
    public func enqueue(_ record: WireCheckIn, id: UUID, createdAt: Date) throws {
        let sealed = try Sealing.seal(try WireCoding.encoder().encode(record), to: intakeKey, purpose: .checkIn,
                                      associatedData: Data(id.uuidString.utf8))
        let envelope = try WireCoding.encoder().encode(WireSubmission(id: id, createdAt: createdAt, sealed: sealed))
        // Names sort by time, so records go in the order the officer made them.
        let name = String(format: "%015.0f-", createdAt.timeIntervalSince1970 * 1000) + id.uuidString + ".json"
        try FileIO.replaceDurably(directory + "/" + name, data: envelope, mode: 0o600)
    }

    /// The waiting records' file names, oldest first.
    public func pending() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// Sends every waiting record with `post` (which returns the HTTP status), oldest first,
    /// and removes each one the intake took (2xx) or refused for good (4xx: e.g. the
    /// appointment was closed meanwhile; logged). Stops at the first that cannot be sent now.
    /// Returns how many are still waiting.
    @discardableResult
    public func flush(logger: Logger, post: (Data) async throws -> Int) async -> Int {
        for name in pending() {
            let path = directory + "/" + name
            guard let body = try? FileIO.read(path, private: true) else { continue }
            let status: Int
            do { status = try await post(body) } catch {
                logger.notice("check-in not sent yet; the intake is unreachable", metadata: ["waiting": "\(pending().count)", "error": "\(error)"])
                return pending().count
            }
            switch status {
            case 200..<300:
                try? FileManager.default.removeItem(atPath: path)
            case 408, 425, 429, 500...:
                logger.notice("check-in not sent yet; the intake asked to retry", metadata: ["status": "\(status)"])
                return pending().count
            default:
                logger.error("the intake refused a check-in; it is dropped", metadata: ["file": "\(name)", "status": "\(status)"])
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        return 0
    }
}
