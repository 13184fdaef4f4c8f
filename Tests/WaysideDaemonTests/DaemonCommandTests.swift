import Foundation
import Testing
import WaysideTesting

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `wayside` binary: beside the test bundle, in the same build folder.
let waysideBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wayside")

/// Runs `wayside` with `arguments` and no terminal; returns exit status, standard error and output.
/// Off the cooperative pool and with a deadline, so a stuck kiosk fails the test instead of hanging it.
func runWayside(_ arguments: [String], environment: [String: String] = [:],
                timeout: Duration = .seconds(180)) async throws -> (status: Int32, stderr: String, stdout: String) {
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    // The tests run from the package root (swift test's working directory), where the
    // kiosk finds Board/ and the demo images.
    let result = try await ChildProcess.run(waysideBinary.path, arguments, environment: env, timeout: timeout)
    #expect(!result.timedOut, "wayside \(arguments) was killed after \(timeout)")
    return (result.status, result.stderrText, result.stdoutText)
}

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: waysideBinary.path), "wayside binary not built beside the tests"))
struct DaemonCommand {
    @Test func unknownBoardExitsTwoNamingTheKnownOnes() async throws {
        let result = try await runWayside(["--board", "does-not-exist"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("does-not-exist.toml"))
        #expect(result.stderr.contains("sim"))
    }

    @Test func profileWithAWrongKeyExitsTwoNamingFileAndKey() async throws {
        let file = NSTemporaryDirectory() + "wrong-key-\(getpid()).toml"
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Board/sim.toml"), encoding: .utf8)
            .replacingOccurrences(of: "fps = 10", with: "frames_per_sec = 10")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await runWayside(["--board", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains(file))
        #expect(result.stderr.contains("camera.frames_per_sec"))
    }

    @Test func simBoardWithoutATerminalPlaysAVisitThroughTheEmbeddedIntake() async throws {
        let state = NSTemporaryDirectory() + "wayside-sim-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: state) }
        // A private copy of the sim profile writing into a temporary folder; the camera plays
        // the demo faces scripts/setup fetched.
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Board/sim.toml"), encoding: .utf8)
            .replacingOccurrences(of: "~/.local/state/wayside/sim", with: state)
        let file = state + ".toml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await runWayside(["--board", file, "--visit-timeout", "90"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        // "[saved]" is the screen with the intake's receipt (code and appointment), which
        // only comes back when the submission was sealed, forwarded, stored and acknowledged.
        #expect(result.stdout.contains("[saved]"), "stdout: \(result.stdout.suffix(2000))")
        #expect(result.stderr.contains("submission saved"))
        #expect(result.stderr.contains("submission stored"), "the embedded intake did not log the submission")
        // What stays on the kiosk's disk is sealed: the name typed in the visit is nowhere in it.
        for name in ["outbox.sqlite", "outbox.sqlite-wal"] {
            let bytes = FileManager.default.contents(atPath: state + "/" + name) ?? Data()
            #expect(bytes.range(of: Data("LOPEZ".utf8)) == nil, "\(name) holds the typed name in the clear")
        }
        #expect(FileManager.default.fileExists(atPath: state + "/enrolment.json"))
        // The second act: the same person checks in at the sim's port station with the code
        // they carried from the receipt; the officer confirms or refers, never the machine.
        #expect(result.stderr.contains("gallery fetched"), "the port station did not fetch its gallery")
        #expect(result.stdout.contains("[port-recorded-checked-in]") || result.stdout.contains("[port-recorded-referred]"))
        #expect(result.stderr.contains("check-in recorded"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: state + "/port-station/check-ins"))?.isEmpty == true,
                "the check-in never reached the embedded intake")
    }
}
