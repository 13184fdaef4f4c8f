import Foundation
import Logging
import Metrics
import ServiceLifecycle
import WaysideCore

/// When and how long to wait between attempts.
///
/// Exponential back-off with full jitter: the n-th wait is uniform in
/// `0 ... min(cap, base * 2^n)`, so a fleet of kiosks coming back after an outage does not
/// hammer the intake in lockstep.
public struct RetryPolicy: Sendable {
    /// The first ceiling.
    public var base: Duration
    /// The largest wait.
    public var cap: Duration
    /// How often to look for new entries when the outbox is empty.
    public var pollInterval: Duration

    /// Makes a policy.
    public init(base: Duration = .milliseconds(500), cap: Duration = .seconds(300), pollInterval: Duration = .seconds(1)) {
        self.base = base
        self.cap = cap
        self.pollInterval = pollInterval
    }

    /// The wait before attempt `failures + 1`, scaled by `unit` in `[0, 1)`.
    public func delay(afterFailures failures: Int, unit: Double) -> Duration {
        let exponent = min(failures, 40)
        let ceiling = min(cap, base * (1 << min(exponent, 30)))
        let clamped = Swift.max(0, Swift.min(unit, 1))
        return ceiling * clamped
    }
}

/// Forwards the outbox to the intake, oldest first, one at a time, so a kiosk's
/// submissions arrive in the order people made them. At-least-once: an entry is deleted
/// only after the intake acknowledged it, and the intake treats the id as an idempotency key.
/// A ServiceLifecycle `Service`: put it in the daemon's `ServiceGroup`.
public struct Forwarder<C: Clock>: Service where C.Duration == Duration {
    private let outbox: any Outbox
    private let uplink: any Uplink
    private let clock: C
    private let policy: RetryPolicy
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let jitter: @Sendable () -> Double
    private let onReceipt: @Sendable (Receipt) async -> Void
    private let depthGauge = Gauge(label: "wayside_outbox_depth")
    private let oldestGauge = Gauge(label: "wayside_outbox_oldest_age_seconds")
    private let delivered = Counter(label: "wayside_uplink_delivered_total")

    /// Makes a forwarder.
    /// - Parameters:
    ///   - clock: the clock retries and polls wait on; tests pass a simulated one.
    ///   - now: wall clock for the oldest-entry age metric.
    ///   - jitter: a source of uniform values in `[0, 1)` for the back-off.
    ///   - onReceipt: called after each acknowledged delivery (the receipt is already kept
    ///     in the outbox); the kiosk flow uses it to show late receipts.
    public init(outbox: any Outbox, uplink: any Uplink, clock: C, policy: RetryPolicy = .init(),
                logger: Logger = Logger(label: "wayside.uplink"),
                now: @escaping @Sendable () -> Date = Date.init,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                onReceipt: @escaping @Sendable (Receipt) async -> Void = { _ in }) {
        self.outbox = outbox
        self.uplink = uplink
        self.clock = clock
        self.policy = policy
        self.logger = logger
        self.now = now
        self.jitter = jitter
        self.onReceipt = onReceipt
    }

    /// Forwards until cancelled or until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
    }

    private func loop() async {
        var failures = 0
        while !Task.isCancelled {
            let wait: Duration
            switch await step() {
            case .idle:
                failures = 0
                wait = policy.pollInterval
            case .delivered:
                failures = 0
                continue
            case .failed:
                wait = policy.delay(afterFailures: failures, unit: jitter())
                failures += 1
            case .refused:
                wait = policy.cap
                failures += 1
            }
            do { try await clock.sleep(for: wait) } catch { return }
        }
    }

    /// What one step did.
    public enum Step: Sendable, Equatable {
        /// Nothing was waiting.
        case idle
        /// The oldest entry was delivered and deleted.
        case delivered
        /// The attempt failed; it will be retried after a back-off.
        case failed
        /// The intake refused the request (4xx); it is retried at the longest back-off.
        case refused
    }

    /// Tries to deliver the oldest waiting entry once.
    public func step() async -> Step {
        let entry: OutboxEntry
        do {
            let batch = try await outbox.pending(limit: 1)
            depthGauge.record(try await outbox.depth())
            guard let first = batch.first else {
                oldestGauge.record(0)
                return .idle
            }
            oldestGauge.record(Swift.max(0, now().timeIntervalSince(first.createdAt)))
            entry = first
        } catch {
            logger.error("outbox unreadable", metadata: ["error": "\(error)"])
            return .failed
        }
        do {
            let receipt = try await uplink.deliver(entry)
            try await outbox.acknowledge(entry.id, receipt: receipt)
            delivered.increment()
            await onReceipt(receipt)
            return .delivered
        } catch let e as UplinkError {
            // Never drop: a refused entry waits at the cap of the back-off, so an operator
            // can fix the cause (e.g. enrol the device again) and it then goes through.
            logger.warning("delivery failed", metadata: ["submission": "\(entry.id)", "code": "\(e.code.rawValue)", "error": "\(e.detail)"])
            return e.isRetryable ? .failed : .refused
        } catch {
            logger.warning("delivery failed", metadata: ["submission": "\(entry.id)", "error": "\(error)"])
            return .failed
        }
    }
}
