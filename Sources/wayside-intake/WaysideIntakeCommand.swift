import ArgumentParser
import Foundation
import Logging
import WaysideIntake

/// The intake daemon: receives sealed submissions from shelter kiosks, allocates
/// appointments, serves galleries to port stations, and purges biometric data on schedule.
@main
struct WaysideIntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wayside-intake",
        abstract: "Receive sealed submissions from Wayside kiosks and allocate appointments.",
        discussion: """
            Storage is SQLite in --data-dir by default; give --postgres to share one PostgreSQL
            database among several intake processes. The intake's sealing key is made in
            --data-dir on first start (intake.key, mode 0600): back it up, because submissions
            sealed to it cannot be opened without it.

            Examples:
              wayside-intake --data-dir /var/lib/wayside-intake --enrolment-token-file /etc/wayside/enrol.token \\
                  --port-schedule "San Ysidro:120:08:00,10:00,13:00,15:00"
              wayside-intake --postgres "postgres://wayside@/wayside?host=/run/postgresql" ...
            """)

    @Option(help: "Directory for the intake key and the SQLite database.")
    var dataDir: String = "/var/lib/wayside-intake"

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "File holding the operator's enrolment token (one line).")
    var enrolmentTokenFile: String

    @Option(help: "PostgreSQL URL, e.g. postgres://user@/db?host=/run/postgresql. SQLite in --data-dir when absent.")
    var postgres: String?

    @Option(help: "A port's schedule, NAME:DAILY_CAPACITY:HH:MM[,HH:MM...] (UTC). Repeat for each port.")
    var portSchedule: [String] = []

    @Option(help: "Days after check-in before templates and photos are purged.")
    var retentionDaysAfterCheckIn: Int = 7

    @Option(help: "Days after a missed or cancelled appointment before templates and photos are purged.")
    var retentionDaysAfterLapse: Int = 14

    func run() async throws {
        let logger = Logger(label: "wayside.intake")
        guard let tokenData = FileManager.default.contents(atPath: enrolmentTokenFile),
              case let token = String(decoding: tokenData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw ValidationError("cannot read an enrolment token from \(enrolmentTokenFile); write one line of random text there (e.g. `openssl rand -hex 32`)")
        }
        var ports: [PortSchedule] = []
        for spec in portSchedule {
            guard let p = PortSchedule(parsing: spec) else {
                throw ValidationError("--port-schedule \"\(spec)\" is not NAME:CAPACITY:HH:MM[,HH:MM...]")
            }
            ports.append(p)
        }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let keys = try IntakeKeys.loadOrCreate(in: dataDir)
        let config = IntakeConfiguration(
            host: host, port: port, enrolmentToken: token, schedule: Schedule(ports: ports),
            retention: RetentionPolicy(daysAfterCheckIn: retentionDaysAfterCheckIn, daysAfterLapse: retentionDaysAfterLapse))
        if let postgres {
            let storage = try PostgresStorage(url: postgres, logger: logger)
            try await storage.withRunning {
                let app = try await buildApplication(configuration: config, storage: storage, keys: keys, logger: logger) { port in
                    logger.info("listening", metadata: ["port": "\(port)", "storage": "postgresql"])
                }
                try await app.runService()
            }
        } else {
            let storage = try SQLiteStorage(path: dataDir + "/intake.sqlite")
            let app = try await buildApplication(configuration: config, storage: storage, keys: keys, logger: logger) { port in
                logger.info("listening", metadata: ["port": "\(port)", "storage": "sqlite"])
            }
            try await app.runService()
        }
    }
}
