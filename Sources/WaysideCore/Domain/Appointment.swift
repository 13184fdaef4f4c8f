import Foundation

/// How a person is found at the port: by the code on their receipt or by A-Number.
public enum PersonQuery: Sendable, Equatable, Codable {
    case confirmationCode(String)
    case aNumber(String)
}

/// Where a registration stands.
public enum AppointmentStatus: String, Sendable, Equatable, Codable, CaseIterable {
    /// Submitted (or still on its way from a kiosk), not yet checked in.
    case pending
    /// Registered and pending, but not expected at this port today (another day or port).
    case elsewhere
    case checkedIn = "checked-in"
    /// Lapsed, cancelled or otherwise finished without a check-in.
    case closed
    case notFound = "not-found"
}

/// What a port station knows of an expected person: enough for the officer to check them in.
public struct AppointmentSummary: Sendable, Equatable, Codable {
    public var submissionID: UUID
    public var confirmationCode: String
    public var details: PersonDetails
    /// The language the person registered in: person-facing prompts use it.
    public var languageTag: String
    public var port: String
    public var time: Date?
    /// False when the person registered without a photo: only the biographic path applies.
    public var hasTemplate: Bool
    public var status: AppointmentStatus

    public init(submissionID: UUID, confirmationCode: String, details: PersonDetails, languageTag: String,
                port: String, time: Date?, hasTemplate: Bool, status: AppointmentStatus) {
        self.submissionID = submissionID
        self.confirmationCode = confirmationCode
        self.details = details
        self.languageTag = languageTag
        self.port = port
        self.time = time
        self.hasTemplate = hasTemplate
        self.status = status
    }
}

/// The policy's reading of a comparison. Never a denial: every band ends with the officer.
public enum MatchBand: String, Sendable, Equatable, Codable {
    /// Above the threshold with margin: the officer confirms.
    case match
    /// In the band around the threshold: the officer looks closely.
    case review
    /// Below the band: the officer checks documents.
    case noMatch = "no-match"
    /// The best 1:N hit is someone else expected today: a possible mix-up of records.
    case possibleMixUp = "possible-mix-up"
}

/// A comparison's outcome with everything needed to account for it later.
public struct MatchDecision: Sendable, Equatable, Codable {
    public var band: MatchBand
    /// Calibrated score of the 1:1 comparison with the expected person.
    public var score: Double
    public var threshold: Double
    public var modelVersion: String
    /// The other expected person the 1:N search preferred, for a possible mix-up.
    public var otherCandidate: UUID?

    public init(band: MatchBand, score: Double, threshold: Double, modelVersion: String, otherCandidate: UUID? = nil) {
        self.band = band
        self.score = score
        self.threshold = threshold
        self.modelVersion = modelVersion
        self.otherCandidate = otherCandidate
    }
}

/// A check-in as the officer concluded it, sealed and forwarded like a submission.
public struct CheckInRecord: Sendable, Equatable, Codable, Identifiable {
    public enum Method: String, Sendable, Codable { case photo, biographic }
    public enum Outcome: String, Sendable, Codable {
        case checkedIn = "checked-in"
        /// Sent to secondary review by the officer.
        case referred
    }
    public var id: UUID
    public var submissionID: UUID
    public var method: Method
    public var decision: MatchDecision?
    public var outcome: Outcome
    public var time: Date

    public init(id: UUID = UUID(), submissionID: UUID, method: Method, decision: MatchDecision?, outcome: Outcome, time: Date) {
        self.id = id
        self.submissionID = submissionID
        self.method = method
        self.decision = decision
        self.outcome = outcome
        self.time = time
    }
}

/// What a shelter kiosk can tell a person who types the code from their receipt.
public enum StatusAnswer: Sendable, Equatable {
    /// Registered; the appointment's port and time when the intake has given them.
    case pending(port: String?, time: Date?)
    case checkedIn
    case closed
    case notFound
    /// Still on this kiosk, sealed, waiting for the network.
    case waitingToSend
    /// The intake cannot be reached now.
    case unreachable
}

/// Where a request stands, asked of the intake by a kiosk.
public protocol StatusLookup: Sendable {
    /// The status of the request with confirmation code `code` (canonical form).
    func status(code: String) async throws -> StatusAnswer
}
