import Synchronization

/// The kiosk loop's proof of life: it beats on every turn, and the watchdog pets
/// systemd only while the beats are fresh, so a hung loop gets the service restarted.
public final class Heartbeat: Sendable {
    private let last: Mutex<ContinuousClock.Instant>

    public init() {
        last = Mutex(.now)
    }

    public func beat() {
        last.withLock { $0 = .now }
    }

    /// Time since the last beat.
    public var age: Duration {
        last.withLock { $0.duration(to: .now) }
    }
}
