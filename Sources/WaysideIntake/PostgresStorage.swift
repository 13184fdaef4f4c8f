import Foundation
import Logging
import PostgresNIO
import WaysideWire

/// ``IntakeStorage`` on PostgreSQL (postgres-nio) for fleets: several intake processes may
/// share one database. Allocation is serialised per port with transaction-scoped advisory
/// locks, so two intakes never give out the same slot twice.
///
/// The client needs its `run()` going: use ``withRunning(_:)`` or put ``client`` in a task.
public final class PostgresStorage: IntakeStorage {
    /// The connection pool.
    public let client: PostgresClient
    private let logger: Logger

    /// Connects to `url`: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, or with
    /// `?host=/run/postgresql` for a unix socket directory.
    public init(url: String, logger: Logger) throws {
        guard let c = URLComponents(string: url), ["postgres", "postgresql"].contains(c.scheme ?? ""),
              let user = c.user, !user.isEmpty else {
            throw StorageError(operation: "parse --postgres", detail: "expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE or postgres://USER@/DATABASE?host=/socket/dir")
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : nil
        let socketDir = c.queryItems?.first(where: { $0.name == "host" })?.value
        var config: PostgresClient.Configuration
        if let socketDir, socketDir.hasPrefix("/") {
            let port = c.queryItems?.first(where: { $0.name == "port" })?.value ?? "5432"
            config = .init(unixSocketPath: "\(socketDir)/.s.PGSQL.\(port)", username: user, password: c.password, database: database)
        } else {
            config = .init(host: c.host ?? "127.0.0.1", port: c.port ?? 5432, username: user, password: c.password, database: database, tls: .disable)
        }
        config.options.maximumConnections = 8
        self.client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the client's pool around `body`, then stops it.
    public func withRunning<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    @discardableResult
    private func wrap<T>(_ op: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as StorageError { throw e } catch {
            throw StorageError(operation: op, detail: String(reflecting: error))
        }
    }

    private func transaction<T: Sendable>(_ op: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await wrap(op) { try await client.withTransaction(logger: logger) { try await body($0) } }
    }

    /// Creates the schema (idempotent; serialised across intakes by an advisory lock).
    public func migrate() async throws {
        try await transaction("migrate") { c in
            try await c.query("SELECT pg_advisory_xact_lock(7230001)", logger: logger)
            try await c.query("""
                CREATE TABLE IF NOT EXISTS device (
                    id TEXT PRIMARY KEY, role TEXT NOT NULL, signing_key BYTEA NOT NULL,
                    sealing_key BYTEA, enrolled_at DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION)
                """, logger: logger)
            try await c.query("""
                CREATE TABLE IF NOT EXISTS submission (
                    seq BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE, device_id TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL, received_at DOUBLE PRECISION NOT NULL,
                    code TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
                    port TEXT, day TEXT, slot INTEGER, appointment_time DOUBLE PRECISION,
                    a_number_digest TEXT, details BYTEA, template BYTEA, photo BYTEA,
                    closed_at DOUBLE PRECISION, checked_in_at DOUBLE PRECISION, purged_at DOUBLE PRECISION)
                """, logger: logger)
            try await c.query("CREATE INDEX IF NOT EXISTS submission_port_day ON submission(port, day)", logger: logger)
            try await c.query("CREATE INDEX IF NOT EXISTS submission_a_number ON submission(a_number_digest)", logger: logger)
            try await c.query("""
                CREATE TABLE IF NOT EXISTS audit (
                    seq BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
                    actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL)
                """, logger: logger)
        }
    }

    /// Enrols a device.
    public func enrol(_ device: EnrolledDevice) async throws {
        let role = device.role.rawValue, at = device.enrolledAt.timeIntervalSince1970
        try await wrap("enrol") {
            try await client.query("""
                INSERT INTO device (id, role, signing_key, sealing_key, enrolled_at) VALUES (\(device.id), \(role), \(device.signingKey), \(device.sealingKey), \(at))
                ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, signing_key = EXCLUDED.signing_key,
                    sealing_key = EXCLUDED.sealing_key, enrolled_at = EXCLUDED.enrolled_at
                """, logger: logger)
        }
    }

    /// The enrolled device `id`.
    public func device(_ id: String) async throws -> EnrolledDevice? {
        try await wrap("device") {
            let rows = try await client.query("SELECT id, role, signing_key, sealing_key, enrolled_at FROM device WHERE id = \(id)", logger: logger)
            for try await (id, role, key, sealing, at) in rows.decode((String, String, Data, Data?, Double).self) {
                return EnrolledDevice(id: id, role: DeviceRole(rawValue: role) ?? .shelter, signingKey: key, sealingKey: sealing, enrolledAt: Date(timeIntervalSince1970: at))
            }
            return nil
        }
    }

    private func receiptRow(_ c: PostgresConnection, id: UUID, deviceID: String) async throws -> InsertOutcome? {
        let rows = try await c.query("SELECT device_id, code, port, appointment_time FROM submission WHERE id = \(id.uuidString)", logger: logger)
        for try await (device, code, port, time) in rows.decode((String, String, String?, Double?).self) {
            guard device == deviceID else { return .conflict }
            return .existing(WireReceipt(submissionID: id, confirmationCode: code, appointmentPort: port, appointmentTime: time.map(Date.init(timeIntervalSince1970:))))
        }
        return nil
    }

    /// The receipt of a stored submission.
    public func receipt(for id: UUID, deviceID: String) async throws -> InsertOutcome? {
        try await wrap("receipt") { try await client.withConnection { try await receiptRow($0, id: id, deviceID: deviceID) } }
    }

    /// Stores `record` once and allocates an appointment, in one transaction.
    public func insert(_ record: SubmissionRecord, schedule: Schedule) async throws -> InsertOutcome {
        try await transaction("insert") { c in
            // Serialise deliveries of the same id across intakes, then allocation per port.
            try await c.query("SELECT pg_advisory_xact_lock(hashtext(\("submission/" + record.id.uuidString)))", logger: logger)
            if let existing = try await receiptRow(c, id: record.id, deviceID: record.deviceID) { return existing }
            var port: String?, day: String?, slot: Int?, time: Double?
            if let p = schedule.port(record.requestedPort) {
                try await c.query("SELECT pg_advisory_xact_lock(hashtext(\("port/" + p.port)))", logger: logger)
                let days = Allocator.candidateDays(from: record.receivedAt, schedule: schedule)
                var loads: [String: DayLoad] = [:]
                let first = days.first ?? "", last = days.last ?? ""
                let rows = try await c.query("""
                    SELECT day, slot, device_id, COUNT(*) FROM submission
                    WHERE port = \(p.port) AND day >= \(first) AND day <= \(last) AND state <> 'closed' GROUP BY day, slot, device_id
                    """, logger: logger)
                for try await (d, s, device, n) in rows.decode((String, Int32, String, Int64).self) {
                    loads[d, default: DayLoad()].perSlot[Int(s), default: 0] += Int(n)
                    loads[d, default: DayLoad()].perDevice[device, default: 0] += Int(n)
                }
                var active = 0
                let since = record.receivedAt.timeIntervalSince1970 - 86_400
                for try await n in try await c.query("SELECT COUNT(DISTINCT device_id) FROM submission WHERE received_at >= \(since) AND device_id <> \(record.deviceID)", logger: logger).decode(Int64.self) {
                    active = Int(n)
                }
                if let a = Allocator.allocate(port: p, days: days, loads: loads, deviceID: record.deviceID, activeKiosks: active + 1) {
                    (port, day, slot, time) = (p.port, a.day, a.slot, a.time.timeIntervalSince1970)
                }
            }
            let slot32 = slot.map(Int32.init)
            try await c.query("""
                INSERT INTO submission (id, device_id, created_at, received_at, code, state, port, day, slot, appointment_time,
                    a_number_digest, details, template, photo)
                VALUES (\(record.id.uuidString), \(record.deviceID), \(record.createdAt.timeIntervalSince1970), \(record.receivedAt.timeIntervalSince1970),
                    \(record.code), 'pending', \(port), \(day), \(slot32), \(time), \(record.aNumberDigest), \(record.details), \(record.template), \(record.photo))
                """, logger: logger)
            try await c.query("UPDATE device SET last_seen = \(record.receivedAt.timeIntervalSince1970) WHERE id = \(record.deviceID)", logger: logger)
            return .inserted(WireReceipt(submissionID: record.id, confirmationCode: record.code, appointmentPort: port, appointmentTime: time.map(Date.init(timeIntervalSince1970:))))
        }
    }

    private func statusRow(_ rows: PostgresRowSequence) async throws -> WireStatus {
        for try await (state, code, port, time) in rows.decode((String, String, String?, Double?).self) {
            return WireStatus(state: AppointmentState(rawValue: state) ?? .closed, confirmationCode: code, appointmentPort: port,
                              appointmentTime: time.map(Date.init(timeIntervalSince1970:)))
        }
        return WireStatus(state: .notFound)
    }

    /// Status by code.
    public func status(code: String) async throws -> WireStatus {
        try await wrap("status") { try await statusRow(try await client.query("SELECT state, code, port, appointment_time FROM submission WHERE code = \(code)", logger: logger)) }
    }

    /// Status by A-Number digest.
    public func status(aNumberDigest: String) async throws -> WireStatus {
        try await wrap("status") {
            try await statusRow(try await client.query("SELECT state, code, port, appointment_time FROM submission WHERE a_number_digest = \(aNumberDigest) ORDER BY seq DESC LIMIT 1", logger: logger))
        }
    }

    private func changed(_ c: PostgresConnection, _ q: PostgresQuery) async throws -> Bool {
        var n = 0
        for try await _ in try await c.query(q, logger: logger) { n += 1 }
        return n > 0
    }

    /// Cancels an open appointment.
    public func cancel(code: String, at: Date) async throws -> Bool {
        try await transaction("cancel") { c in
            try await changed(c, "UPDATE submission SET state = 'closed', closed_at = \(at.timeIntervalSince1970) WHERE code = \(code) AND state = 'pending' RETURNING seq")
        }
    }

    /// Moves an open appointment.
    public func reschedule(code: String, notBefore: Date, schedule: Schedule) async throws -> WireStatus {
        try await transaction("reschedule") { c in
            var portName: String?
            for try await p in try await c.query("SELECT port FROM submission WHERE code = \(code) AND state = 'pending'", logger: logger).decode(String?.self) { portName = p }
            if let portName, let p = schedule.port(portName) {
                try await c.query("SELECT pg_advisory_xact_lock(hashtext(\("port/" + p.port)))", logger: logger)
                var shifted = schedule
                shifted.leadDays = 0
                let days = Allocator.candidateDays(from: notBefore, schedule: shifted)
                var loads: [String: DayLoad] = [:]
                for try await (d, s, n) in try await c.query("SELECT day, slot, COUNT(*) FROM submission WHERE port = \(p.port) AND state <> 'closed' AND code <> \(code) GROUP BY day, slot", logger: logger).decode((String, Int32, Int64).self) {
                    loads[d, default: DayLoad()].perSlot[Int(s), default: 0] += Int(n)
                }
                if let a = Allocator.allocate(port: p, days: days, loads: loads, deviceID: "", activeKiosks: 1) {
                    try await c.query("UPDATE submission SET day = \(a.day), slot = \(Int32(a.slot)), appointment_time = \(a.time.timeIntervalSince1970) WHERE code = \(code)", logger: logger)
                }
            }
            return try await statusRow(try await c.query("SELECT state, code, port, appointment_time FROM submission WHERE code = \(code)", logger: logger))
        }
    }

    /// Records a check-in.
    public func checkIn(code: String, at: Date) async throws -> Bool {
        try await transaction("check-in") { c in
            try await changed(c, "UPDATE submission SET state = 'checked-in', checked_in_at = \(at.timeIntervalSince1970) WHERE code = \(code) AND state = 'pending' RETURNING seq")
        }
    }

    /// Templates of a port's appointments on a day.
    public func gallery(port: String, day: String) async throws -> [GalleryRow] {
        try await wrap("gallery") {
            var out: [GalleryRow] = []
            let rows = try await client.query("SELECT id, code, appointment_time, details, template FROM submission WHERE port = \(port) AND day = \(day) AND state = 'pending' ORDER BY seq", logger: logger)
            for try await (id, code, time, details, template) in rows.decode((String, String, Double?, Data, Data?).self) {
                out.append(GalleryRow(submissionID: UUID(uuidString: id) ?? UUID(), code: code,
                                      appointmentTime: time.map(Date.init(timeIntervalSince1970:)), details: details, template: template))
            }
            return out
        }
    }

    /// Submission ids in arrival order.
    public func arrivals() async throws -> [UUID] {
        try await wrap("arrivals") {
            var out: [UUID] = []
            for try await id in try await client.query("SELECT id FROM submission ORDER BY seq", logger: logger).decode(String.self) {
                if let u = UUID(uuidString: id) { out.append(u) }
            }
            return out
        }
    }

    /// Appends to the audit log.
    public func audit(_ entry: AuditEntry) async throws {
        try await wrap("audit") {
            try await client.query("INSERT INTO audit (at, actor, action, subject) VALUES (\(entry.at.timeIntervalSince1970), \(entry.actor), \(entry.action), \(entry.subject))", logger: logger)
        }
    }

    /// The audit log.
    public func auditLog() async throws -> [AuditEntry] {
        try await wrap("audit log") {
            var out: [AuditEntry] = []
            for try await (at, actor, action, subject) in try await client.query("SELECT at, actor, action, subject FROM audit ORDER BY seq", logger: logger).decode((Double, String, String, String).self) {
                out.append(AuditEntry(at: Date(timeIntervalSince1970: at), actor: actor, action: action, subject: subject))
            }
            return out
        }
    }

    /// Closes lapsed appointments and purges biometric data past its period.
    public func purge(policy: RetentionPolicy, now: Date) async throws -> Int {
        let t = now.timeIntervalSince1970
        let today = Allocator.day(now)
        let afterCheckIn = t - Double(policy.daysAfterCheckIn) * 86_400
        let afterLapse = t - Double(policy.daysAfterLapse) * 86_400
        return try await transaction("purge") { c in
            try await c.query("UPDATE submission SET state = 'closed', closed_at = \(t) WHERE state = 'pending' AND day IS NOT NULL AND day < \(today)", logger: logger)
            var ids: [String] = []
            for try await id in try await c.query("""
                UPDATE submission SET template = NULL, photo = NULL, purged_at = \(t)
                WHERE purged_at IS NULL AND (template IS NOT NULL OR photo IS NOT NULL) AND (
                    (state = 'checked-in' AND checked_in_at <= \(afterCheckIn)) OR (state = 'closed' AND closed_at <= \(afterLapse)))
                RETURNING id
                """, logger: logger).decode(String.self) { ids.append(id) }
            for id in ids {
                try await c.query("INSERT INTO audit (at, actor, action, subject) VALUES (\(t), 'retention', 'purge-biometrics', \(id))", logger: logger)
            }
            return ids.count
        }
    }

    /// Everything held about a request.
    public func export(code: String) async throws -> PersonExport? {
        try await wrap("export") {
            let rows = try await client.query("SELECT id, code, state, port, appointment_time, details, template IS NOT NULL, photo IS NOT NULL FROM submission WHERE code = \(code)", logger: logger)
            for try await (id, code, state, port, time, details, t, p) in rows.decode((String, String, String, String?, Double?, Data?, Bool, Bool).self) {
                return PersonExport(submissionID: UUID(uuidString: id) ?? UUID(), confirmationCode: code, state: state, appointmentPort: port,
                                    appointmentTime: time.map(Date.init(timeIntervalSince1970:)), details: details, holdsTemplate: t, holdsPhoto: p)
            }
            return nil
        }
    }

    /// Deletes a request's record.
    public func forget(code: String) async throws -> Bool {
        try await transaction("forget") { c in try await changed(c, "DELETE FROM submission WHERE code = \(code) RETURNING seq") }
    }

    /// Counts for the status page.
    public func summary(day: String) async throws -> IntakeSummary {
        try await wrap("summary") {
            var devices: [IntakeSummary.Device] = []
            for try await (id, role, seen, n) in try await client.query("""
                SELECT d.id, d.role, d.last_seen, (SELECT COUNT(*) FROM submission s WHERE s.device_id = d.id) FROM device d ORDER BY d.id
                """, logger: logger).decode((String, String, Double?, Int64).self) {
                devices.append(.init(id: id, role: role, lastSeen: seen.map(Date.init(timeIntervalSince1970:)), submissions: Int(n)))
            }
            var today: [String: Int] = [:]
            for try await (port, n) in try await client.query("SELECT port, COUNT(*) FROM submission WHERE day = \(day) AND state <> 'closed' GROUP BY port", logger: logger).decode((String, Int64).self) {
                today[port] = Int(n)
            }
            return IntakeSummary(devices: devices, appointmentsToday: today)
        }
    }
}
