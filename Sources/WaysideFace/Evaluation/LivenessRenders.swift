import Foundation
import WaysideCore
import WaysideLiveness

/// One rendered visit: a photo on a head (or a card) turned the way a
/// cooperative person follows the prompts, judged by the real detector, the
/// challenge and the planarity check.
public struct RenderedVisit: Sendable, Codable, Equatable {
    /// The NUAA frame rendered.
    public var source: String
    /// Head (bona fide) or print (attack).
    public var surface: FaceRender.Surface
    /// The moves asked, in order.
    public var plan: [ChallengeMove]
    /// How the challenge ended ("passed", or the failure).
    public var outcome: String
    /// True when the challenge passed.
    public var passed: Bool
    /// Seconds from the start to passing.
    public var secondsToPass: Double?
    /// Frames rendered.
    public var frames: Int
    /// Frames where the detector found no face.
    public var framesWithoutFace: Int
    /// Points tracked through every frame.
    public var trackedPoints: Int
    /// The planarity score (largest relative homography residual), when enough points survived.
    public var planarityScore: Double?
    /// Largest yaw and pitch the estimator read, degrees.
    public var largestYaw: Double
    /// See ``largestYaw``.
    public var largestPitch: Double
}

/// Renders and judges visits.
public enum RenderedVisits {
    /// Runs one visit at `framesPerSecond` on a stepped clock: frame time, not machine time.
    /// The simulated person (or the attacker holding the print) reacts 0.4 s after each new
    /// prompt and turns at 90 degrees per second towards 26 degrees of yaw or 18 of pitch.
    public static func run(engine: DlibFaceEngine, image: RGBImage, source: String, surface: FaceRender.Surface,
                           plan: ChallengePlan, framesPerSecond: Int = 15, limitSeconds: Double = 15,
                           planarity: PlanarityCheck = PlanarityCheck()) throws -> RenderedVisit? {
        engine.options = .live
        guard let face = FaceChoice.nearestCentre(try engine.detect(in: image), width: image.width, height: image.height),
              face.landmarks.count == 5 else { return nil }
        let renderer = try FaceRender(width: image.width, height: image.height, rgb: image.pixels, box: face.box, nose: face.landmarks[4])
        let clock = SteppedClock()
        var challenge = LivenessChallenge(plan: plan, clock: clock)
        let tracker = PatchTracker()
        var points: [Point2?] = PatchTracker.grid(in: face.box)
        var tracks: [[Point2?]] = []
        var previousLuma: LumaImage?
        var yaw = 0.0, pitch = 0.0
        var instruction = challenge.instruction, changedAt = 0.0
        var visit = RenderedVisit(source: source, surface: surface, plan: plan.steps.map(\.move), outcome: "unfinished", passed: false,
                                  secondsToPass: nil, frames: 0, framesWithoutFace: 0, trackedPoints: 0, planarityScore: nil,
                                  largestYaw: 0, largestPitch: 0)
        let frameTime = 1 / Double(framesPerSecond), speed = 90 * frameTime
        var frame = 0
        while Double(frame) * frameTime < limitSeconds {
            let t = Double(frame) * frameTime
            if t - changedAt >= 0.4 {
                let goal: (Double, Double)
                switch instruction {
                case .move(.turnLeft): goal = (26, 0)
                case .move(.turnRight): goal = (-26, 0)
                case .move(.lookUp): goal = (0, 18)
                case .move(.lookDown): goal = (0, -18)
                default: goal = (0, 0)
                }
                yaw += max(-speed, min(speed, goal.0 - yaw))
                pitch += max(-speed, min(speed, goal.1 - pitch))
            }
            let rendered = RGBImage(width: image.width, height: image.height,
                                    pixels: renderer.render(yaw: yaw, pitch: pitch, surface: surface))!
            let luma = try LumaImage(width: rendered.width, height: rendered.height, pixels: rendered.luma())
            if let previousLuma { points = tracker.track(points, from: previousLuma, to: luma) }
            previousLuma = luma
            tracks.append(points)
            let seen = FaceChoice.nearestCentre(try engine.detect(in: rendered), width: rendered.width, height: rendered.height)
            if seen == nil { visit.framesWithoutFace += 1 }
            let next = challenge.observe(ChallengeFrame(landmarks: seen?.landmarks))
            if next != instruction { instruction = next; changedAt = t }
            visit.frames += 1
            if next.isFinal { break }
            clock.advance(by: .nanoseconds(Int64(frameTime * 1e9)))
            frame += 1
        }
        for s in challenge.samples {
            visit.largestYaw = max(visit.largestYaw, abs(s.pose.yaw))
            visit.largestPitch = max(visit.largestPitch, abs(s.pose.pitch))
        }
        switch challenge.instruction {
        case .passed:
            visit.outcome = "passed"
            visit.passed = true
            visit.secondsToPass = challenge.timeToPass.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        case .failed(let reason): visit.outcome = "\(reason)"
        default: visit.outcome = "unfinished after \(limitSeconds) s"
        }
        // Planarity over the points that survived every frame.
        let alive = (0..<(tracks.first?.count ?? 0)).filter { k in tracks.allSatisfy { $0[k] != nil } }
        visit.trackedPoints = alive.count
        if alive.count >= 6, tracks.count >= 2 {
            let kept = tracks.map { frame in alive.map { frame[$0]! } }
            visit.planarityScore = try? planarity.evaluate(kept).score
        }
        return visit
    }
}
