import ArgumentParser
import Foundation
import Logging
import WaysideIntake
import WaysideStore
import WaysideWire

/// `waysidectl outbox`: how many submissions wait on this kiosk, and how old the oldest is.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Show the kiosk's outbox: waiting submissions, bytes used, oldest age, durability settings.",
        discussion: "The contents are sealed to the intake and cannot be read here; only counts are shown.")

    @Option(help: "The device's state directory.")
    var stateDir: String = "/var/lib/wayside"

    func run() async throws {
        let enrolment = try Enrolment.load(from: stateDir)
        let outbox = try SealedOutbox(path: stateDir + "/outbox.sqlite", recipient: try enrolment.intakeKey())
        let depth = try await outbox.depth()
        let used = try await outbox.usedBytes()
        let oldest = try await outbox.oldestCreatedAt()
        let settings = try await outbox.durabilitySettings()
        print("waiting: \(depth)")
        print("bytes: \(used) of \(outbox.quotaBytes)")
        print("oldest: \(oldest.map { "\(Int(Date().timeIntervalSince($0))) s ago" } ?? "none")")
        print("journal_mode=\(settings.journalMode) synchronous=\(settings.synchronous) secure_delete=\(settings.secureDelete)")
    }
}

/// Where the intake keeps its data, for the operator commands.
struct IntakeStorageOptions: ParsableArguments {
    @Option(help: "The intake's SQLite database (default storage).")
    var sqlite: String?

    @Option(help: "The intake's PostgreSQL URL.")
    var postgres: String?

    func withStorage<T: Sendable>(_ body: @Sendable (any IntakeStorage) async throws -> T) async throws -> T {
        if let postgres {
            let storage = try PostgresStorage(url: postgres, logger: .init(label: "waysidectl"))
            return try await storage.withRunning { try await storage.migrate(); return try await body(storage) }
        }
        guard let sqlite else { throw ValidationError("give --sqlite PATH or --postgres URL") }
        let storage = try SQLiteStorage(path: sqlite)
        try await storage.migrate()
        return try await body(storage)
    }
}

/// `waysidectl export`: prints everything the intake holds about one request, on the person's request.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print, as JSON, everything the intake holds about the request with a confirmation code.",
        discussion: "Run on the intake host. The read is written to the audit log with --operator.")

    @OptionGroup var storage: IntakeStorageOptions
    @Option(help: "The confirmation code.") var code: String
    @Option(help: "Who is exporting (written to the audit log).") var `operator`: String

    func run() async throws {
        guard let c = ConfirmationCode(parsing: code)?.value else { throw ValidationError("\(code) is not a valid confirmation code (check character)") }
        let who = `operator`
        let data: Data? = try await storage.withStorage { s in
            guard let record = try await s.export(code: c) else { return nil }
            try await s.audit(AuditEntry(at: Date(), actor: "operator:\(who)", action: "export", subject: record.submissionID.uuidString))
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            e.dateEncodingStrategy = .iso8601
            return try e.encode(record)
        }
        guard let data else { throw ValidationError("no request has the code \(c)") }
        print(String(decoding: data, as: UTF8.self))
    }
}

/// `waysidectl forget`: deletes everything the intake holds about one request.
struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Delete everything the intake holds about the request with a confirmation code.",
        discussion: "Run on the intake host, on the person's request. The deletion is written to the audit log.")

    @OptionGroup var storage: IntakeStorageOptions
    @Option(help: "The confirmation code.") var code: String
    @Option(help: "Who is deleting (written to the audit log).") var `operator`: String

    func run() async throws {
        guard let c = ConfirmationCode(parsing: code)?.value else { throw ValidationError("\(code) is not a valid confirmation code (check character)") }
        let who = `operator`
        let deleted = try await storage.withStorage { s in
            let ok = try await s.forget(code: c)
            if ok { try await s.audit(AuditEntry(at: Date(), actor: "operator:\(who)", action: "forget", subject: c)) }
            return ok
        }
        guard deleted else { throw ValidationError("no request has the code \(c)") }
        print("deleted the request \(c)")
    }
}
