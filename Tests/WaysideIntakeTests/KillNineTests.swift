import Foundation
import Testing
import WaysideTesting
import WaysideIntake
import WaysideStore
import WaysideUplink
import WaysideWire

/// The `wayside-soak` executable built beside the test bundle.
func soakExecutable() throws -> URL {
    let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
    let candidates = [bundleDir, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
    for dir in candidates {
        let url = dir.appendingPathComponent("wayside-soak")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw WireProblem(error: "missing-helper", detail: "wayside-soak not found beside the tests in \(candidates.map(\.path)); build it with `swift build -c release`")
}

/// One run of the soak child: what it printed before it ended.
struct SoakOutput {
    var attempted: [String] = []
    var committed: [String] = []
    var finished = false
}

func runSoak(_ exe: URL, stateDir: String, url: String, count: Int, killAfter: Duration?) async throws -> SoakOutput {
    let child = try ChildProcess.spawn(exe.path, [stateDir, url, String(count)])
    if let killAfter {
        try await Task.sleep(for: killAfter)
        child.kill(SIGKILL)
    }
    let result = await child.finish(timeout: .seconds(120))
    let (data, status) = (result.stdout, result.status)
    var out = SoakOutput()
    // Only whole lines count: a line cut by the kill was never promised.
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        let parts = line.split(separator: " ")
        if parts.count == 2, UUID(uuidString: String(parts[1])) != nil {
            if parts[0] == "attempt" { out.attempted.append(String(parts[1])) }
            if parts[0] == "committed" { out.committed.append(String(parts[1])) }
        }
        if line == "done" || line == "drained" { out.finished = true }
    }
    if killAfter == nil, status != 0 {
        throw WireProblem(error: "soak-failed", detail: "wayside-soak exited with \(status)")
    }
    return out
}

@Suite struct KillNineTests {
    /// Kiosk killed with SIGKILL at random points while committing and forwarding: every
    /// submission it reported as committed reaches the intake exactly once.
    /// `WAYSIDE_KILL_CYCLES` sets the number of cycles (the benchmark runs 1000).
    @Test(.timeLimit(.minutes(5))) func killNineLosesNothingAndDuplicatesNothing() async throws {
        let exe = try soakExecutable()
        let cycles = Int(ProcessInfo.processInfo.environment["WAYSIDE_KILL_CYCLES"] ?? "") ?? 30
        let budget = ContinuousClock.now.advanced(by: .seconds(cycles > 100 ? 3600 : 90))
        try await withStorage(.sqlite) { storage in try await withIntake(storage: storage) { intake in
            let stateDir = try temporaryDirectory() + "/kiosk"
            _ = try await Enroller.enrol(stateDirectory: stateDir, intakeURL: intake.url, token: testToken, deviceID: "soak-kiosk", role: .shelter)
            var attempted = Set<String>(), committed = Set<String>()
            var ran = 0
            for _ in 0..<cycles where ContinuousClock.now < budget {
                let out = try await runSoak(exe, stateDir: stateDir, url: intake.url, count: 15,
                                            killAfter: .milliseconds(Int.random(in: 5...250)))
                attempted.formUnion(out.attempted)
                committed.formUnion(out.committed)
                ran += 1
            }
            // Restart once more without a kill: it drains what is left.
            let last = try await runSoak(exe, stateDir: stateDir, url: intake.url, count: 0, killAfter: nil)
            #expect(last.finished)
            let arrived = try await intake.storage.arrivals().map(\.uuidString)
            print("kill -9 cycles: \(ran), committed: \(committed.count), attempted: \(attempted.count), at the intake: \(arrived.count)")
            #expect(ran >= min(cycles, 10))
            #expect(committed.count > 0)
            #expect(Set(arrived).count == arrived.count, "duplicated at the intake")
            #expect(committed.subtracting(arrived).isEmpty, "lost: \(committed.subtracting(arrived).count)")
            #expect(Set(arrived).subtracting(attempted).isEmpty, "arrived without ever being attempted")
            let outbox = try SealedOutbox(path: stateDir + "/outbox.sqlite", recipient: try Enrolment.load(from: stateDir).intakeKey())
            #expect(try await outbox.depth() == 0)
        } }
    }
}
