import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing
import WaysideCore
import WaysideIntake
import WaysideStore
import WaysideUplink
import WaysideWire

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "wayside-intake-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

let testToken = "test-enrolment-token"
let testSchedule = Schedule(ports: [PortSchedule(port: "San Ysidro", dailyCapacity: 6, slots: ["09:00", "13:00"]),
                                    PortSchedule(port: "Test Port", dailyCapacity: 100_000, slots: ["09:00"])])

/// A wall clock tests can move.
final class MovableWallClock: Sendable {
    private let state: Mutex<Date>
    init(_ start: Date = Date()) { state = Mutex(start) }
    func now() -> Date { state.withLock { $0 } }
    func advance(by seconds: TimeInterval) { state.withLock { $0 += seconds } }
}

/// A clock whose sleeps return at once, moving its time forward by the requested amount:
/// hours of back-off pass in milliseconds, and the test can read how long was waited.
final class SimulatedClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }
    private let state = Mutex<(now: Instant, sleeps: [Duration])>((Instant(offset: .zero), []))
    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        state.withLock { s in
            s.sleeps.append(s.now.duration(to: deadline))
            if s.now < deadline { s.now = deadline }
        }
        await Task.yield()
    }
}

/// A running intake on a loopback port picked by the kernel.
struct RunningIntake: Sendable {
    let url: String
    let storage: any IntakeStorage
    let keys: IntakeKeys
    let wall: MovableWallClock
}

/// Starts an intake on 127.0.0.1:0, runs `body`, then stops it.
func withIntake<T: Sendable>(
    storage: any IntakeStorage, keys: IntakeKeys = .generate(), wall: MovableWallClock = MovableWallClock(),
    maxBodyBytes: Int = 2 << 20, _ body: @Sendable (RunningIntake) async throws -> T
) async throws -> T {
    let config = IntakeConfiguration(host: "127.0.0.1", port: 0, enrolmentToken: testToken, maxBodyBytes: maxBodyBytes, schedule: testSchedule)
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = try await buildApplication(configuration: config, storage: storage, keys: keys, now: { wall.now() },
                                         onServerRunning: { continuation.yield($0) })
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var it = ports.makeAsyncIterator()
        guard let port = await it.next() else { throw CancellationError() }
        let intake = RunningIntake(url: "http://127.0.0.1:\(port)", storage: storage, keys: keys, wall: wall)
        do {
            let result = try await body(intake)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// An enrolled kiosk: its state directory, identity and a sealed outbox.
struct Kiosk: Sendable {
    let stateDir: String
    let identity: DeviceIdentity
    let outbox: SealedOutbox
    let uplink: HTTPUplink
}

func enrolKiosk(_ intake: RunningIntake, id: String = "kiosk-\(UUID().uuidString.prefix(8))", role: DeviceRole = .shelter) async throws -> Kiosk {
    let dir = try temporaryDirectory() + "/state"
    let (identity, enrolment) = try await Enroller.enrol(stateDirectory: dir, intakeURL: intake.url, token: testToken, deviceID: id, role: role)
    let outbox = try SealedOutbox(path: dir + "/outbox.sqlite", recipient: try enrolment.intakeKey())
    return Kiosk(stateDir: dir, identity: identity, outbox: outbox,
                 uplink: HTTPUplink(baseURL: intake.url, identity: identity, now: { intake.wall.now() }))
}

func person(_ name: String = "Wilmarie", port: String = "San Ysidro", aNumber: String? = "212345678", template: Bool = false) -> Submission {
    Submission(createdAt: Date(),
               details: PersonDetails(givenName: name, familyName: "Desrosiers", birthDate: "1991-03-04", aNumber: aNumber,
                                      phone: nil, country: "HT", port: port),
               consent: ConsentRecord(languageTag: "ht", noticeVersion: "n1", photoConsented: template, time: Date()),
               photoJPEG: template ? Data(repeating: 0xFF, count: 300) : nil,
               template: template ? FaceTemplate(engine: "test", modelVersion: "1", values: [0.25, -0.5, 0.125]) : nil)
}

/// Sends a raw request (for the refusal tests); returns status and body.
func raw(_ url: String, method: String = "POST", headers: [(String, String)] = [], body: Data) async throws -> (Int, WireProblem?) {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    for (n, v) in headers { request.headers.add(name: n, value: v) }
    request.body = .bytes(.init(bytes: body))
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), try? WireCoding.decoder().decode(WireProblem.self, from: Data(bytes.readableBytesView)))
}

/// Which storage a contract test runs against.
enum StorageKind: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    /// SQLite always; PostgreSQL when `scripts/with-postgres` set `WAYSIDE_TEST_POSTGRES`.
    static var available: [StorageKind] {
        ProcessInfo.processInfo.environment["WAYSIDE_TEST_POSTGRES"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }
    var testDescription: String { rawValue }
}

/// The URL of the test PostgreSQL server's maintenance database, if one was started.
var testPostgresURL: String? { ProcessInfo.processInfo.environment["WAYSIDE_TEST_POSTGRES"] }

/// Runs `body` with a fresh, empty storage of `kind` (a new database on the PostgreSQL server).
func withStorage<T: Sendable>(_ kind: StorageKind, _ body: @Sendable (any IntakeStorage) async throws -> T) async throws -> T {
    switch kind {
    case .sqlite:
        return try await body(try SQLiteStorage(path: try temporaryDirectory() + "/intake.sqlite"))
    case .postgres:
        let url = try #require(testPostgresURL)
        let name = "wayside_test_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try PostgresStorage(url: url, logger: .init(label: "test"))
        try await admin.withRunning {
            try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        let storage = try PostgresStorage(url: url.replacingOccurrences(of: "/postgres?", with: "/\(name)?"), logger: .init(label: "test"))
        return try await storage.withRunning { try await body(storage) }
    }
}
