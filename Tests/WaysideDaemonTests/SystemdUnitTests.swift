import Foundation
import Testing
import WaysideTesting

let systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Runs systemd-analyze with `arguments`; returns status and combined output.
func analyze(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    let result = try await ChildProcess.run(systemdAnalyze ?? "/usr/bin/systemd-analyze", arguments, timeout: .seconds(120))
    return (result.status, result.stdoutText + result.stderrText)
}

/// A copy of `unit` in a temporary folder with its /usr/bin binary pointed at the built one,
/// since `verify` checks that ExecStart exists.
func stagedUnit(_ unit: String) throws -> String {
    let folder = NSTemporaryDirectory() + "wayside-units-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var text = try String(contentsOf: packageRoot.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
    let built = waysideBinary.deletingLastPathComponent()
    for binary in ["wayside-intake", "wayside"] {
        let path = built.appendingPathComponent(binary).path
        text = text.replacingOccurrences(of: "/usr/bin/\(binary) ", with: (FileManager.default.isExecutableFile(atPath: path) ? path : "/bin/true") + " ")
    }
    let staged = folder + "/" + unit
    try text.write(toFile: staged, atomically: true, encoding: .utf8)
    return staged
}

@Suite(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed (apt-get install systemd)"))
struct SystemdUnits {
    @Test(arguments: ["wayside.service", "wayside-intake.service"])
    func unitsVerify(unit: String) async throws {
        let result = try await analyze(["verify", try stagedUnit(unit)])
        #expect(result.status == 0, "\(result.output)")
        // verify prints warnings without failing; a clean unit prints nothing about itself.
        #expect(!result.output.contains(unit), "\(result.output)")
    }

    /// `systemd-analyze security` exposure: 0 (locked down) to 10 (exposed). Goal for the kiosk: 2.0 or lower.
    @Test(arguments: [("wayside.service", 2.0), ("wayside-intake.service", 2.0)])
    func exposureWithinGoal(unit: String, goal: Double) async throws {
        let result = try await analyze(["security", "--offline=yes", try stagedUnit(unit)])
        let line = try #require(result.output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let number = line.split(separator: " ").compactMap { Double($0) }.first
        let exposure = try #require(number, "no number in: \(line)")
        print("systemd-analyze security \(unit): exposure \(exposure) (goal \(goal))")
        #expect(exposure <= goal)
    }
}
