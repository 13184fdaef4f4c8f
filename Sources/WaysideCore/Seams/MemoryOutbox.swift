import Foundation

/// An ``Outbox`` held in memory, for tests and for a sim board run without a state directory.
///
/// It seals nothing and survives nothing: the real kiosk uses the sealed SQLite outbox.
/// `capacity` lets tests exercise the "outbox full" path.
public actor MemoryOutbox: Outbox {
    private var entries: [OutboxEntry] = []
    private var receipts: [UUID: Receipt] = [:]
    private let capacity: Int

    public init(capacity: Int = .max) {
        self.capacity = capacity
    }

    public func commit(_ submission: Submission) throws {
        guard entries.count < capacity else {
            throw OutboxError(.full, "memory outbox holds \(capacity) submissions")
        }
        let encoded = try JSONEncoder().encode(submission)
        entries.append(OutboxEntry(id: submission.id, createdAt: submission.createdAt, sealed: encoded))
    }

    public func pending(limit: Int) -> [OutboxEntry] {
        Array(entries.prefix(limit))
    }

    public func acknowledge(_ id: UUID, receipt: Receipt) {
        entries.removeAll { $0.id == id }
        receipts[id] = receipt
    }

    public func receipt(for id: UUID) -> Receipt? {
        receipts[id]
    }

    public func depth() -> Int {
        entries.count
    }
}
