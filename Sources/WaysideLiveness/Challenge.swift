import WaysideCore

/// One movement the person is asked to make.
public enum ChallengeMove: String, Sendable, CaseIterable, Codable {
    /// Turn the head to the person's own left.
    case turnLeft
    /// Turn the head to the person's own right.
    case turnRight
    /// Tilt the head back, looking up.
    case lookUp
    /// Tilt the head forward, looking down.
    case lookDown
}

/// One step of a challenge: a random pause while facing the camera, then the
/// prompt and its response window.
public struct ChallengeStep: Sendable, Equatable, Codable {
    /// What to do.
    public var move: ChallengeMove
    /// How long the person must face the camera before the prompt (random, so
    /// a recording cannot be timed to it).
    public var pauseBefore: Duration
    /// How long after the prompt the move must be made.
    public var window: Duration

    /// Makes a step.
    public init(move: ChallengeMove, pauseBefore: Duration, window: Duration) {
        self.move = move
        self.pauseBefore = pauseBefore
        self.window = window
    }
}

/// Thresholds and timings of the active challenge.
public struct ChallengeSettings: Sendable, Equatable {
    /// Moves per challenge (distinct moves, in random order).
    public var stepCount = 2
    /// The moves a plan draws from. Looking down is left out by default: with
    /// five landmarks the nose's drop below the eyes peaks near 24 degrees down
    /// and then shrinks again, so a deep nod reads as a small one (on the
    /// synthetic head at 50 cm, 30 degrees down reads as about 5).
    public var moves: [ChallengeMove] = [.turnLeft, .turnRight, .lookUp]
    /// Range the random pause before each prompt is drawn from.
    public var pauseRange: ClosedRange<Double> = 0.4...1.2
    /// Range the random response window is drawn from, in seconds.
    public var windowRange: ClosedRange<Double> = 2.5...3.5
    /// Time allowed to come back to the centre after a move.
    public var returnWindow: Duration = .seconds(2.5)
    /// Time to find a frontal face at the start before giving up.
    public var startTimeout: Duration = .seconds(10)
    /// How long the face must stay frontal before the baseline is taken.
    public var settleTime: Duration = .milliseconds(400)
    /// Yaw, in degrees, that counts as a turn.
    public var yawTarget = 18.0
    /// Pitch, in degrees, that counts as a look up or down.
    public var pitchTarget = 12.0
    /// Within this yaw and pitch of the baseline the face is "at the centre".
    public var centreYaw = 8.0
    /// See ``centreYaw``.
    public var centrePitch = 7.0
    /// A frontal face at the start has its nose within this many eye
    /// distances of the eyes' midpoint (before any baseline exists).
    public var frontalNoseOffset = 0.12
    /// Consecutive frames at the target that count as having made the move.
    public var holdFrames = 2
    /// Longest time without a face before the check fails.
    public var maxFaceGap: Duration = .milliseconds(700)
    /// Largest descriptor distance to the first frame's descriptor: above it
    /// someone else (or a different photo) is in front of the camera. dlib's
    /// customary same-person threshold.
    public var maxDescriptorDistance: Float = 0.6

    /// The defaults.
    public init() {}
}

/// A random sequence of distinct moves with random pauses and windows.
public struct ChallengePlan: Sendable, Equatable, Codable {
    /// The steps in order.
    public var steps: [ChallengeStep]

    /// A given plan (tests, replays).
    public init(steps: [ChallengeStep]) {
        self.steps = steps
    }

    /// Draws a plan. The kiosk passes the system generator; tests a seeded one.
    public static func random(settings: ChallengeSettings = .init(),
                              using generator: inout some RandomNumberGenerator) -> ChallengePlan {
        let pool = settings.moves.isEmpty ? ChallengeMove.allCases : Array(Set(settings.moves)).sorted { $0.rawValue < $1.rawValue }
        let moves = pool.shuffled(using: &generator).prefix(max(1, min(settings.stepCount, pool.count)))
        return ChallengePlan(steps: moves.map { move in
            ChallengeStep(move: move,
                          pauseBefore: .milliseconds(Int64(Double.random(in: settings.pauseRange, using: &generator) * 1000)),
                          window: .milliseconds(Int64(Double.random(in: settings.windowRange, using: &generator) * 1000)))
        })
    }
}

/// What the camera saw in one frame, as the challenge needs it.
public struct ChallengeFrame: Sendable, Equatable {
    /// The chosen face's five landmarks, nil when no face was found.
    public var landmarks: [Point2]?
    /// The face's descriptor when one was computed for this frame (not every
    /// frame needs one: they cost tens of milliseconds).
    public var descriptor: [Float]?

