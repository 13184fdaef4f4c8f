import Foundation
import Synchronization
import WaysideCore
import WaysideLiveness

/// A clock that moves only when the test advances it.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let current = Mutex(Instant(offset: .zero))
    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }

    func advance(by d: Duration) { current.withLock { $0 = $0.advanced(by: d) } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        current.withLock { if $0 < deadline { $0 = deadline } }
    }
}

/// SplitMix64: a seeded generator so random plans are reproducible in tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A synthetic head: dlib's five landmarks as 3-D points (eye distance 1, y
/// down, z towards the camera), rotated and projected by a pinhole camera.
enum SyntheticHead {
    /// Image-right eye outer, inner; image-left eye outer, inner; nose base.
    /// The outer corners sit further back than the inner ones; the eye centres
    /// are at depth 0 and the nose base 0.32 in front, as the estimator assumes.
    static let points: [(x: Double, y: Double, z: Double)] = [
        (0.72, 0, -0.05), (0.28, 0, 0.05), (-0.72, 0, -0.05), (-0.28, 0, 0.05), (0, 0.72, 0.32),
    ]

    /// Landmarks of the head turned by `yaw` (+ to the person's left) and
    /// `pitch` (+ up), `distance` eye distances from a camera whose focal
    /// length makes one eye distance at that distance `scale` pixels.
    static func landmarks(yaw: Double, pitch: Double, distance: Double = 8, scale: Double = 90,
                          centre: Point2 = Point2(x: 320, y: 240)) -> [Point2] {
        project(rotate(points, yaw: yaw, pitch: pitch), distance: distance, scale: scale, centre: centre)
    }

    static func rotate(_ p: [(x: Double, y: Double, z: Double)], yaw: Double, pitch: Double) -> [(x: Double, y: Double, z: Double)] {
        let a = yaw * .pi / 180, b = pitch * .pi / 180
        return p.map { q in
            // Yaw about the vertical axis: the nose (z > 0) moves to +x for yaw > 0.
            let x1 = q.x * cos(a) + q.z * sin(a), z1 = -q.x * sin(a) + q.z * cos(a)
            // Pitch about the horizontal axis: the nose moves up (-y) for pitch > 0.
            let y2 = q.y * cos(b) - z1 * sin(b), z2 = q.y * sin(b) + z1 * cos(b)
            return (x1, y2, z2)
        }
    }

    static func project(_ p: [(x: Double, y: Double, z: Double)], distance: Double, scale: Double, centre: Point2) -> [Point2] {
        p.map { q in
            let f = scale * distance / (distance - q.z)
            return Point2(x: centre.x + f * q.x, y: centre.y + f * q.y)
        }
    }
}
