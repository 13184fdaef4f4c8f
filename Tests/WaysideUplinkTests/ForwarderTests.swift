import Crypto
import Foundation
import Synchronization
import Testing
import WaysideCore
import WaysideStore
import WaysideUplink

/// An outbox in memory, recording acknowledgements.
final class RecordingOutbox: Outbox, Sendable {
    private let state = Mutex<(entries: [OutboxEntry], receipts: [UUID: Receipt])>(([], [:]))
    func commit(_ s: Submission) async throws {
        state.withLock { $0.entries.append(OutboxEntry(id: s.id, createdAt: s.createdAt, sealed: Data([1, 2, 3]))) }
    }
    func pending(limit: Int) async throws -> [OutboxEntry] { state.withLock { Array($0.entries.prefix(limit)) } }
    func acknowledge(_ id: UUID, receipt: Receipt) async throws {
        state.withLock { s in
            s.entries.removeAll { $0.id == id }
            s.receipts[id] = receipt
        }
    }
    func receipt(for id: UUID) async throws -> Receipt? { state.withLock { $0.receipts[id] } }
    func depth() async throws -> Int { state.withLock { $0.entries.count } }
}

/// An uplink that answers from a script of results, recording what it was asked.
final class ScriptedUplink: Uplink, Sendable {
    private let state: Mutex<(script: [UplinkError?], delivered: [UUID])>
    init(_ script: [UplinkError?]) { state = Mutex((script, [])) }
    var delivered: [UUID] { state.withLock { $0.delivered } }
    func deliver(_ entry: OutboxEntry) async throws -> Receipt {
        let next: UplinkError? = state.withLock { $0.script.isEmpty ? nil : $0.script.removeFirst() }
        if let next { throw next }
        state.withLock { $0.delivered.append(entry.id) }
        return Receipt(submissionID: entry.id, confirmationCode: "CODE-\(entry.id.uuidString.prefix(4))")
    }
}

/// Sleeps return at once; the requested durations are recorded.
final class RecordingClock: Clock, Sendable {
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

@Suite(.timeLimit(.minutes(1))) struct ForwarderTests {
    @Test func backOffIsExponentialWithFullJitterAndCapped() {
        let p = RetryPolicy(base: .seconds(1), cap: .seconds(60))
        #expect(p.delay(afterFailures: 0, unit: 0.999) < .seconds(1))
        #expect(p.delay(afterFailures: 3, unit: 0.5) == .seconds(4))
        #expect(p.delay(afterFailures: 3, unit: 0) == .zero)
        #expect(p.delay(afterFailures: 50, unit: 1) == .seconds(60))
    }

    @Test func retriesTheOldestFirstAndNeverSkipsIt() async throws {
        let outbox = RecordingOutbox()
        var ids: [UUID] = []
        for _ in 0..<3 {
            let s = Submission(createdAt: Date(), details: PersonDetails(), consent: ConsentRecord(languageTag: "en", noticeVersion: "1", photoConsented: false, time: Date()))
            try await outbox.commit(s)
            ids.append(s.id)
        }
        let uplink = ScriptedUplink([UplinkError(.unreachable, "down"), UplinkError(.serverError, "500"), nil, UplinkError(.rejected, "401")])
        let clock = RecordingClock()
        let forwarder = Forwarder(outbox: outbox, uplink: uplink, clock: clock,
                                  policy: RetryPolicy(base: .seconds(2), cap: .seconds(100)), jitter: { 0.5 })
        #expect(await forwarder.step() == .failed)
        #expect(await forwarder.step() == .failed)
        #expect(await forwarder.step() == .delivered)
        #expect(await forwarder.step() == .refused)
        #expect(try await outbox.depth() == 2)
        #expect(uplink.delivered == [ids[0]])
        let task = Task { try await forwarder.run() }
        let drained = ContinuousClock.now.advanced(by: .seconds(60))
        while try await outbox.depth() > 0, ContinuousClock.now < drained { try await Task.sleep(for: .milliseconds(1)) }
        task.cancel()
        try await task.value
        #expect(uplink.delivered == ids)
        #expect(try await outbox.receipt(for: ids[2])?.confirmationCode == "CODE-\(ids[2].uuidString.prefix(4))")
    }
}
