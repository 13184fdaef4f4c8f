import Foundation
import GRDB
import WaysideWire

/// ``IntakeStorage`` in one SQLite file (GRDB, WAL): the embedded default for a single
/// intake process.
public final class SQLiteStorage: IntakeStorage {
    private let db: DatabasePool

    /// Opens (or creates) the database at `path`.
    public init(path: String) throws {
        var config = Configuration()
        config.label = "intake"
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do { db = try DatabasePool(path: path, configuration: config) } catch {
            throw StorageError(operation: "open \(path)", detail: "\(error)")
        }
        do {
            // In WAL mode, FULL makes each acknowledged submission durable before the receipt goes out.
            try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw StorageError(operation: "configure \(path)", detail: "\(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE device (
                    id TEXT PRIMARY KEY, role TEXT NOT NULL, signing_key BLOB NOT NULL,
                    sealing_key BLOB, enrolled_at DOUBLE NOT NULL, last_seen DOUBLE);
                CREATE TABLE submission (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE, device_id TEXT NOT NULL,
                    created_at DOUBLE NOT NULL, received_at DOUBLE NOT NULL,
                    code TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
                    port TEXT, day TEXT, slot INTEGER, appointment_time DOUBLE,
                    a_number_digest TEXT, details BLOB, template BLOB, photo BLOB,
                    closed_at DOUBLE, checked_in_at DOUBLE, purged_at DOUBLE);
                CREATE INDEX submission_port_day ON submission(port, day);
                CREATE INDEX submission_a_number ON submission(a_number_digest);
                CREATE TABLE audit (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, at DOUBLE NOT NULL,
                    actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL);
                """)
        }
        return m
    }

    /// Creates or upgrades the schema.
    public func migrate() async throws {
        try wrap("migrate") { try Self.migrator.migrate(db) }
    }

    /// Enrols a device.
    public func enrol(_ device: EnrolledDevice) async throws {
        try await write("enrol") { db in
            try db.execute(sql: """
                INSERT INTO device (id, role, signing_key, sealing_key, enrolled_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET role = excluded.role, signing_key = excluded.signing_key,
                    sealing_key = excluded.sealing_key, enrolled_at = excluded.enrolled_at
                """, arguments: [device.id, device.role.rawValue, device.signingKey, device.sealingKey, device.enrolledAt.timeIntervalSince1970])
        }
    }

    /// The enrolled device `id`.
    public func device(_ id: String) async throws -> EnrolledDevice? {
        try await read("device") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM device WHERE id = ?", arguments: [id]).map { row in
                EnrolledDevice(id: row["id"], role: DeviceRole(rawValue: row["role"]) ?? .shelter, signingKey: row["signing_key"],
                               sealingKey: row["sealing_key"], enrolledAt: Date(timeIntervalSince1970: row["enrolled_at"]))
            }
        }
    }

    private static func receiptRow(_ db: Database, id: UUID, deviceID: String) throws -> InsertOutcome? {
        guard let row = try Row.fetchOne(db, sql: "SELECT device_id, code, port, appointment_time FROM submission WHERE id = ?", arguments: [id.uuidString]) else { return nil }
        guard (row["device_id"] as String) == deviceID else { return .conflict }
        return .existing(WireReceipt(submissionID: id, confirmationCode: row["code"], appointmentPort: row["port"],
                                     appointmentTime: (row["appointment_time"] as Double?).map(Date.init(timeIntervalSince1970:))))
    }

    /// The receipt of a stored submission.
    public func receipt(for id: UUID, deviceID: String) async throws -> InsertOutcome? {
        try await read("receipt") { try Self.receiptRow($0, id: id, deviceID: deviceID) }
    }

    /// Stores `record` once and allocates an appointment, in one transaction.
    public func insert(_ record: SubmissionRecord, schedule: Schedule) async throws -> InsertOutcome {
        try await write("insert") { db in
            if let existing = try Self.receiptRow(db, id: record.id, deviceID: record.deviceID) { return existing }
            var port: String?, day: String?, slot: Int?, time: Date?
            if let p = schedule.port(record.requestedPort) {
                let days = Allocator.candidateDays(from: record.receivedAt, schedule: schedule)
                var loads: [String: DayLoad] = [:]
                let rows = try Row.fetchAll(db, sql: """
                    SELECT day, slot, device_id, COUNT(*) AS n FROM submission
                    WHERE port = ? AND day >= ? AND day <= ? AND state != 'closed' GROUP BY day, slot, device_id
                    """, arguments: [p.port, days.first, days.last])
                for r in rows {
                    let d: String = r["day"], n: Int = r["n"]
                    loads[d, default: DayLoad()].perSlot[r["slot"], default: 0] += n
                    loads[d, default: DayLoad()].perDevice[r["device_id"], default: 0] += n
                }
                let active = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT device_id) FROM submission WHERE received_at >= ? AND device_id != ?",
                                              arguments: [record.receivedAt.timeIntervalSince1970 - 86_400, record.deviceID]) ?? 0
                if let a = Allocator.allocate(port: p, days: days, loads: loads, deviceID: record.deviceID, activeKiosks: active + 1) {
                    (port, day, slot, time) = (p.port, a.day, a.slot, a.time)
                }
            }
            try db.execute(sql: """
                INSERT INTO submission (id, device_id, created_at, received_at, code, state, port, day, slot, appointment_time,
                    a_number_digest, details, template, photo)
                VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [record.id.uuidString, record.deviceID, record.createdAt.timeIntervalSince1970,
                                 record.receivedAt.timeIntervalSince1970, record.code, port, day, slot,
                                 time?.timeIntervalSince1970, record.aNumberDigest, record.details, record.template, record.photo])
            try db.execute(sql: "UPDATE device SET last_seen = ? WHERE id = ?", arguments: [record.receivedAt.timeIntervalSince1970, record.deviceID])
            return .inserted(WireReceipt(submissionID: record.id, confirmationCode: record.code, appointmentPort: port, appointmentTime: time))
        }
    }

