import Crypto
import Foundation
import GRDB
import WaysideCore
import WaysideWire

/// The kiosk's durable outbox: each submission is sealed to the intake's key (HPKE,
/// RFC 9180) before it touches the disk, so a stolen kiosk reveals nothing.
///
/// SQLite through GRDB with the write-ahead log and `synchronous = FULL`, so a commit that
/// returned survives a power cut (in WAL mode, FULL syncs the log on every commit; NORMAL
/// would not), and `secure_delete = ON`, so a forwarded submission's sealed bytes are
/// overwritten with zeros, not merely unlinked from the b-tree.
public final class SealedOutbox: Outbox {
    private let db: DatabaseQueue
    private let recipient: Curve25519.KeyAgreement.PublicKey
    /// Bytes of sealed submissions the outbox may hold before it refuses new ones.
    public let quotaBytes: Int
    /// The database file.
    public let path: String

    /// Opens (or creates) the outbox at `path`.
    /// - Parameters:
    ///   - recipient: the intake's public key (from ``Enrolment``).
    ///   - quotaBytes: the most sealed bytes waiting at once; see ``OutboxError/Code/full``.
    public init(path: String, recipient: Curve25519.KeyAgreement.PublicKey, quotaBytes: Int = 512 << 20) throws {
        self.path = path
        self.recipient = recipient
        self.quotaBytes = quotaBytes
        var config = Configuration()
        config.label = "outbox"
        config.prepareDatabase { db in
            // Set by hand, not with `journalMode = .wal`: GRDB's WAL set-up lowers
            // synchronous to NORMAL, which may lose the last commits on power loss.
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(db)
        } catch {
            throw OutboxError(.storage, "cannot open the outbox at \(path): \(Self.describe(error))")
        }
    }

