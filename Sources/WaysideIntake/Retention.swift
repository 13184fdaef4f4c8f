import Foundation
import Logging
import ServiceLifecycle

/// Runs the retention purge (see ``RetentionPolicy``) every `interval` on an injected clock.
public struct RetentionService<C: Clock>: Service where C.Duration == Duration {
    private let storage: any IntakeStorage
    private let policy: RetentionPolicy
    private let interval: Duration
    private let clock: C
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// Makes the service.
    public init(storage: any IntakeStorage, policy: RetentionPolicy, interval: Duration, clock: C,
                now: @escaping @Sendable () -> Date, logger: Logger) {
        self.storage = storage
        self.policy = policy
        self.interval = interval
        self.clock = clock
        self.now = now
        self.logger = logger
    }

    /// Purges at start and then every interval, until shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let n = try await storage.purge(policy: policy, now: now())
                    if n > 0 { logger.info("retention purge", metadata: ["records": "\(n)"]) }
                } catch {
                    logger.error("retention purge failed; will retry", metadata: ["error": "\(error)"])
                }
                do { try await clock.sleep(for: interval) } catch { return }
            }
        }
    }
}
