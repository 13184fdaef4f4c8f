import Foundation
import Testing
import WaysideCore
import WaysideLiveness

/// Synthetic scenes: points in 3-D, a rigid motion, a pinhole camera.
enum Scene {
    typealias P3 = (x: Double, y: Double, z: Double)

    /// `count` points spread over a face-sized box (units: cm), depth `depth`.
    static func cloud(count: Int, depth: Double, seed: UInt64) -> [P3] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (Double.random(in: -7...7, using: &g), Double.random(in: -9...9, using: &g), Double.random(in: -depth...depth, using: &g))
        }
    }

    /// Rotates about the vertical axis by `yaw` and the horizontal by `pitch` (degrees), then translates.
    static func move(_ p: [P3], yaw: Double, pitch: Double, shift: P3 = (0, 0, 0)) -> [P3] {
        let a = yaw * .pi / 180, b = pitch * .pi / 180
        return p.map { q in
            let x1 = q.x * cos(a) + q.z * sin(a), z1 = -q.x * sin(a) + q.z * cos(a)
            let y2 = q.y * cos(b) - z1 * sin(b), z2 = q.y * sin(b) + z1 * cos(b)
            return (x1 + shift.x, y2 + shift.y, z2 + shift.z)
        }
    }

    /// A pinhole camera 60 cm away (focal length 600 px), principal point (320, 240),
    /// with optional Gaussian-ish pixel noise.
    static func project(_ p: [P3], noise: Double = 0, seed: UInt64 = 7) -> [Point2] {
        var g = SeededGenerator(seed: seed)
        func jitter() -> Double {
            // Sum of uniforms: near-Gaussian with standard deviation `noise`.
            noise == 0 ? 0 : (0..<12).map { _ in Double.random(in: -0.5...0.5, using: &g) }.reduce(0, +) * noise
        }
        return p.map { q in
            let depth = 60 - q.z
            return Point2(x: 320 + 600 * q.x / depth + jitter(), y: 240 + 600 * q.y / depth + jitter())
        }
    }
}