    /// Shipped migrations are never edited; add a new one instead.
    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    createdAt DOUBLE NOT NULL,
                    sealed BLOB NOT NULL
                );
                CREATE TABLE receipt (
                    id TEXT PRIMARY KEY,
                    confirmationCode TEXT NOT NULL,
                    appointmentPort TEXT,
                    appointmentTime DOUBLE,
                    acknowledgedAt DOUBLE NOT NULL
                );
                """)
        }
        // The quota check read SUM(LENGTH(sealed)) over every waiting row on each commit:
        // the cost grew with the backlog, which is exactly when the kiosk is offline and
        // busiest. Triggers keep the total in one row, in the same transaction.
        m.registerMigration("v2-usage") { db in
            try db.execute(sql: """
                CREATE TABLE outbox_usage (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);
                INSERT INTO outbox_usage (id, bytes) SELECT 1, COALESCE(SUM(LENGTH(sealed)), 0) FROM outbox;
                CREATE TRIGGER outbox_usage_insert AFTER INSERT ON outbox
                    BEGIN UPDATE outbox_usage SET bytes = bytes + LENGTH(NEW.sealed) WHERE id = 1; END;
                CREATE TRIGGER outbox_usage_delete AFTER DELETE ON outbox
                    BEGIN UPDATE outbox_usage SET bytes = bytes - LENGTH(OLD.sealed) WHERE id = 1; END;
                """)
        }
        return m
    }

    /// Seals `submission` and commits it; when this returns, the submission is on disk.
    /// Committing the same submission id again is harmless: it is stored once.
    /// - Throws: ``OutboxError`` `.full` when the quota is reached (nothing is dropped:
    ///   tell the person and send them to staff), `.storage` on I/O failure.
    public func commit(_ submission: Submission) async throws {
        let sealed: Data
        do {
            let plaintext = try WireCoding.encoder().encode(submission)
            sealed = try Sealing.seal(plaintext, to: recipient, purpose: .submission,
                                      associatedData: Data(submission.id.uuidString.utf8))
        } catch {
            throw OutboxError(.storage, "cannot seal the submission: \(error)")
        }
        let quota = quotaBytes
        do {
            try await db.write { db in
                let id = submission.id.uuidString
                if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM outbox WHERE id = ?) OR EXISTS(SELECT 1 FROM receipt WHERE id = ?)", arguments: [id, id]) == true {
                    return
                }
                let used = try Int.fetchOne(db, sql: "SELECT bytes FROM outbox_usage WHERE id = 1") ?? 0
                if used + sealed.count > quota {
                    throw OutboxError(.full, "the outbox holds \(used) of \(quota) bytes; this submission needs \(sealed.count) more. Send the person to staff; check the uplink to the intake")
                }
                try db.execute(sql: "INSERT INTO outbox (id, createdAt, sealed) VALUES (?, ?, ?)",
                               arguments: [id, submission.createdAt.timeIntervalSince1970, sealed])
            }
        } catch let e as OutboxError {
            throw e
        } catch let e as DatabaseError where e.resultCode == .SQLITE_FULL {
            throw OutboxError(.full, "the disk is full; send the person to staff and free space on the kiosk")
        } catch {
            throw OutboxError(.storage, "cannot write the outbox at \(path): \(Self.describe(error))")
        }
    }

    /// Up to `limit` entries waiting, oldest first (in commit order).
    public func pending(limit: Int) async throws -> [OutboxEntry] {
        do {
            return try await db.read { db in
                try Row.fetchAll(db, sql: "SELECT id, createdAt, sealed FROM outbox ORDER BY seq LIMIT ?", arguments: [limit]).compactMap { row in
                    guard let id = UUID(uuidString: row["id"]) else { return nil }
                    return OutboxEntry(id: id, createdAt: Date(timeIntervalSince1970: row["createdAt"]), sealed: row["sealed"])
                }
            }
        } catch {
            throw OutboxError(.storage, "cannot read the outbox at \(path): \(Self.describe(error))")
        }
    }

    /// Deletes the sealed entry `id` and keeps its receipt, in one transaction.
    public func acknowledge(_ id: UUID, receipt: Receipt) async throws {
        do {
            try await db.write { db in
                try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id.uuidString])
                try db.execute(sql: """
                    INSERT OR REPLACE INTO receipt (id, confirmationCode, appointmentPort, appointmentTime, acknowledgedAt)
                    VALUES (?, ?, ?, ?, ?)
                    """, arguments: [id.uuidString, receipt.confirmationCode, receipt.appointmentPort,
                                     receipt.appointmentTime?.timeIntervalSince1970, Date().timeIntervalSince1970])
            }
        } catch {
            throw OutboxError(.storage, "cannot acknowledge in the outbox at \(path): \(Self.describe(error))")
        }
    }

    /// The receipt kept for `id`, once acknowledged.
    public func receipt(for id: UUID) async throws -> Receipt? {
        do {
            return try await db.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM receipt WHERE id = ?", arguments: [id.uuidString]).map { row in
                    Receipt(submissionID: id, confirmationCode: row["confirmationCode"], appointmentPort: row["appointmentPort"],
                            appointmentTime: (row["appointmentTime"] as Double?).map(Date.init(timeIntervalSince1970:)))
                }
            }
        } catch {
            throw OutboxError(.storage, "cannot read receipts in \(path): \(Self.describe(error))")
        }
    }

    /// Entries waiting to be sent.
    public func depth() async throws -> Int {
        do { return try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox") ?? 0 } } catch {
            throw OutboxError(.storage, "cannot count the outbox at \(path): \(Self.describe(error))")
        }
    }

    /// When the oldest waiting entry was made, or nil when the outbox is empty.
    public func oldestCreatedAt() async throws -> Date? {
        do {
            return try await db.read { db in
                try Double.fetchOne(db, sql: "SELECT createdAt FROM outbox ORDER BY seq LIMIT 1").map(Date.init(timeIntervalSince1970:))
            }
        } catch {
            throw OutboxError(.storage, "cannot read the outbox at \(path): \(Self.describe(error))")
        }
    }

    /// Sealed bytes waiting, counted against ``quotaBytes``.
    public func usedBytes() async throws -> Int {
        do { return try await db.read { try Int.fetchOne($0, sql: "SELECT bytes FROM outbox_usage WHERE id = 1") ?? 0 } } catch {
            throw OutboxError(.storage, "cannot read the outbox at \(path): \(Self.describe(error))")
        }
    }

    /// Forgets receipts acknowledged before `date` (the flow only needs recent ones).
    public func pruneReceipts(before date: Date) async throws {
        do { try await db.write { try $0.execute(sql: "DELETE FROM receipt WHERE acknowledgedAt < ?", arguments: [date.timeIntervalSince1970]) } } catch {
            throw OutboxError(.storage, "cannot prune receipts in \(path): \(Self.describe(error))")
        }
    }

    /// The durability settings in force on the connection, for checks and `waysidectl outbox`.
    public func durabilitySettings() async throws -> (journalMode: String, synchronous: Int, secureDelete: Int) {
        do {
            return try await db.read { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                 try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                 try Int.fetchOne(db, sql: "PRAGMA secure_delete") ?? -1)
            }
        } catch {
            throw OutboxError(.storage, "cannot read settings of \(path): \(Self.describe(error))")
        }
    }

    /// Writes the log back into the main file and truncates it (used before inspecting the file).
    public func checkpoint() async throws {
        do { _ = try await db.writeWithoutTransaction { try $0.checkpoint(.truncate) } } catch {
            throw OutboxError(.storage, "cannot checkpoint \(path): \(Self.describe(error))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return "SQLite error \(e.resultCode.rawValue): \(e.message ?? "")" }
        return "\(error)"
    }
}