    /// Makes a frame.
    public init(landmarks: [Point2]?, descriptor: [Float]? = nil) {
        self.landmarks = landmarks
        self.descriptor = descriptor
    }
}

/// Why a challenge ended without passing. None of these blames the person:
/// the flow words each as an instruction for a retry or offers staff.
public enum ChallengeFailure: Sendable, Equatable {
    /// No frontal face within the start timeout.
    case noFrontalFace
    /// The face left the picture for longer than allowed.
    case faceLost
    /// The move was not made within its window.
    case tooSlow(ChallengeMove)
    /// A different move from the one asked was made.
    case wrongMove(expected: ChallengeMove, made: ChallengeMove)
    /// The head did not come back to the centre in time.
    case notBackToCentre(ChallengeMove)
    /// The face's descriptor drifted from the first one: not the same face.
    case faceChanged(distance: Float)
}

/// What the person should be told now.
public enum ChallengeInstruction: Sendable, Equatable {
    /// Look straight at the camera (no frontal face yet).
    case faceCamera
    /// Keep facing the camera until the next prompt.
    case holdStill
    /// Make this move now.
    case move(ChallengeMove)
    /// Come back to facing the camera.
    case backToCentre
    /// Done: a live person made every move in time.
    case passed
    /// Done without passing.
    case failed(ChallengeFailure)

    /// True for ``passed`` and ``failed(_:)``.
    public var isFinal: Bool {
        switch self {
        case .passed, .failed: true
        default: false
        }
    }
}

/// One frame's pose on the challenge's timeline.
public struct PoseSample: Sendable, Equatable {
    /// Time since the challenge started.
    public var time: Duration
    /// The pose relative to the baseline.
    public var pose: HeadPose
    /// The landmarks it was read from (for the planarity check).
    public var landmarks: [Point2]
}

/// The active liveness challenge: a pure state machine fed one frame at a
/// time, reading time from an injected clock.
///
/// The flow: find a frontal face and hold it (this takes the pose baseline and
/// the reference descriptor), then for each step wait a random pause, prompt
/// the move, require it within its window (and no other move), then require a
/// return to the centre. A recorded video cannot know the order or the timing;
/// a photo cannot turn; the descriptor check stops swapping faces mid-way.
public struct LivenessChallenge<C: Clock>: Sendable where C.Duration == Duration, C: Sendable {
    enum Phase: Sendable, Equatable {
        case findingFace(frontalSince: C.Instant?)
        case pausing(step: Int, promptAt: C.Instant)
        case awaiting(step: Int, deadline: C.Instant, framesAtTarget: Int)
        case returning(step: Int, deadline: C.Instant)
        case done(ChallengeInstruction)
    }

    /// The plan being run.
    public let plan: ChallengePlan
    /// The thresholds.
    public let settings: ChallengeSettings
    private let clock: C
    private let start: C.Instant
    private var phase: Phase
    private var lastFaceAt: C.Instant
    private var estimator: HeadPoseEstimator?
    private var referenceDescriptor: [Float]?
    /// Every frame's pose since the baseline was taken.
    public private(set) var samples: [PoseSample] = []
    /// Time from the start to passing, once passed.
    public private(set) var timeToPass: Duration?

    /// Starts a challenge now. `reference` is the descriptor of the face the
    /// challenge must stay with (the kiosk passes its photo's template, so the
    /// person who moves is the person in the photo); without it the first
    /// descriptor seen is the reference.
    public init(plan: ChallengePlan, settings: ChallengeSettings = .init(), clock: C, reference: [Float]? = nil) {
        self.plan = plan
        self.settings = settings
        self.clock = clock
        self.start = clock.now
        self.lastFaceAt = start
        self.phase = .findingFace(frontalSince: nil)
        self.referenceDescriptor = reference
    }

    /// The instruction as of the last frame (or the start).
    public var instruction: ChallengeInstruction {
        switch phase {
        case .findingFace: .faceCamera
        case .pausing: .holdStill
        case .awaiting(let step, _, _): .move(plan.steps[step].move)
        case .returning: .backToCentre
        case .done(let final): final
        }
    }