    private static func status(_ row: Row?) -> WireStatus {
        guard let row else { return WireStatus(state: .notFound) }
        let state = AppointmentState(rawValue: row["state"]) ?? .closed
        return WireStatus(state: state, confirmationCode: row["code"], appointmentPort: row["port"],
                          appointmentTime: (row["appointment_time"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    /// Status by code.
    public func status(code: String) async throws -> WireStatus {
        try await read("status") { Self.status(try Row.fetchOne($0, sql: "SELECT state, code, port, appointment_time FROM submission WHERE code = ?", arguments: [code])) }
    }

    /// Status by A-Number digest.
    public func status(aNumberDigest: String) async throws -> WireStatus {
        try await read("status") {
            Self.status(try Row.fetchOne($0, sql: "SELECT state, code, port, appointment_time FROM submission WHERE a_number_digest = ? ORDER BY seq DESC LIMIT 1", arguments: [aNumberDigest]))
        }
    }

    /// Cancels an open appointment.
    public func cancel(code: String, at: Date) async throws -> Bool {
        try await write("cancel") { db in
            try db.execute(sql: "UPDATE submission SET state = 'closed', closed_at = ? WHERE code = ? AND state = 'pending'", arguments: [at.timeIntervalSince1970, code])
            return db.changesCount > 0
        }
    }

    /// Moves an open appointment.
    public func reschedule(code: String, notBefore: Date, schedule: Schedule) async throws -> WireStatus {
        try await write("reschedule") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT device_id, port FROM submission WHERE code = ? AND state = 'pending'", arguments: [code]),
                  let portName: String = row["port"], let p = schedule.port(portName) else {
                return Self.status(try Row.fetchOne(db, sql: "SELECT state, code, port, appointment_time FROM submission WHERE code = ?", arguments: [code]))
            }
            var shifted = schedule
            shifted.leadDays = 0
            let days = Allocator.candidateDays(from: notBefore, schedule: shifted)
            var loads: [String: DayLoad] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT day, slot, COUNT(*) AS n FROM submission WHERE port = ? AND state != 'closed' AND code != ? GROUP BY day, slot", arguments: [p.port, code]) {
                loads[r["day"], default: DayLoad()].perSlot[r["slot"], default: 0] += r["n"] as Int
            }
            // A person moving their own appointment is not a kiosk burst: no per-kiosk share.
            if let a = Allocator.allocate(port: p, days: days, loads: loads, deviceID: "", activeKiosks: 1) {
                try db.execute(sql: "UPDATE submission SET day = ?, slot = ?, appointment_time = ? WHERE code = ?",
                               arguments: [a.day, a.slot, a.time.timeIntervalSince1970, code])
            }
            return Self.status(try Row.fetchOne(db, sql: "SELECT state, code, port, appointment_time FROM submission WHERE code = ?", arguments: [code]))
        }
    }

    /// Records a check-in.
    public func checkIn(code: String, at: Date) async throws -> Bool {
        try await write("check-in") { db in
            try db.execute(sql: "UPDATE submission SET state = 'checked-in', checked_in_at = ? WHERE code = ? AND state = 'pending'", arguments: [at.timeIntervalSince1970, code])
            return db.changesCount > 0
        }
    }

    /// The open appointments of a port on a day.
    public func gallery(port: String, day: String) async throws -> [GalleryRow] {
        try await read("gallery") { db in
            try Row.fetchAll(db, sql: "SELECT id, code, appointment_time, details, template FROM submission WHERE port = ? AND day = ? AND state = 'pending' ORDER BY seq",
                             arguments: [port, day]).map {
                GalleryRow(submissionID: UUID(uuidString: $0["id"]) ?? UUID(), code: $0["code"],
                           appointmentTime: ($0["appointment_time"] as Double?).map(Date.init(timeIntervalSince1970:)),
                           details: $0["details"], template: $0["template"])
            }
        }
    }

    /// Submission ids in arrival order.
    public func arrivals() async throws -> [UUID] {
        try await read("arrivals") { try String.fetchAll($0, sql: "SELECT id FROM submission ORDER BY seq").compactMap(UUID.init(uuidString:)) }
    }

    /// Appends to the audit log.
    public func audit(_ entry: AuditEntry) async throws {
        try await write("audit") {
            try $0.execute(sql: "INSERT INTO audit (at, actor, action, subject) VALUES (?, ?, ?, ?)",
                           arguments: [entry.at.timeIntervalSince1970, entry.actor, entry.action, entry.subject])
        }
    }

    /// The audit log.
    public func auditLog() async throws -> [AuditEntry] {
        try await read("audit log") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq").map {
                AuditEntry(at: Date(timeIntervalSince1970: $0["at"]), actor: $0["actor"], action: $0["action"], subject: $0["subject"])
            }
        }
    }

