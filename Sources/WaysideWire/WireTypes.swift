import Foundation
import WaysideCore

/// The intake's HTTP paths, shared so the kiosk and the intake cannot drift apart.
/// `openapi.yaml` in this target describes them.
public enum WirePath {
    /// `POST`: enrol a device (operator token required).
    public static let devices = "/v1/devices"
    /// `GET`: the intake's public sealing key.
    public static let sealingKey = "/v1/sealing-key"
    /// `POST` (signed): deliver a sealed submission; idempotent by its id.
    public static let submissions = "/v1/submissions"
    /// `GET` (signed): appointment status by `code` or `a-number` query.
    public static let status = "/v1/status"
    /// `POST` (signed): `/v1/appointments/{code}/cancel` or `/reschedule`.
    public static let appointments = "/v1/appointments"
    /// `GET` (signed, port stations): today's gallery, sealed to the station.
    public static let gallery = "/v1/gallery"
    /// `POST` (signed, port stations): a sealed check-in record.
    public static let checkIns = "/v1/check-ins"
    /// `GET`: the operator's HTML status page (no personal data).
    public static let statusPage = "/status"
}

/// JSON coders with the wire's conventions (ISO 8601 times, base64 bytes).
public enum WireCoding {
    /// An encoder for wire bodies.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }
    /// A decoder for wire bodies.
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}

/// A sealed submission on its way to the intake. Only `id` and `createdAt` are in clear.
public struct WireSubmission: Codable, Sendable, Equatable {
    /// The submission id, also the idempotency key.
    public var id: UUID
    /// When the person submitted it at the kiosk.
    public var createdAt: Date
    /// HPKE-sealed JSON of the `Submission` (see ``Sealing``), bound to `id`.
    public var sealed: Data
    /// Makes an envelope.
    public init(id: UUID, createdAt: Date, sealed: Data) {
        self.id = id
        self.createdAt = createdAt
        self.sealed = sealed
    }
}

/// The intake's acknowledgement of a submission: what the person keeps.
public struct WireReceipt: Codable, Sendable, Equatable {
    /// The acknowledged submission.
    public var submissionID: UUID
    /// The confirmation code, canonical form (see ``ConfirmationCode``).
    public var confirmationCode: String
    /// The port of the appointment, when one was allocated.
    public var appointmentPort: String?
    /// The appointment's time, when one was allocated.
    public var appointmentTime: Date?
    /// Makes a receipt.
    public init(submissionID: UUID, confirmationCode: String, appointmentPort: String?, appointmentTime: Date?) {
        self.submissionID = submissionID
        self.confirmationCode = confirmationCode
        self.appointmentPort = appointmentPort
        self.appointmentTime = appointmentTime
    }
}

/// What a device is for.
public enum DeviceRole: String, Codable, Sendable, CaseIterable {
    /// A shelter registration kiosk.
    case shelter
    /// A port check-in station.
    case port
}

/// A request to enrol a device, made by `waysidectl enrol` with an operator token.
public struct WireEnrolment: Codable, Sendable, Equatable {
    /// The device id chosen at enrolment (letters, digits, `-`, `.`; at most 64).
    public var deviceID: String
    /// What the device does.
    public var role: DeviceRole
    /// Raw 32-byte Ed25519 public key that signs the device's requests.
    public var signingKey: Data
    /// Raw 32-byte X25519 public key galleries are sealed to (port stations only).
    public var sealingKey: Data?
    /// Makes an enrolment request.
    public init(deviceID: String, role: DeviceRole, signingKey: Data, sealingKey: Data?) {
        self.deviceID = deviceID
        self.role = role
        self.signingKey = signingKey
        self.sealingKey = sealingKey
    }
}

/// The intake's answer to an enrolment: the key submissions must be sealed to.
public struct WireEnrolmentAccepted: Codable, Sendable, Equatable {
    /// The enrolled device id.
    public var deviceID: String
    /// Raw 32-byte X25519 public key of the intake.
    public var intakeSealingKey: Data
    /// Makes the answer.
    public init(deviceID: String, intakeSealingKey: Data) {
        self.deviceID = deviceID
        self.intakeSealingKey = intakeSealingKey
    }
}