    /// Feeds one frame; returns what the person should be told now.
    @discardableResult
    public mutating func observe(_ frame: ChallengeFrame) -> ChallengeInstruction {
        if case .done(let final) = phase { return final }
        let now = clock.now
        guard let landmarks = frame.landmarks, let geometry = try? LandmarkGeometry(landmarks: landmarks) else {
            if case .findingFace = phase {
                phase = start.duration(to: now) > settings.startTimeout ? .done(.failed(.noFrontalFace)) : .findingFace(frontalSince: nil)
            } else if lastFaceAt.duration(to: now) > settings.maxFaceGap {
                phase = .done(.failed(.faceLost))
            }
            return instruction
        }
        lastFaceAt = now
        if let descriptor = frame.descriptor {
            if let reference = referenceDescriptor {
                let distance = Self.distance(reference, descriptor)
                if distance > settings.maxDescriptorDistance {
                    phase = .done(.failed(.faceChanged(distance: distance)))
                    return instruction
                }
            } else if case .findingFace = phase {
                // The reference is the face that starts the challenge.
                referenceDescriptor = descriptor
            }
        }
        if case .findingFace(let since) = phase {
            findFace(geometry, since: since, now: now)
            return instruction
        }
        guard let estimator else { return instruction }
        let pose = estimator.pose(of: geometry)
        samples.append(PoseSample(time: start.duration(to: now), pose: pose, landmarks: landmarks))
        advance(pose: pose, now: now)
        return instruction
    }

    private mutating func findFace(_ geometry: LandmarkGeometry, since: C.Instant?, now: C.Instant) {
        guard abs(geometry.noseAlong) <= settings.frontalNoseOffset else {
            phase = start.duration(to: now) > settings.startTimeout ? .done(.failed(.noFrontalFace)) : .findingFace(frontalSince: nil)
            return
        }
        guard let since else {
            phase = .findingFace(frontalSince: now)
            return
        }
        guard since.duration(to: now) >= settings.settleTime else { return }
        estimator = HeadPoseEstimator(frontal: geometry)
        phase = .pausing(step: 0, promptAt: now.advanced(by: plan.steps[0].pauseBefore))
    }

    private mutating func advance(pose: HeadPose, now: C.Instant) {
        switch phase {
        case .findingFace, .done:
            return
        case .pausing(let step, let promptAt):
            // The prompt waits until the pause is over and the face is at the centre.
            if now >= promptAt, isCentred(pose) {
                phase = .awaiting(step: step, deadline: now.advanced(by: plan.steps[step].window), framesAtTarget: 0)
            }
        case .awaiting(let step, let deadline, let framesAtTarget):
            let expected = plan.steps[step].move
            let made = reached(pose)
            if let made, made != expected {
                phase = .done(.failed(.wrongMove(expected: expected, made: made)))
            } else if made == expected {
                if framesAtTarget + 1 >= settings.holdFrames {
                    phase = .returning(step: step, deadline: now.advanced(by: settings.returnWindow))
                } else {
                    phase = .awaiting(step: step, deadline: deadline, framesAtTarget: framesAtTarget + 1)
                }
            } else if now > deadline {
                phase = .done(.failed(.tooSlow(expected)))
            } else {
                phase = .awaiting(step: step, deadline: deadline, framesAtTarget: 0)
            }
        case .returning(let step, let deadline):
            if isCentred(pose) {
                if step + 1 < plan.steps.count {
                    phase = .pausing(step: step + 1, promptAt: now.advanced(by: plan.steps[step + 1].pauseBefore))
                } else {
                    phase = .done(.passed)
                    timeToPass = start.duration(to: now)
                }
            } else if now > deadline {
                phase = .done(.failed(.notBackToCentre(plan.steps[step].move)))
            }
        }
    }

    private func isCentred(_ pose: HeadPose) -> Bool {
        abs(pose.yaw) <= settings.centreYaw && abs(pose.pitch) <= settings.centrePitch
    }

    /// The move this pose shows, if it reaches any target (the larger
    /// excursion, relative to its target, wins when both axes do).
    private func reached(_ pose: HeadPose) -> ChallengeMove? {
        let yawShare = abs(pose.yaw) / settings.yawTarget, pitchShare = abs(pose.pitch) / settings.pitchTarget
        guard max(yawShare, pitchShare) >= 1 else { return nil }
        if yawShare >= pitchShare { return pose.yaw > 0 ? .turnLeft : .turnRight }
        return pose.pitch > 0 ? .lookUp : .lookDown
    }

    static func distance(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count, !a.isEmpty else { return .infinity }
        var sum: Float = 0
        for i in a.indices { let d = a[i] - b[i]; sum += d * d }
        return sum.squareRoot()
    }
}
