import Foundation
import Testing
import WaysideTesting
import WaysideCore
import WaysideIntake
import WaysideStore
import WaysideUplink

extension IntakeOverHTTPTests {
    /// PostgreSQL restarted while a kiosk is forwarding: the intake answers 5xx meanwhile,
    /// the kiosk retries, and every submission arrives once, in order.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["WAYSIDE_TEST_PG_RESTART"] != nil), .timeLimit(.minutes(2)))
    func postgresRestartMidStreamLosesNothing() async throws {
        let restart = try #require(ProcessInfo.processInfo.environment["WAYSIDE_TEST_PG_RESTART"])
        try await withStorage(.postgres) { storage in try await withIntake(storage: storage) { intake in
            let kiosk = try await enrolKiosk(intake)
            var committed: [UUID] = []
            for i in 0..<60 {
                let s = person("Restart\(i)", port: "Test Port")
                try await kiosk.outbox.commit(s)
                committed.append(s.id)
            }
            let forwarder = Forwarder(outbox: kiosk.outbox, uplink: kiosk.uplink, clock: ContinuousClock(),
                                      policy: RetryPolicy(base: .milliseconds(20), cap: .milliseconds(300), pollInterval: .milliseconds(20)))
            let task = Task { try await forwarder.run() }
            let started = ContinuousClock.now.advanced(by: .seconds(60))
            while try await kiosk.outbox.depth() > 45, ContinuousClock.now < started { try await Task.sleep(for: .milliseconds(2)) }
            let status = try await ChildProcess.run(restart, [], timeout: .seconds(120)).status
            #expect(status == 0)
            let depthAfterRestart = try await kiosk.outbox.depth()
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while try await kiosk.outbox.depth() > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            task.cancel()
            try await task.value
            #expect(depthAfterRestart > 0, "the restart happened mid-stream")
            #expect(try await intake.storage.arrivals() == committed)
        } }
    }
}