/// Where a person's request stands.
public enum AppointmentState: String, Codable, Sendable {
    /// Registered, appointment pending.
    case pending
    /// The person checked in at the port.
    case checkedIn = "checked-in"
    /// Cancelled, lapsed or purged.
    case closed
    /// No such code or A-Number.
    case notFound = "not-found"
}

/// The answer to a status lookup. Carries no personal data.
public struct WireStatus: Codable, Sendable, Equatable {
    /// Where the request stands.
    public var state: AppointmentState
    /// The confirmation code, when found.
    public var confirmationCode: String?
    /// The appointment port, when allocated.
    public var appointmentPort: String?
    /// The appointment time, when allocated.
    public var appointmentTime: Date?
    /// Makes a status.
    public init(state: AppointmentState, confirmationCode: String? = nil, appointmentPort: String? = nil, appointmentTime: Date? = nil) {
        self.state = state
        self.confirmationCode = confirmationCode
        self.appointmentPort = appointmentPort
        self.appointmentTime = appointmentTime
    }
}

/// A request to move an appointment to another day.
public struct WireReschedule: Codable, Sendable, Equatable {
    /// The earliest acceptable day, `YYYY-MM-DD` (UTC).
    public var notBefore: String
    /// Makes the request.
    public init(notBefore: String) { self.notBefore = notBefore }
}

/// An error body: a stable code for programs and a sentence for people.
public struct WireProblem: Codable, Sendable, Equatable, Error {
    /// Stable machine-readable code, e.g. `bad-signature`.
    public var error: String
    /// What happened and what to do, without personal data.
    public var detail: String
    /// Makes a problem.
    public init(error: String, detail: String) {
        self.error = error
        self.detail = detail
    }
}

/// One appointment in a port's daily gallery: what the station needs to find the person
/// by code or A-Number, show the officer their details, speak to them in their language,
/// and match their face when they gave a photo.
public struct GalleryEntry: Codable, Sendable, Equatable {
    /// The confirmation code of the appointment.
    public var confirmationCode: String
    /// The submission the appointment came from (the station's key for 1:1 and 1:N).
    public var submissionID: UUID
    /// When the appointment is.
    public var appointmentTime: Date?
    /// The language the person registered in.
    public var languageTag: String
    /// The person's details as they entered them.
    public var details: PersonDetails
    /// JSON of the face template; nil when the person registered without a photo (the
    /// biographic path), or when retention already purged it.
    public var template: Data?
    /// Makes an entry.
    public init(confirmationCode: String, submissionID: UUID, appointmentTime: Date?, languageTag: String,
                details: PersonDetails, template: Data?) {
        self.confirmationCode = confirmationCode
        self.submissionID = submissionID
        self.appointmentTime = appointmentTime
        self.languageTag = languageTag
        self.details = details
        self.template = template
    }
}

/// A port's gallery for a day, sealed to the station (HPKE, purpose `gallery`, bound to
/// `deviceID/port/day`). The plaintext is a JSON array of ``GalleryEntry``.
public struct WireGallery: Codable, Sendable, Equatable {
    /// The port.
    public var port: String
    /// The day, `YYYY-MM-DD` (UTC).
    public var day: String
    /// The sealed entries.
    public var sealed: Data
    /// Makes a gallery.
    public init(port: String, day: String, sealed: Data) {
        self.port = port
        self.day = day
        self.sealed = sealed
    }
}

/// What a port station records when a person checks in; sealed to the intake (purpose
/// `check-in`) inside a ``WireSubmission`` envelope.
public struct WireCheckIn: Codable, Sendable, Equatable {
    /// The appointment's confirmation code.
    public var confirmationCode: String
    /// When the officer confirmed the check-in.
    public var time: Date
    /// `match`, `officer-review`, `photo-free`.
    public var outcome: String
    /// The officer's station-local id (no name).
    public var officer: String
    /// Makes a record.
    public init(confirmationCode: String, time: Date, outcome: String, officer: String) {
        self.confirmationCode = confirmationCode
        self.time = time
        self.outcome = outcome
        self.officer = officer
    }
}
