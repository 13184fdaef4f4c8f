import Synchronization

/// A clock that moves only when told: for replaying recorded or rendered
/// frames at their own timestamps, so a challenge is judged on the frames'
/// time, not on how long the machine took to process them.
public final class SteppedClock: Clock, Sendable {
    /// A point on the stepped timeline.
    public struct Instant: InstantProtocol {
        /// Time since the clock was made.
        public var offset: Duration
        /// Makes an instant.
        public init(offset: Duration) { self.offset = offset }
        /// `offset + duration`.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        /// `other.offset - offset`.
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        /// Earlier first.
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let current = Mutex(Instant(offset: .zero))

    /// Starts at zero.
    public init() {}

    /// The current instant.
    public var now: Instant { current.withLock { $0 } }
    /// One nanosecond.
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Moves the clock forward.
    public func advance(by duration: Duration) { current.withLock { $0 = $0.advanced(by: duration) } }

    /// Returns at once, moving the clock to `deadline` if it is behind.
    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        current.withLock { if $0 < deadline { $0 = deadline } }
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a seeded generator, so a random
/// plan can be drawn again for a report or a replay. Not for the kiosk, which
/// draws from the system generator.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Starts from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
