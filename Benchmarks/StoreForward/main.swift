// Store-and-forward benchmark. Prints each figure beside a named peer measured in the same run:
//   1. sealed commits/s into the kiosk outbox  vs  the same GRDB insert of unsealed bytes
//      (same pragmas: WAL, synchronous=FULL, secure_delete), i.e. what sealing costs;
//   2. end-to-end forwarded/s on loopback (outbox -> signed HTTP -> intake -> SQLite, ack,
//      delete)  vs  a plain unsigned POST of the same body to a no-op Hummingbird route;
//   3. the same with PostgreSQL storage when WAYSIDE_TEST_POSTGRES is set
//      (run under scripts/with-postgres).
// Usage: wayside-bench-store [COMMITS] [FORWARDS]
import AsyncHTTPClient
import Crypto
import Foundation
import GRDB
import Hummingbird
import Logging
import PostgresNIO
import WaysideCore
import WaysideIntake
import WaysideStore
import WaysideUplink
import WaysideWire

let args = CommandLine.arguments
let commits = args.count > 1 ? Int(args[1]) ?? 2000 : 2000
let forwards = args.count > 2 ? Int(args[2]) ?? 500 : 500

func tempDir() throws -> String {
    let p = NSTemporaryDirectory() + "wayside-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    return p
}

/// A realistic submission: details, consent, a 128-float template and a 24 KiB photo.
func submission(_ i: Int, port: String = "Bench Port") -> Submission {
    Submission(createdAt: Date(),
               details: PersonDetails(givenName: "Given\(i)", familyName: "Family", birthDate: "1990-01-01", aNumber: "2\(100_000_00 + i)",
                                      phone: "5550100", country: "HT", port: port),
               consent: ConsentRecord(languageTag: "ht", noticeVersion: "n1", photoConsented: true, time: Date()),
               photoJPEG: Data((0..<24_576).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }),
               template: FaceTemplate(engine: "bench", modelVersion: "1", values: (0..<128).map { Float($0) / 128 }))
}

func rate(_ n: Int, _ d: Duration) -> Double {
    Double(n) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}

func f(_ x: Double) -> String { String(format: "%.0f", x) }

// 1. Commits.
let dir = try tempDir()
let intakeKeys = IntakeKeys.generate()
let outbox = try SealedOutbox(path: dir + "/outbox.sqlite", recipient: intakeKeys.sealingKey.publicKey, quotaBytes: 1 << 34)
let subs = (0..<commits).map { submission($0) }
let clock = ContinuousClock()
let sealedTime = try await clock.measure { for s in subs { try await outbox.commit(s) } }

var peerConfig = Configuration()
peerConfig.prepareDatabase { db in
    try db.execute(sql: "PRAGMA journal_mode = WAL")
    try db.execute(sql: "PRAGMA synchronous = FULL")
    try db.execute(sql: "PRAGMA secure_delete = ON")
}
let peer = try DatabaseQueue(path: dir + "/peer.sqlite", configuration: peerConfig)
try await peer.write { try $0.execute(sql: "CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, createdAt DOUBLE, body BLOB)") }
let encoded = try subs.map { try WireCoding.encoder().encode($0) }
let peerTime = try await clock.measure {
    for (s, body) in zip(subs, encoded) {
        try await peer.write { try $0.execute(sql: "INSERT INTO t (id, createdAt, body) VALUES (?, ?, ?)", arguments: [s.id.uuidString, s.createdAt.timeIntervalSince1970, body]) }
    }
}
let sealedRate = rate(commits, sealedTime), peerRate = rate(commits, peerTime)
print("sealed commits/s (outbox, \(commits) x ~\(encoded[0].count / 1024) KiB): \(f(sealedRate))   peer unsealed GRDB insert, same pragmas: \(f(peerRate))   ratio \(String(format: "%.2f", sealedRate / peerRate))   goal >= 500/s: \(sealedRate >= 500 ? "met" : "NOT met")")

// 2./3. Forwarding.
func forward(storage: any IntakeStorage, label: String) async throws {
    let token = "bench"
    let config = IntakeConfiguration(port: 0, enrolmentToken: token, schedule: Schedule(ports: [PortSchedule(port: "Bench Port", dailyCapacity: 1_000_000, slots: ["09:00"])]))
    let (ports, cont) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let app = try await buildApplication(configuration: config, storage: storage, keys: intakeKeys, logger: logger, onServerRunning: { cont.yield($0) })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var it = ports.makeAsyncIterator()
        guard let port = await it.next() else { return }
        let url = "http://127.0.0.1:\(port)"
        let state = try tempDir() + "/state"
        let (identity, enrolment) = try await Enroller.enrol(stateDirectory: state, intakeURL: url, token: token, deviceID: "bench-\(label)", role: .shelter)
        let kiosk = try SealedOutbox(path: state + "/outbox.sqlite", recipient: try enrolment.intakeKey(), quotaBytes: 1 << 34)
        for i in 0..<forwards { try await kiosk.commit(submission(i)) }
        let forwarder = Forwarder(outbox: kiosk, uplink: HTTPUplink(baseURL: url, identity: identity), clock: ContinuousClock(), logger: logger)
        var delivered = 0
        let t = try await clock.measure {
            while true {
                switch await forwarder.step() {
                case .delivered: delivered += 1
                case .idle: return
                case .failed, .refused: throw WireProblem(error: "bench", detail: "delivery failed")
                }
            }
        }
        group.cancelAll()
        print("forwarded/s end to end, loopback, \(label): \(f(rate(delivered, t))) (\(delivered) delivered)")
    }
}

/// The peer for forwarding: the same body POSTed, unsigned and unsealed, to a no-op route.
func plainPost() async throws -> Double {
    let router = Router()
    router.post("/sink") { _, _ in HTTPResponse.Status.ok }
    let (ports, cont) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "bench-peer")
    logger.logLevel = .warning
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: { cont.yield($0.localAddress?.port ?? 0) }, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var it = ports.makeAsyncIterator()
        guard let port = await it.next() else { return 0 }
        let body = try WireCoding.encoder().encode(WireSubmission(id: UUID(), createdAt: Date(), sealed: encoded[0]))
        let t = try await clock.measure {
            for _ in 0..<forwards {
                var r = HTTPClientRequest(url: "http://127.0.0.1:\(port)/sink")
                r.method = .POST
                r.body = .bytes(.init(bytes: body))
                _ = try await HTTPClient.shared.execute(r, timeout: .seconds(10)).body.collect(upTo: 1 << 20)
            }
        }
        group.cancelAll()
        return rate(forwards, t)
    }
}

try await forward(storage: try SQLiteStorage(path: try tempDir() + "/intake.sqlite"), label: "SQLite")
if let pg = ProcessInfo.processInfo.environment["WAYSIDE_TEST_POSTGRES"] {
    let admin = try PostgresStorage(url: pg, logger: Logger(label: "bench"))
    let name = "wayside_bench_" + UUID().uuidString.prefix(8).lowercased()
    try await admin.withRunning { try await admin.client.query(.init(unsafeSQL: "CREATE DATABASE \(name)")) }
    let storage = try PostgresStorage(url: pg.replacingOccurrences(of: "/postgres?", with: "/\(name)?"), logger: Logger(label: "bench"))
    try await storage.withRunning { try await forward(storage: storage, label: "PostgreSQL") }
} else {
    print("forwarded/s end to end, loopback, PostgreSQL: skipped (run under scripts/with-postgres)")
}
print("peer: plain unsigned POST of the same body to a no-op Hummingbird route: \(f(try await plainPost()))/s")
