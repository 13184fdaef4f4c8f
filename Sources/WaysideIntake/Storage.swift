import Foundation
import WaysideWire

/// An enrolled device as the intake knows it.
public struct EnrolledDevice: Sendable, Equatable {
    /// The device id.
    public var id: String
    /// What the device does.
    public var role: DeviceRole
    /// Raw Ed25519 public key.
    public var signingKey: Data
    /// Raw X25519 public key (port stations).
    public var sealingKey: Data?
    /// When it was enrolled.
    public var enrolledAt: Date
    /// Makes a record.
    public init(id: String, role: DeviceRole, signingKey: Data, sealingKey: Data?, enrolledAt: Date) {
        self.id = id
        self.role = role
        self.signingKey = signingKey
        self.sealingKey = sealingKey
        self.enrolledAt = enrolledAt
    }
}

/// A submission opened and ready to store.
public struct SubmissionRecord: Sendable {
    /// The submission id (idempotency key).
    public var id: UUID
    /// The kiosk that sent it.
    public var deviceID: String
    /// When the person submitted it.
    public var createdAt: Date
    /// When the intake received it.
    public var receivedAt: Date
    /// A fresh confirmation code (used only if the submission is new).
    public var code: String
    /// The port the person asked for.
    public var requestedPort: String
    /// HMAC of the A-Number, for lookup without keeping it searchable in clear.
    public var aNumberDigest: String?
    /// JSON of the person's details and consent record.
    public var details: Data
    /// JSON of the face template, if any (biometric: purged by retention).
    public var template: Data?
    /// The JPEG photo, if any (biometric: purged by retention).
    public var photo: Data?
    /// Makes a record.
    public init(id: UUID, deviceID: String, createdAt: Date, receivedAt: Date, code: String, requestedPort: String,
                aNumberDigest: String?, details: Data, template: Data?, photo: Data?) {
        self.id = id
        self.deviceID = deviceID
        self.createdAt = createdAt
        self.receivedAt = receivedAt
        self.code = code
        self.requestedPort = requestedPort
        self.aNumberDigest = aNumberDigest
        self.details = details
        self.template = template
        self.photo = photo
    }
}

/// An open appointment as a port station's gallery carries it.
public struct GalleryRow: Sendable {
    public var submissionID: UUID
    public var code: String
    public var appointmentTime: Date?
    /// JSON of the stored details and consent.
    public var details: Data
    /// JSON of the face template, if any.
    public var template: Data?
    public init(submissionID: UUID, code: String, appointmentTime: Date?, details: Data, template: Data?) {
        self.submissionID = submissionID
        self.code = code
        self.appointmentTime = appointmentTime
        self.details = details
        self.template = template
    }
}

/// What an idempotent insert did.
public enum InsertOutcome: Sendable, Equatable {
    /// The submission is new and was stored.
    case inserted(WireReceipt)
    /// The submission was already stored by the same device: its original receipt.
    case existing(WireReceipt)
    /// Another device already used this id.
    case conflict
}

/// One line of the audit log: who read or changed which record, never what it holds.
public struct AuditEntry: Sendable, Equatable {
    /// When.
    public var at: Date
    /// Who: a device id or `operator`.
    public var actor: String
    /// What, e.g. `status-lookup`, `gallery-read`, `export`, `forget`, `purge`.
    public var action: String
    /// Which record: a submission id or a port and day.
    public var subject: String
    /// Makes an entry.
    public init(at: Date, actor: String, action: String, subject: String) {
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
    }
}

/// A person's stored record, as an operator exports it on request.
public struct PersonExport: Codable, Sendable, Equatable {
    /// The submission id.
    public var submissionID: UUID
    /// The confirmation code.
    public var confirmationCode: String
    /// Where it stands.
    public var state: String
    /// The appointment port and time.
    public var appointmentPort: String?
    /// The appointment time.
    public var appointmentTime: Date?
    /// JSON of details and consent as submitted.
    public var details: Data?
    /// Whether a template and a photo are still held.
    public var holdsTemplate: Bool
    /// Whether a photo is still held.
    public var holdsPhoto: Bool
}

