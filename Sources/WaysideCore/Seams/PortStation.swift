import Foundation

/// The port station's services behind the check-in flow: the officer's PIN, today's
/// appointments and gallery, the matcher and its decision policy, and the way back to
/// the intake for check-in records.
public protocol PortStation: Sendable {
    /// True when `pin` unlocks the station.
    func verifyPIN(_ pin: String) async -> Bool
    /// The appointment for `query`, or nil when there is none.
    func lookUp(_ query: PersonQuery) async throws -> AppointmentSummary?
    /// 1:1 against the expected person's template and 1:N against today's gallery.
    func match(_ template: FaceTemplate, expected: UUID) async throws -> MatchDecision
    /// Seals and queues the officer's check-in record.
    func record(_ checkIn: CheckInRecord) async throws
}

/// What a receipt printer prints for the person to take away.
public struct ReceiptPrintout: Sendable, Equatable {
    public var lines: [String]
    public var code: String
    /// The person's language, so the printout is in their script and direction.
    public var languageTag: String
    public var direction: TextDirection
    public init(lines: [String], code: String, languageTag: String = "en", direction: TextDirection = .leftToRight) {
        self.lines = lines
        self.code = code
        self.languageTag = languageTag
        self.direction = direction
    }
}

/// A receipt printer (ESC/POS over serial on most kiosks).
public protocol ReceiptPrinter: Sendable {
    func print(_ receipt: ReceiptPrintout) async throws
}
