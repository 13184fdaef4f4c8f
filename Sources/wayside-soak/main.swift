// A kiosk stand-in for the kill -9 reliability test and benchmark: commits sealed
// submissions to a real outbox and forwards them to a real intake, printing each id before
// and after its commit so the test knows what was promised to a person. The test kills
// this process at random points; nothing it committed may be lost or duplicated.
import Foundation
import WaysideCore
import WaysideStore
import WaysideUplink

/// Writes one line straight to the pipe (no buffering, so a kill loses nothing printed).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let args = CommandLine.arguments
guard args.count == 4, let count = Int(args[3]) else {
    FileHandle.standardError.write(Data("usage: wayside-soak STATE_DIR INTAKE_URL COUNT\n  commits COUNT submissions (0: only drains the outbox), forwarding as it goes\n".utf8))
    exit(2)
}
let stateDir = args[1]
do {
    let identity = try DeviceIdentity.load(from: stateDir)
    let enrolment = try Enrolment.load(from: stateDir)
    let outbox = try SealedOutbox(path: stateDir + "/outbox.sqlite", recipient: try enrolment.intakeKey())
    let uplink = HTTPUplink(baseURL: args[2], identity: identity)
    let forwarder = Forwarder(outbox: outbox, uplink: uplink, clock: ContinuousClock(),
                              policy: RetryPolicy(base: .milliseconds(5), cap: .milliseconds(50), pollInterval: .milliseconds(5)))
    let sender = Task {
        while !Task.isCancelled {
            if case .idle = await forwarder.step() {
                if count == 0 { say("drained"); return }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
    }
    for _ in 0..<count {
        let s = Submission(createdAt: Date(), details: PersonDetails(givenName: "Soak", familyName: "Test", birthDate: "1990-01-01", country: "HT", port: "Test Port"),
                           consent: ConsentRecord(languageTag: "en", noticeVersion: "soak", photoConsented: false, time: Date()))
        say("attempt \(s.id.uuidString)")
        try await outbox.commit(s)
        say("committed \(s.id.uuidString)")
    }
    if count == 0 { await sender.value } else {
        while try await outbox.depth() > 0 { try await Task.sleep(for: .milliseconds(5)) }
        sender.cancel()
        say("done")
    }
} catch {
    FileHandle.standardError.write(Data("wayside-soak: \(error)\n".utf8))
    exit(1)
}
