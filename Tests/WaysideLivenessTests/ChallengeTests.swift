import Foundation
import Testing
import WaysideCore
import WaysideLiveness

/// A person simulated at 30 frames/s in front of the synthetic camera.
struct SimulatedVisit {
    /// How the person behaves: the pose they head for, given what they are told.
    var target: (ChallengeInstruction) -> HeadPose = Self.cooperative
    /// Seconds between a new instruction and the start of the movement.
    var reaction = 0.4
    /// Degrees per second the head turns at.
    var speed = 90.0
    /// Frames with no face (indices), to simulate looking away or occlusion.
    var missingFrames: Set<Int> = []
    /// Descriptor given at a frame index, if any.
    var descriptor: (Int) -> [Float]? = { _ in nil }
    /// Poses played back instead of simulated (a recording), one per frame.
    var recording: [HeadPose]?

    static func cooperative(_ instruction: ChallengeInstruction) -> HeadPose {
        switch instruction {
        case .move(.turnLeft): HeadPose(yaw: 26, pitch: 0)
        case .move(.turnRight): HeadPose(yaw: -26, pitch: 0)
        case .move(.lookUp): HeadPose(yaw: 0, pitch: 18)
        case .move(.lookDown): HeadPose(yaw: 0, pitch: -18)
        default: HeadPose(yaw: 0, pitch: 0)
        }
    }

    /// Runs until the challenge ends or `limit` seconds pass; returns the final
    /// instruction and the poses shown, frame by frame.
    func run(_ plan: ChallengePlan, limit: Double = 30) -> (ChallengeInstruction, [HeadPose], Duration?) {
        let clock = ManualClock()
        var challenge = LivenessChallenge(plan: plan, clock: clock)
        var pose = HeadPose(yaw: 0, pitch: 0)
        var shown: [HeadPose] = []
        var instruction = challenge.instruction
        var changedAt = 0.0
        let frameTime = 1.0 / 30
        var frame = 0
        while Double(frame) * frameTime < limit {
            let t = Double(frame) * frameTime
            if let recording {
                pose = frame < recording.count ? recording[frame] : HeadPose(yaw: 0, pitch: 0)
            } else if t - changedAt >= reaction {
                let goal = target(instruction), step = speed * frameTime
                pose.yaw += max(-step, min(step, goal.yaw - pose.yaw))
                pose.pitch += max(-step, min(step, goal.pitch - pose.pitch))
            }
            shown.append(pose)
            let landmarks = missingFrames.contains(frame) ? nil : SyntheticHead.landmarks(yaw: pose.yaw, pitch: pose.pitch)
            let next = challenge.observe(ChallengeFrame(landmarks: landmarks, descriptor: descriptor(frame)))
            if next != instruction { instruction = next; changedAt = t }
            if next.isFinal { return (next, shown, challenge.timeToPass) }
            clock.advance(by: .milliseconds(33))
            frame += 1
        }
        return (instruction, shown, challenge.timeToPass)
    }
}

struct ChallengeTests {
    let leftThenUp = ChallengePlan(steps: [
        ChallengeStep(move: .turnLeft, pauseBefore: .milliseconds(600), window: .seconds(3)),
        ChallengeStep(move: .lookUp, pauseBefore: .milliseconds(900), window: .seconds(3)),
    ])

    @Test func aCooperativePersonPassesEveryRandomPlan() {
        for seed in UInt64(1)...40 {
            var generator = SeededGenerator(seed: seed)
            let plan = ChallengePlan.random(using: &generator)
            let (result, _, timeToPass) = SimulatedVisit().run(plan)
            #expect(result == .passed, "seed \(seed): \(plan.steps.map(\.move)) ended \(result)")
            // Measured 3.9-4.9 s over these seeds when written (docs/liveness.md); the issue's goal is 3 s.
            let seconds = timeToPass.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
            #expect(seconds.map { $0 > 1 && $0 < 6 } == true, "seed \(seed): time to pass \(String(describing: seconds))")
        }
    }

    @Test func aHeldPhotoNeverMovesAndTimesOut() {
        let visit = SimulatedVisit(target: { _ in HeadPose(yaw: 0, pitch: 0) })
        let (result, _, _) = visit.run(leftThenUp)
        #expect(result == .failed(.tooSlow(.turnLeft)))
    }

    @Test func theWrongMoveFails() {
        let alwaysRight = SimulatedVisit(target: { i in
            if case .move = i { return HeadPose(yaw: -26, pitch: 0) }
            return HeadPose(yaw: 0, pitch: 0)
        })
        let (result, _, _) = alwaysRight.run(leftThenUp)
        #expect(result == .failed(.wrongMove(expected: .turnLeft, made: .turnRight)))
    }

    @Test func aResponseAfterTheWindowFails() {
        let slow = SimulatedVisit(reaction: 3.5)
        let (result, _, _) = slow.run(leftThenUp)
        #expect(result == .failed(.tooSlow(.turnLeft)))
    }

