import Logging
import ServiceLifecycle

/// Sends systemd `WATCHDOG=1` at half the configured interval while the kiosk's
/// ``Heartbeat`` is fresh. When the kiosk loop hangs, the pings stop and systemd
/// restarts the service (`WatchdogSec=` in wayside.service).
public struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let heartbeat: Heartbeat
    let logger: Logger

    public init(notifier: SystemdNotifier, heartbeat: Heartbeat, logger: Logger) {
        self.notifier = notifier
        self.heartbeat = heartbeat
        self.logger = logger
    }

    public func run() async throws {
        guard let interval = notifier.watchdogInterval else { return }
        let period = interval / 2
        while !Task.isCancelledOrShuttingDown {
            if heartbeat.age < interval {
                do {
                    try notifier.notify("WATCHDOG=1")
                } catch {
                    logger.warning("watchdog ping failed", metadata: ["error": "\(error)"])
                }
            } else {
                logger.error("kiosk loop silent; withholding watchdog ping", metadata: ["silent_ms": "\(heartbeat.age.components.seconds * 1000)"])
            }
            try? await Task.sleep(for: period)
        }
    }
}

extension Task where Success == Never, Failure == Never {
    /// True when the task is cancelled or graceful shutdown has begun.
    static var isCancelledOrShuttingDown: Bool {
        isCancelled || isShuttingDownGracefully
    }
}