struct PlanarityTests {
    @Test func anExactHomographyIsRecovered() throws {
        let truth = Homography(matrix: [1.1, 0.05, 12, -0.03, 0.95, -7, 1e-4, -2e-4, 1])!
        let source = (0..<12).map { Point2(x: Double($0 % 4) * 40 + 100, y: Double($0 / 4) * 50 + 80) }
        let target = source.map { truth.apply($0)! }
        let fit = try Homography.fit(from: source, to: target)
        #expect(fit.relativeResidual(from: source, to: target) < 1e-9)
        // Same matrix up to scale (both are scaled to a largest entry of 1; the sign may flip).
        let sign = (fit.matrix[0] * truth.matrix[0]) >= 0 ? 1.0 : -1.0
        for (a, b) in zip(fit.matrix, truth.matrix) { #expect(abs(sign * a - b) < 1e-9) }
    }

    @Test func normalisationKeepsFarAwayCoordinatesExact() throws {
        // Without Hartley's normalisation these coordinates (around 1e5) make the system ill conditioned.
        let truth = Homography(matrix: [0.9, 0.1, 300, -0.05, 1.2, 150, 1e-6, 2e-6, 1])!
        let source = (0..<9).map { Point2(x: 1e5 + Double($0 % 3) * 37, y: 2e5 + Double($0 / 3) * 29) }
        let target = source.map { truth.apply($0)! }
        let fit = try Homography.fit(from: source, to: target)
        #expect(fit.relativeResidual(from: source, to: target) < 1e-6)
    }

    @Test func aMovedPlaneIsPlanarARotatingHeadIsNot() throws {
        let check = PlanarityCheck()
        // A printed photo: the cloud flattened onto z = 0, moved like NUAA's attacks.
        let print = Scene.cloud(count: 20, depth: 0, seed: 1)
        let printFrames = [Scene.move(print, yaw: 0, pitch: 0),
                           Scene.move(print, yaw: 25, pitch: 0, shift: (2, 0, 5)),
                           Scene.move(print, yaw: -10, pitch: 20, shift: (-3, 1, -4)),
                           Scene.move(print, yaw: 5, pitch: -25, shift: (0, -2, 8))].map { Scene.project($0, noise: 0.3) }
        let flat = try check.evaluate(printFrames)
        #expect(flat.isPlanar, "a moved plane scored \(flat.score)")
        // A head: the same points with 5 cm of depth either way, turned like the challenge asks.
        let head = Scene.cloud(count: 20, depth: 5, seed: 1)
        let headFrames = [Scene.move(head, yaw: 0, pitch: 0),
                          Scene.move(head, yaw: 20, pitch: 0),
                          Scene.move(head, yaw: 0, pitch: 0),
                          Scene.move(head, yaw: 0, pitch: 15)].map { Scene.project($0, noise: 0.3) }
        let solid = try check.evaluate(headFrames)
        #expect(!solid.isPlanar, "a turning head scored \(solid.score)")
        // Residuals are per frame after the first: turned (0), back at the front (1), tilted (2).
        // The turned and tilted frames show parallax; the one back at the front has none.
        #expect(solid.residuals[0] > 5 * flat.score && solid.residuals[2] > 5 * flat.score)
        #expect(solid.residuals[1] < flat.score + 0.01)
    }

    @Test func parallaxGrowsWithTheTurn() throws {
        let head = Scene.cloud(count: 16, depth: 4, seed: 3)
        let front = Scene.project(head)
        var last = 0.0
        for yaw in [5.0, 10, 20, 30] {
            let turned = Scene.project(Scene.move(head, yaw: yaw, pitch: 0))
            let r = try Homography.fit(from: front, to: turned).relativeResidual(from: front, to: turned)
            #expect(r > last, "residual \(r) at \(yaw) degrees did not grow past \(last)")
            last = r
        }
    }

    @Test func degenerateAndBadInputIsRefused() {
        let line = (0..<6).map { Point2(x: Double($0) * 10, y: Double($0) * 5) }
        #expect { try Homography.fit(from: line, to: line) } throws: { ($0 as? LivenessError)?.code == .degenerate }
        let three = Array(Scene.project(Scene.cloud(count: 3, depth: 0, seed: 2)))
        #expect { try Homography.fit(from: three, to: three) } throws: { ($0 as? LivenessError)?.code == .degenerate }
        let four = Scene.project(Scene.cloud(count: 4, depth: 0, seed: 2))
        #expect { try Homography.fit(from: four, to: Array(four.prefix(3))) } throws: { ($0 as? LivenessError)?.code == .badInput }
        var nan = four
        nan[2].y = .infinity
        #expect { try Homography.fit(from: four, to: nan) } throws: { ($0 as? LivenessError)?.code == .badInput }
        #expect { try PlanarityCheck().evaluate([four]) } throws: { ($0 as? LivenessError)?.code == .badInput }
    }

    @Test func dlibsFiveLandmarksCannotShowParallax() {
        // Four of the five points (the eye corners) lie on one line, so any
        // five-point frame pair is fitted by some homography: the check must
        // refuse rather than call a real head "planar".
        let front = SyntheticHead.landmarks(yaw: 0, pitch: 0)
        let turned = SyntheticHead.landmarks(yaw: 20, pitch: 0)
        #expect { try Homography.fit(from: front, to: turned) } throws: { ($0 as? LivenessError)?.code == .degenerate }
        // Three of four points on a line is degenerate for any homography.
        let square = [Point2(x: 0, y: 0), Point2(x: 10, y: 0), Point2(x: 20, y: 0.1), Point2(x: 0, y: 10)]
        #expect { try Homography.fit(from: square, to: square) } throws: { ($0 as? LivenessError)?.code == .degenerate }
    }
}
