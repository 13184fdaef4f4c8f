import Foundation
import Synchronization
import Testing
import WaysideCore
import WaysideDevices
import WaysideFace
import WaysideLiveness

/// A camera showing one photo laid on a rendered head that does what it is told:
/// it hears the photo taker's guidance and turns (after 0.4 s, at 90 degrees/s).
private final class ObedientHeadCamera: FrameSource, Sendable {
    let name = "rendered head"
    private let renderer: FaceRender
    private let state = Mutex((key: "", heardAt: ContinuousClock.now, yaw: 0.0, pitch: 0.0, last: ContinuousClock.now))

    init(photo: RGBImage, face: DetectedFace) throws {
        renderer = try FaceRender(width: photo.width, height: photo.height, rgb: photo.pixels, box: face.box, nose: face.landmarks[4])
    }

    func hear(_ key: String) { state.withLock { $0.key = key; $0.heardAt = .now } }

    func events() -> AsyncStream<FrameEvent> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task { [self] in
                while !Task.isCancelled {
                    let (yaw, pitch) = state.withLock { s -> (Double, Double) in
                        let now = ContinuousClock.now
                        let step = 90 * Self.seconds(s.last.duration(to: now))
                        s.last = now
                        if Self.seconds(s.heardAt.duration(to: now)) >= 0.4 {
                            let goal: (Double, Double) = switch s.key {
                            case "capture.turnLeft": (26, 0)
                            case "capture.turnRight": (-26, 0)
                            case "capture.lookUp": (0, 18)
                            default: (0, 0)
                            }
                            s.yaw += max(-step, min(step, goal.0 - s.yaw))
                            s.pitch += max(-step, min(step, goal.1 - s.pitch))
                        }
                        return (s.yaw, s.pitch)
                    }
                    let pixels = renderer.render(yaw: yaw, pitch: pitch, surface: .head)
                    continuation.yield(.frame(Frame(width: renderer.width, height: renderer.height, format: .rgb24, bytes: pixels)))
                    try? await Task.sleep(for: .milliseconds(30))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

@Suite(.enabled(if: Fixtures.modelsPresent, Comment(rawValue: Fixtures.modelsMissing)),
       .enabled(if: Fixtures.samplesPresent, Comment(rawValue: Fixtures.samplesMissing)))
struct LivenessCaptureTests {
    @Test func aHeadThatFollowsThePromptsGetsItsPhoto() async throws {
        let photo = try RGBImage(contentsOfFile: Fixtures.samples + "/obama-480p.jpg")
        let engine = try DlibFaceEngine(models: Fixtures.models, options: .live)
        let face = try #require(FaceChoice.nearestCentre(try engine.detect(in: photo), width: photo.width, height: photo.height))
        let camera = try ObedientHeadCamera(photo: photo, face: face)
        // A fixed plan so that the test does not depend on the draw; the kiosk draws at random.
        let plan = ChallengePlan(steps: [
            ChallengeStep(move: .turnLeft, pauseBefore: .milliseconds(500), window: .seconds(3)),
            ChallengeStep(move: .lookUp, pauseBefore: .milliseconds(500), window: .seconds(3)),
        ])
        let taker = FacePhotoTaker(engine: engine, attemptTimeout: .seconds(60), liveness: LivenessOptions(fixedPlan: plan))
        let heard = Mutex([String]())
        let result = try await taker.takePhoto(from: camera) { key in
            camera.hear(key)
            heard.withLock { $0.append(key) }
        }
        #expect(result.template?.values.count == 128)
        let keys = heard.withLock { $0 }
        // Told to turn left, come back, look up, come back, in that order.
        let moves = keys.filter { $0 != "capture.holdStill" && $0 != "capture.faceCamera" }
        #expect(moves == ["capture.turnLeft", "capture.center", "capture.lookUp", "capture.center"], "\(keys)")
    }
}