    /// Closes lapsed appointments and purges biometric data past its period.
    public func purge(policy: RetentionPolicy, now: Date) async throws -> Int {
        let t = now.timeIntervalSince1970
        let today = Allocator.day(now)
        return try await write("purge") { db in
            try db.execute(sql: "UPDATE submission SET state = 'closed', closed_at = ? WHERE state = 'pending' AND day IS NOT NULL AND day < ?", arguments: [t, today])
            let ids = try String.fetchAll(db, sql: """
                SELECT id FROM submission WHERE purged_at IS NULL AND (template IS NOT NULL OR photo IS NOT NULL) AND (
                    (state = 'checked-in' AND checked_in_at <= ?) OR (state = 'closed' AND closed_at <= ?))
                """, arguments: [t - Double(policy.daysAfterCheckIn) * 86_400, t - Double(policy.daysAfterLapse) * 86_400])
            for id in ids {
                try db.execute(sql: "UPDATE submission SET template = NULL, photo = NULL, purged_at = ? WHERE id = ?", arguments: [t, id])
                try db.execute(sql: "INSERT INTO audit (at, actor, action, subject) VALUES (?, 'retention', 'purge-biometrics', ?)", arguments: [t, id])
            }
            return ids.count
        }
    }

    /// Everything held about a request.
    public func export(code: String) async throws -> PersonExport? {
        try await read("export") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM submission WHERE code = ?", arguments: [code]).map { row in
                PersonExport(submissionID: UUID(uuidString: row["id"]) ?? UUID(), confirmationCode: row["code"], state: row["state"],
                             appointmentPort: row["port"], appointmentTime: (row["appointment_time"] as Double?).map(Date.init(timeIntervalSince1970:)),
                             details: row["details"], holdsTemplate: (row["template"] as Data?) != nil, holdsPhoto: (row["photo"] as Data?) != nil)
            }
        }
    }

    /// Deletes a request's record.
    public func forget(code: String) async throws -> Bool {
        try await write("forget") { db in
            try db.execute(sql: "DELETE FROM submission WHERE code = ?", arguments: [code])
            return db.changesCount > 0
        }
    }

    /// Counts for the status page.
    public func summary(day: String) async throws -> IntakeSummary {
        try await read("summary") { db in
            let devices = try Row.fetchAll(db, sql: """
                SELECT d.id, d.role, d.last_seen, (SELECT COUNT(*) FROM submission s WHERE s.device_id = d.id) AS n FROM device d ORDER BY d.id
                """).map {
                IntakeSummary.Device(id: $0["id"], role: $0["role"], lastSeen: ($0["last_seen"] as Double?).map(Date.init(timeIntervalSince1970:)), submissions: $0["n"])
            }
            var today: [String: Int] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT port, COUNT(*) AS n FROM submission WHERE day = ? AND state != 'closed' GROUP BY port", arguments: [day]) {
                today[r["port"]] = r["n"]
            }
            return IntakeSummary(devices: devices, appointmentsToday: today)
        }
    }

    private func wrap<T>(_ op: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw StorageError(operation: op, detail: "\(error)") }
    }
    private func read<T: Sendable>(_ op: String, _ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await db.read(body) } catch { throw StorageError(operation: op, detail: "\(error)") }
    }
    private func write<T: Sendable>(_ op: String, _ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await db.write(body) } catch { throw StorageError(operation: op, detail: "\(error)") }
    }
}
