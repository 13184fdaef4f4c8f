import Foundation
import Testing
import WaysideCore
import WaysideLiveness

/// The renderer and the patch tracker, together with the planarity check, on a
/// textured synthetic photo (no detector involved).
struct RenderTests {
    static let width = 320, height = 240
    static let box = PixelRect(x: 110, y: 60, width: 100, height: 120)

    /// Smooth random texture: enough structure everywhere for patches to lock on.
    static func texturedPhoto(seed: UInt64) -> [UInt8] {
        var g = SeededRandom(seed: seed)
        let coarse = (0..<(41 * 31)).map { _ in Double.random(in: 0...255, using: &g) }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                // Bilinear upsampling of a 41x31 random grid (8 px cells).
                let gx = Double(x) / 8, gy = Double(y) / 8
                let ix = min(Int(gx), 39), iy = min(Int(gy), 29), fx = gx - Double(ix), fy = gy - Double(iy)
                let v = coarse[iy * 41 + ix] * (1 - fx) * (1 - fy) + coarse[iy * 41 + ix + 1] * fx * (1 - fy)
                    + coarse[(iy + 1) * 41 + ix] * (1 - fx) * fy + coarse[(iy + 1) * 41 + ix + 1] * fx * fy
                let o = (y * width + x) * 3
                rgb[o] = UInt8(v); rgb[o + 1] = UInt8(v); rgb[o + 2] = UInt8(v)
            }
        }
        return rgb
    }

    static func luma(_ rgb: [UInt8]) throws -> LumaImage {
        try LumaImage(width: width, height: height, pixels: stride(from: 0, to: rgb.count, by: 3).map { rgb[$0] })
    }

    @Test func atRestTheRenderIsThePhoto() throws {
        let photo = Self.texturedPhoto(seed: 1)
        let renderer = try FaceRender(width: Self.width, height: Self.height, rgb: photo, box: Self.box, nose: Point2(x: 160, y: 135))
        for surface in FaceRender.Surface.allCases {
            let out = renderer.render(yaw: 0, pitch: 0, surface: surface)
            let differing = zip(out, photo).filter { $0 != $1 }.count
            #expect(differing == 0, "\(surface): \(differing) bytes differ at rest")
        }
    }

    @Test func theTrackerFollowsAShift() throws {
        let photo = Self.texturedPhoto(seed: 2)
        var shifted = [UInt8](repeating: 0, count: photo.count)
        for y in 0..<Self.height { for x in 0..<Self.width {
            let sx = min(max(x - 3, 0), Self.width - 1), sy = min(max(y - 2, 0), Self.height - 1)
            for c in 0..<3 { shifted[(y * Self.width + x) * 3 + c] = photo[(sy * Self.width + sx) * 3 + c] }
        } }
        let start = PatchTracker.grid(in: Self.box)
        let moved = PatchTracker().track(start, from: try Self.luma(photo), to: try Self.luma(shifted))
        for (a, b) in zip(start, moved) {
            let b = try #require(b)
            #expect(abs(b.x - a.x - 3) < 0.6 && abs(b.y - a.y - 2) < 0.6, "\(a) went to \(b)")
        }
        // The forward-backward check keeps good matches.
        let checked = PatchTracker(forwardBackwardLimit: 1).track(start, from: try Self.luma(photo), to: try Self.luma(shifted))
        #expect(zip(checked, moved).allSatisfy { $0 == $1 })
        // A flat image has nothing to lock on to: points are reported lost, not invented.
        let flat = try LumaImage(width: Self.width, height: Self.height, pixels: [UInt8](repeating: 100, count: Self.width * Self.height))
        #expect(PatchTracker().track(start, from: flat, to: flat).allSatisfy { $0 == nil })
    }

    @Test func aTurnedHeadShowsParallaxATurnedPrintDoesNot() throws {
        let photo = Self.texturedPhoto(seed: 3)
        let renderer = try FaceRender(width: Self.width, height: Self.height, rgb: photo, box: Self.box, nose: Point2(x: 160, y: 135))
        var scores: [FaceRender.Surface: Double] = [:]
        for surface in FaceRender.Surface.allCases {
            // Turn in 2-degree steps to 16 degrees, tracking frame to frame.
            var previous = try Self.luma(photo)
            var points: [Point2?] = PatchTracker.grid(in: Self.box)
            var tracks = [points]
            for step in 1...8 {
                let next = try Self.luma(renderer.render(yaw: Double(step) * 2, pitch: 0, surface: surface))
                points = PatchTracker().track(points, from: previous, to: next)
                tracks.append(points)
                previous = next
            }
            let alive = (0..<tracks[0].count).filter { k in tracks.allSatisfy { $0[k] != nil } }
            #expect(alive.count >= 12, "\(surface): only \(alive.count) points tracked")
            scores[surface] = try PlanarityCheck().evaluate(tracks.map { f in alive.map { f[$0]! } }).score
        }
        let head = try #require(scores[.head]), print = try #require(scores[.print])
        #expect(print < PlanarityCheck().planarBelow, "print scored \(print)")
        #expect(head > PlanarityCheck().planarBelow, "head scored \(head)")
        #expect(head > 3 * print)
    }
}
