import Foundation

/// What a person entered at the shelter kiosk. Never logged.
public struct PersonDetails: Sendable, Equatable, Codable {
    public var givenName: String
    public var familyName: String
    /// ISO 8601 date, e.g. "1990-04-17".
    public var birthDate: String
    /// The person's A-Number if they have one (digits only).
    public var aNumber: String?
    public var phone: String?
    /// ISO 3166-1 alpha-2 code of the country of citizenship.
    public var country: String
    /// The port of entry the person asks for.
    public var port: String

    public init(givenName: String = "", familyName: String = "", birthDate: String = "",
                aNumber: String? = nil, phone: String? = nil, country: String = "", port: String = "") {
        self.givenName = givenName
        self.familyName = familyName
        self.birthDate = birthDate
        self.aNumber = aNumber
        self.phone = phone
        self.country = country
        self.port = port
    }
}

/// The record of what the person was told and what they agreed to, at the moment they agreed.
public struct ConsentRecord: Sendable, Equatable, Codable {
    /// The language the notice was shown and spoken in.
    public var languageTag: String
    /// Version of the notice text (a hash of the catalog entry), so the record says which words were agreed to.
    public var noticeVersion: String
    public var photoConsented: Bool
    public var time: Date

    public init(languageTag: String, noticeVersion: String, photoConsented: Bool, time: Date) {
        self.languageTag = languageTag
        self.noticeVersion = noticeVersion
        self.photoConsented = photoConsented
        self.time = time
    }
}

/// A registration made at a shelter kiosk, before it is sealed.
public struct Submission: Sendable, Equatable, Codable, Identifiable {
    /// Made on the kiosk; also the idempotency key at the intake.
    public var id: UUID
    public var createdAt: Date
    public var details: PersonDetails
    public var consent: ConsentRecord
    /// The reviewed photo as JPEG, if the person consented to one.
    public var photoJPEG: Data?
    public var template: FaceTemplate?

    public init(id: UUID = UUID(), createdAt: Date, details: PersonDetails, consent: ConsentRecord,
                photoJPEG: Data? = nil, template: FaceTemplate? = nil) {
        self.id = id
        self.createdAt = createdAt
        self.details = details
        self.consent = consent
        self.photoJPEG = photoJPEG
        self.template = template
    }
}

/// What the intake gives back for a submission: the code the person keeps.
public struct Receipt: Sendable, Equatable, Codable {
    public var submissionID: UUID
    /// Short, human-friendly, with a check character.
    public var confirmationCode: String
    /// Port and time of the appointment, if one was allocated yet.
    public var appointmentPort: String?
    public var appointmentTime: Date?

    public init(submissionID: UUID, confirmationCode: String, appointmentPort: String? = nil, appointmentTime: Date? = nil) {
        self.submissionID = submissionID
        self.confirmationCode = confirmationCode
        self.appointmentPort = appointmentPort
        self.appointmentTime = appointmentTime
    }
}
