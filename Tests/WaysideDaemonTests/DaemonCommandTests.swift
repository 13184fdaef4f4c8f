import Foundation
import Testing

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `wayside` binary: beside the test bundle, in the same build folder.
let waysideBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wayside")

/// Runs `wayside` with `arguments` and no terminal; returns exit status and standard error.
func runWayside(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stderr: String, stdout: String) {
    let process = Process()
    process.executableURL = waysideBinary
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    let errors = Pipe(), output = Pipe()
    process.standardError = errors
    process.standardOutput = output
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: err, as: UTF8.self), String(decoding: out, as: UTF8.self))
}

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: waysideBinary.path), "wayside binary not built beside the tests"))
struct DaemonCommand {
    @Test func unknownBoardExitsTwoNamingTheKnownOnes() throws {
        let result = try runWayside(["--board", "does-not-exist"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("does-not-exist.toml"))
        #expect(result.stderr.contains("sim"))
    }

    @Test func profileWithAWrongKeyExitsTwoNamingFileAndKey() throws {
        let file = NSTemporaryDirectory() + "wrong-key-\(getpid()).toml"
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Board/sim.toml"), encoding: .utf8)
            .replacingOccurrences(of: "fps = 10", with: "frames_per_sec = 10")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try runWayside(["--board", file])
        #expect(result.status == 2)
        #expect(result.stderr.contains(file))
        #expect(result.stderr.contains("camera.frames_per_sec"))
    }

    @Test func simBoardWithoutATerminalPlaysAVisitAndExitsZero() throws {
        let state = NSTemporaryDirectory() + "wayside-sim-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: state) }
        // A private copy of the sim profile writing into a temporary folder, camera on the shared samples.
        let images = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/samples/fr_examples/examples").path
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Board/sim.toml"), encoding: .utf8)
            .replacingOccurrences(of: "~/.local/state/wayside/sim", with: state)
            .replacingOccurrences(of: "${WAYSIDE_CACHE}/demo-images", with: images)
        let file = state + ".toml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try runWayside(["--board", file, "--visit-timeout", "60"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("[saved-offline]") || result.stdout.contains("[saved]"))
        #expect(result.stderr.contains("submission saved"))
    }
}