/// Counts for the status page; no personal data.
public struct IntakeSummary: Sendable, Equatable {
    /// A kiosk or station and when it was last heard from.
    public struct Device: Sendable, Equatable {
        /// The device id.
        public var id: String
        /// Its role.
        public var role: String
        /// When it last delivered something, if ever.
        public var lastSeen: Date?
        /// Submissions received from it.
        public var submissions: Int
    }
    /// The devices.
    public var devices: [Device]
    /// Today's appointments per port.
    public var appointmentsToday: [String: Int]
}

/// The intake's storage: one contract, two implementations (``SQLiteStorage`` for a single
/// intake, ``PostgresStorage`` for several intake processes on one PostgreSQL cluster).
/// Every method is safe to call from several intake processes at once.
public protocol IntakeStorage: Sendable {
    /// Creates or upgrades the schema.
    func migrate() async throws
    /// Enrols (or re-enrols, replacing the keys of) a device.
    func enrol(_ device: EnrolledDevice) async throws
    /// The enrolled device `id`, if any.
    func device(_ id: String) async throws -> EnrolledDevice?
    /// The receipt of a stored submission, if it exists.
    func receipt(for id: UUID, deviceID: String) async throws -> InsertOutcome?
    /// Stores `record` once (by id) and allocates it an appointment per `schedule`, atomically.
    func insert(_ record: SubmissionRecord, schedule: Schedule) async throws -> InsertOutcome
    /// Status by confirmation code.
    func status(code: String) async throws -> WireStatus
    /// Status by A-Number digest (the newest request).
    func status(aNumberDigest: String) async throws -> WireStatus
    /// Cancels the appointment with `code`; false when there is none open.
    func cancel(code: String, at: Date) async throws -> Bool
    /// Moves the appointment with `code` to the first day on or after `notBefore` with room.
    func reschedule(code: String, notBefore: Date, schedule: Schedule) async throws -> WireStatus
    /// Records a check-in for `code`; false when no open appointment has that code.
    func checkIn(code: String, at: Date) async throws -> Bool
    /// The open appointments at `port` on `day` (`YYYY-MM-DD`), photo or not, in arrival order.
    func gallery(port: String, day: String) async throws -> [GalleryRow]
    /// Submission ids in arrival order (operators and tests).
    func arrivals() async throws -> [UUID]
    /// Appends to the audit log.
    func audit(_ entry: AuditEntry) async throws
    /// The audit log, oldest first.
    func auditLog() async throws -> [AuditEntry]
    /// Applies `policy` at `now`: closes lapsed appointments and purges biometric data that
    /// outlived its period. Returns the number of records purged.
    func purge(policy: RetentionPolicy, now: Date) async throws -> Int
    /// Everything held about the request with `code`.
    func export(code: String) async throws -> PersonExport?
    /// Deletes everything held about the request with `code` (on the person's request).
    func forget(code: String) async throws -> Bool
    /// Counts for the status page.
    func summary(day: String) async throws -> IntakeSummary
}

/// How long the intake keeps biometric data. Measured in days, not years.
public struct RetentionPolicy: Sendable, Equatable {
    /// Days after check-in before template and photo are purged.
    public var daysAfterCheckIn: Int
    /// Days after a missed (lapsed) or cancelled appointment before they are purged.
    public var daysAfterLapse: Int
    /// Makes a policy.
    public init(daysAfterCheckIn: Int = 7, daysAfterLapse: Int = 14) {
        self.daysAfterCheckIn = daysAfterCheckIn
        self.daysAfterLapse = daysAfterLapse
    }
}

/// Why the storage failed, for the operator (no personal data).
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// The operation that failed.
    public var operation: String
    /// The underlying cause.
    public var detail: String
    /// Makes an error.
    public init(operation: String, detail: String) {
        self.operation = operation
        self.detail = detail
    }
    /// The message.
    public var description: String { "intake storage: \(operation) failed: \(detail)" }
}
