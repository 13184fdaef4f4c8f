import Foundation
import Testing
import WaysideCore
import WaysideLiveness

struct HeadPoseTests {
    let estimator = HeadPoseEstimator(frontal: try! LandmarkGeometry(landmarks: SyntheticHead.landmarks(yaw: 0, pitch: 0)))

    @Test(arguments: [-30.0, -18, -8, 0, 8, 18, 30])
    func yawIsRecoveredFromAPerspectiveHead(yaw: Double) throws {
        let pose = try estimator.pose(of: SyntheticHead.landmarks(yaw: yaw, pitch: 0))
        // Perspective at 8 eye distances (about 50 cm) makes the nose look
        // further out than an orthographic model expects: up to 4 degrees.
        #expect(abs(pose.yaw - yaw) < 4, "yaw \(yaw) read as \(pose.yaw)")
        #expect(abs(pose.pitch) < 6, "pitch read as \(pose.pitch) at yaw \(yaw)")
    }

    @Test(arguments: [6.0, 12, 20, 30])
    func lookingUpIsRecoveredFromAPerspectiveHead(pitch: Double) throws {
        let pose = try estimator.pose(of: SyntheticHead.landmarks(yaw: 0, pitch: pitch))
        #expect(abs(pose.pitch - pitch) < 3, "pitch \(pitch) read as \(pose.pitch)")
        #expect(abs(pose.yaw) < 2)
    }

    @Test func lookingDownIsSeenButSaturates() throws {
        // The sign is right, the size is not: why the challenge leaves it out by default.
        let readings = try [6.0, 12, 20, 30].map { try estimator.pose(of: SyntheticHead.landmarks(yaw: 0, pitch: -$0)).pitch }
        #expect(readings.allSatisfy { $0 < 0 })
        #expect(readings.allSatisfy { $0 > -12 }, "\(readings)")
        #expect(!ChallengeSettings().moves.contains(.lookDown))
    }

    @Test func poseDoesNotDependOnDistanceOrPosition() throws {
        let near = try estimator.pose(of: SyntheticHead.landmarks(yaw: 20, pitch: 0, distance: 6, scale: 140))
        let far = try estimator.pose(of: SyntheticHead.landmarks(yaw: 20, pitch: 0, distance: 12, scale: 50,
                                                                 centre: Point2(x: 100, y: 90)))
        #expect(abs(near.yaw - far.yaw) < 2)
    }

    @Test func rollFollowsTheEyeLine() throws {
        // Rotate the frontal landmarks by 10 degrees clockwise in the image.
        let a = 10.0 * .pi / 180
        let tilted = SyntheticHead.landmarks(yaw: 0, pitch: 0).map { p in
            Point2(x: 320 + (p.x - 320) * cos(a) - (p.y - 240) * sin(a), y: 240 + (p.x - 320) * sin(a) + (p.y - 240) * cos(a))
        }
        let pose = try estimator.pose(of: tilted)
        #expect(abs(pose.roll - 10) < 0.01)
        // The in-plane tilt is not read as a turn.
        #expect(abs(pose.yaw) < 0.5 && abs(pose.pitch) < 0.5)
    }

    @Test func badLandmarksAreRefusedWithAReason() {
        #expect(throws: LivenessError.self) { try LandmarkGeometry(landmarks: [Point2(x: 0, y: 0)]) }
        let same = [Point2](repeating: Point2(x: 5, y: 5), count: 5)
        #expect(throws: LivenessError.self) { try LandmarkGeometry(landmarks: same) }
        var nan = SyntheticHead.landmarks(yaw: 0, pitch: 0)
        nan[4].x = .nan
        do {
            _ = try LandmarkGeometry(landmarks: nan)
            Issue.record("a NaN landmark was accepted")
        } catch let error as LivenessError {
            #expect(error.code == .badInput)
            #expect(error.description.contains("not finite"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
