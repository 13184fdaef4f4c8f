#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Testing
import WaysideCore
import WaysideDevices
import WaysideFace
import WaysideIntake
import WaysidePanel
import WaysideTesting

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
/// The built `wayside` binary, beside the test bundle.
let waysideBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wayside").path
/// The demo photos `scripts/setup` fetches: obama.jpg and obama2.jpg show one man, biden.jpg another.
let demoImages = FaceModelFiles.cacheDirectory() + "/demo-images"

enum Prerequisites {
    static var met: Bool {
        FileManager.default.isExecutableFile(atPath: waysideBinary)
            && (try? FaceModelFiles.standard().checkPresent()) != nil
            && FileManager.default.fileExists(atPath: demoImages + "/obama2.jpg")
    }
    static let missing = "needs the built wayside binary, the face models and the demo images (scripts/setup)"
}

/// A fresh private folder.
func scratchDirectory(_ name: String) throws -> String {
    // Short: a Unix socket path has at most 107 bytes.
    let path = "/tmp/wv-\(name)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A camera folder holding one demo photo, so each kiosk sees one chosen face.
func cameraFolder(showing photo: String) throws -> String {
    let folder = try scratchDirectory("cam")
    try FileManager.default.copyItem(atPath: demoImages + "/" + photo, toPath: folder + "/" + photo)
    return folder
}

/// The real intake in this process, on one port it keeps across a stop and a start (so a
/// kiosk enrolled with it can find it again after an outage).
final class TestIntake: @unchecked Sendable {
    let directory: String
    let keys: IntakeKeys
    let storage: SQLiteStorage
    let token = "visit-test-token"
    private(set) var port = 0
    private var running: Task<Void, any Error>?
    var url: String { "http://127.0.0.1:\(port)" }

    init() throws {
        directory = try scratchDirectory("intake")
        keys = .generate()
        storage = try SQLiteStorage(path: directory + "/intake.sqlite")
    }

    func start() async throws {
        let ports = ShelterFlow.Options().ports.map { PortSchedule(port: $0, dailyCapacity: 500, slots: ["08:00", "13:00"]) }
        // Appointments from today, so the port visits can follow the shelter visits at once.
        let configuration = IntakeConfiguration(host: "127.0.0.1", port: port, enrolmentToken: token,
                                                schedule: Schedule(ports: ports, leadDays: 0))
        let (listening, announce) = AsyncStream<Int>.makeStream()
        let app = try await buildApplication(configuration: configuration, storage: storage, keys: keys,
                                             logger: Logger(label: "visit-test.intake")) { announce.yield($0) }
        running = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = listening.makeAsyncIterator()
        port = await iterator.next() ?? port
    }

    func stop() async {
        running?.cancel()
        _ = await running?.result
        running = nil
    }
}

/// A `wayside` daemon driven through its control socket.
final class ControlledKiosk: @unchecked Sendable {
    let directory: String
    let driver: ControlSocketDriver
    let process: ChildProcess
    /// Drains the daemon's output from the start (a full pipe would block it) and reaps it.
    private let outcome: Task<ChildProcess.Result, Never>
    /// The last screen the kiosk showed (a new visitor starts from it).
    var lastScreen: ScreenContent?

    /// Starts `wayside --board profile --control-socket DIR`, the feed bound first so no screen is missed.
    init(profile: String) throws {
        directory = try scratchDirectory("ctl")
        driver = try ControlSocketDriver(directory: directory)
        let file = directory + "/board.toml"
        try profile.write(toFile: file, atomically: true, encoding: .utf8)
        process = try ChildProcess.spawn(waysideBinary, ["--board", file, "--control-socket", directory, "--log-level", "info"],
                                         environment: ProcessInfo.processInfo.environment)
        outcome = Task { [process] in await process.finish(timeout: .seconds(900)) }
    }

    /// Stops the daemon (SIGTERM, as systemd does) and returns what it printed.
    func stop() async -> ChildProcess.Result {
        process.kill(SIGTERM)
        return await outcome.value
    }

    /// What one visit showed and said.
    struct Visit {
        var screens: [ScreenContent] = []
        var spoken: [(text: String, languageTag: String)] = []
        var lamp: [Bool] = []
        var ids: [String] { screens.map(\.id) }
        func screen(_ id: String) -> ScreenContent? { screens.last { $0.id == id } }
    }

    /// Plays `script` as a person (or officer) at the buttons: presses go through the
    /// control socket, and the visitor acts on the screens the feed reports. Returns when the
    /// script is done and the kiosk has settled (or records an issue at `timeout`).
    func play(_ script: [ScriptedVisitor.Step], pocket: VisitorPocket? = nil, timeout: Duration = .seconds(120),
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> Visit {
        let driver = self.driver
        let visitor = ScriptedVisitor(script: script, finger: { try await driver.press($0, hold: .milliseconds(45)) }, pocket: pocket)
        var visit = Visit()
        if let lastScreen { await visitor.show(lastScreen) }
        let deadline = ContinuousClock.now + timeout
        var settleUntil: ContinuousClock.Instant?
        while ContinuousClock.now < (settleUntil ?? deadline) {
            if settleUntil == nil, await visitor.finished { settleUntil = .now + .milliseconds(600) }
            guard let event = try driver.next(timeout: .milliseconds(40)) else { await Task.yield(); continue }
            switch event {
            case .screen(let content):
                visit.screens.append(content)
                lastScreen = content
                await visitor.show(content)
            case .say(let text, let tag):
                visit.spoken.append((text, tag))
            case .lamp(let on):
                visit.lamp.append(on)
            }
        }
        if settleUntil == nil {
            let waiting = await visitor.waitingFor.map { $0.screens.sorted().joined(separator: " or ") } ?? "?"
            Issue.record("the visit stalled waiting for \(waiting); last screens: \(visit.ids.suffix(8)); finger: \(await visitor.fingerError ?? "ok")",
                         sourceLocation: sourceLocation)
        }
        return visit
    }
}

/// Board profiles for the tests: the sim board's stand-ins, a real intake over HTTP.
enum Profiles {
    static func shelter(data: String, camera: String, intake: String, liveness: Bool = false) -> String {
        """
        name = "visit-shelter"
        role = "shelter"
        data_directory = "\(data)"

        [camera]
        kind = "image-folder"
        path = "\(camera)"
        width = 640
        height = 480
        fps = 10
        loop = true
        liveness = "\(liveness ? "challenge" : "off")"

        [buttons]
        kind = "terminal"

        [display]
        kind = "terminal"

        [speaker]
        kind = "none"

        [intake]
        url = "\(intake)"
        """
    }

    static func port(data: String, camera: String, intake: String, port: String) -> String {
        shelter(data: data, camera: camera, intake: intake)
            .replacingOccurrences(of: "role = \"shelter\"", with: "role = \"port\"")
            .replacingOccurrences(of: "name = \"visit-shelter\"", with: "name = \"visit-port\"")
            + "\n\n[station]\nport = \"\(port)\"\nofficer = \"officer-12\"\n"
    }
}

/// Scripts of whole visits, keyed on screen ids.
enum Scripts {
    typealias Step = ScriptedVisitor.Step

    /// Attract, the language `downs` places below English, the notice.
    static func opening(languageDowns: Int) -> [Step] {
        [Step(on: "attract", press: .ok)] + Array(repeating: Step(on: "language", press: .down), count: languageDowns)
            + [Step(on: "language", press: .ok), Step(on: "notice", press: .ok)]
    }

    /// From the attract screen to the answer for the code in the visitor's pocket.
    static func statusCheck(languageDowns: Int) -> [Step] {
        [Step(on: "attract", press: .ok)] + Array(repeating: Step(on: "language", press: .down), count: languageDowns)
            + [Step(on: "language", press: .ok), Step(on: "notice", press: .down), Step(on: "notice", press: .ok),
               Step(typeCarriedCodeOn: "status-code"), Step(on: "status", press: .ok)]
    }

    /// Details typed on the buttons; the first country and port.
    static func details(given: String, family: String, birth: String, aNumber: String) -> [Step] {
        [Step(on: "field-givenName", type: given), Step(on: "field-familyName", type: family),
         Step(on: "field-birthDate", type: birth), Step(on: "field-country", press: .ok),
         Step(on: "field-aNumber", type: aNumber), Step(on: "field-phone", type: ""),
         Step(on: "field-port", press: .ok), Step(on: "review", press: .ok)]
    }
}
