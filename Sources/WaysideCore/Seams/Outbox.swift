import Foundation

/// A submission as it waits in the outbox: sealed, so the kiosk cannot read it back.
public struct OutboxEntry: Sendable, Equatable {
    public var id: UUID
    public var createdAt: Date
    /// The sealed bytes (HPKE to the intake's key in the real outbox).
    public var sealed: Data

    public init(id: UUID, createdAt: Date, sealed: Data) {
        self.id = id
        self.createdAt = createdAt
        self.sealed = sealed
    }
}

/// Why the outbox refused a submission.
public struct OutboxError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The disk quota is reached: send the person to staff, drop nothing.
        case full
        /// The storage failed (I/O error, corrupt file).
        case storage
    }
    public var code: Code
    public var detail: String
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }
    public var description: String { "outbox \(code.rawValue): \(detail)" }
}

/// Durable store-and-forward queue of sealed submissions on the kiosk.
public protocol Outbox: Sendable {
    /// Seals `submission` and commits it durably. When this returns, the submission
    /// survives a power cut; only then may the person be told it is saved.
    func commit(_ submission: Submission) async throws
    /// Up to `limit` entries awaiting acknowledgement, oldest first.
    func pending(limit: Int) async throws -> [OutboxEntry]
    /// Deletes the entry `id` after the intake acknowledged it, keeping `receipt`.
    func acknowledge(_ id: UUID, receipt: Receipt) async throws
    /// The receipt for `id`, once acknowledged.
    func receipt(for id: UUID) async throws -> Receipt?
    /// Entries waiting to be sent.
    func depth() async throws -> Int
}

/// Why the uplink could not deliver.
public struct UplinkError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The intake could not be reached; retry later.
        case unreachable
        /// The intake refused the request for good (4xx); retrying will not help.
        case rejected
        /// The intake failed (5xx); retry later.
        case serverError
    }
    public var code: Code
    public var detail: String
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }
    public var isRetryable: Bool { code != .rejected }
    public var description: String { "uplink \(code.rawValue): \(detail)" }
}

/// The way to the intake service.
public protocol Uplink: Sendable {
    /// Delivers `entry` (idempotent by its id) and returns the intake's receipt.
    func deliver(_ entry: OutboxEntry) async throws -> Receipt
}