    @Test func stayingTurnedFailsToReturnToCentre() {
        let stuck = SimulatedVisit(target: { i in
            switch i {
            case .move(.turnLeft), .backToCentre: HeadPose(yaw: 26, pitch: 0)
            default: HeadPose(yaw: 0, pitch: 0)
            }
        })
        let (result, _, _) = stuck.run(leftThenUp)
        #expect(result == .failed(.notBackToCentre(.turnLeft)))
    }

    @Test func aRecordingOfAnotherChallengeFails() {
        // Record a person passing one plan, then play the recording to others.
        let (passed, recording, _) = SimulatedVisit().run(leftThenUp)
        #expect(passed == .passed)
        // Same moves, different timing: the recording moves during the pause
        // (too early) or after the window.
        let otherPlans = [
            ChallengePlan(steps: [ChallengeStep(move: .lookDown, pauseBefore: .milliseconds(500), window: .seconds(3)),
                                  ChallengeStep(move: .turnRight, pauseBefore: .milliseconds(500), window: .seconds(3))]),
            ChallengePlan(steps: [ChallengeStep(move: .lookUp, pauseBefore: .milliseconds(600), window: .seconds(3)),
                                  ChallengeStep(move: .turnLeft, pauseBefore: .milliseconds(900), window: .seconds(3))]),
        ]
        for plan in otherPlans {
            let (result, _, _) = SimulatedVisit(recording: recording).run(plan)
            guard case .failed = result else {
                Issue.record("a recording passed \(plan.steps.map(\.move)): \(result)")
                continue
            }
        }
    }

    @Test func aShortDropoutIsToleratedALongOneFails() {
        // Frames 40-44 (about 0.15 s) missing: still passes.
        let (short, _, _) = SimulatedVisit(missingFrames: Set(40..<45)).run(leftThenUp)
        #expect(short == .passed)
        // Frames 40-70 (1 s) missing, after the baseline was taken: fails.
        let (long, _, _) = SimulatedVisit(missingFrames: Set(40..<70)).run(leftThenUp)
        #expect(long == .failed(.faceLost))
    }

    @Test func noFaceAtAllEndsAfterTheStartTimeout() {
        let (result, _, _) = SimulatedVisit(missingFrames: Set(0..<1000)).run(leftThenUp)
        #expect(result == .failed(.noFrontalFace))
    }

    @Test func aDifferentFaceMidwayFails() {
        let me = [Float](repeating: 0.1, count: 128)
        var other = me
        other[0] += 0.9
        let swap = SimulatedVisit(descriptor: { frame in frame == 0 ? me : (frame == 50 ? other : nil) })
        let (result, _, _) = swap.run(leftThenUp)
        guard case .failed(.faceChanged(let distance)) = result else {
            Issue.record("a face swap was not caught: \(result)")
            return
        }
        #expect(abs(distance - 0.9) < 1e-4)
        // The same face again (small noise) passes.
        var same = me
        same[3] += 0.05
        let (ok, _, _) = SimulatedVisit(descriptor: { frame in frame == 0 ? me : (frame % 20 == 0 ? same : nil) }).run(leftThenUp)
        #expect(ok == .passed)
    }

    @Test func randomPlansUseDistinctMovesWithinTheRanges() {
        let settings = ChallengeSettings()
        var orders = Set<[ChallengeMove]>()
        for seed in UInt64(1)...60 {
            var generator = SeededGenerator(seed: seed)
            let plan = ChallengePlan.random(settings: settings, using: &generator)
            #expect(plan.steps.count == settings.stepCount)
            #expect(Set(plan.steps.map(\.move)).count == plan.steps.count)
            for step in plan.steps {
                let pause = Double(step.pauseBefore.components.attoseconds) / 1e18 + Double(step.pauseBefore.components.seconds)
                let window = Double(step.window.components.attoseconds) / 1e18 + Double(step.window.components.seconds)
                // Drawn in seconds, kept to whole milliseconds (rounded down).
                #expect(pause >= settings.pauseRange.lowerBound - 0.001 && pause <= settings.pauseRange.upperBound)
                #expect(window >= settings.windowRange.lowerBound - 0.001 && window <= settings.windowRange.upperBound)
            }
            orders.insert(plan.steps.map(\.move))
        }
        // 6 ordered pairs of the 3 default moves exist; 60 draws find them all.
        #expect(orders.count == 6)
        // Asking for all four moves draws from all four.
        var all = ChallengeSettings()
        all.moves = ChallengeMove.allCases
        all.stepCount = 4
        var generator = SeededGenerator(seed: 99)
        #expect(Set(ChallengePlan.random(settings: all, using: &generator).steps.map(\.move)) == Set(ChallengeMove.allCases))
    }

    @Test func finalInstructionsStick() {
        let clock = ManualClock()
        var challenge = LivenessChallenge(plan: leftThenUp, clock: clock)
        clock.advance(by: .seconds(11))
        #expect(challenge.observe(ChallengeFrame(landmarks: nil)) == .failed(.noFrontalFace))
        // A face arriving later does not revive it.
        #expect(challenge.observe(ChallengeFrame(landmarks: SyntheticHead.landmarks(yaw: 0, pitch: 0))) == .failed(.noFrontalFace))
    }
}
