import Foundation
import WaysideCore

/// Renders a frontal photo turned in 3-D, for evaluating the challenge and the
/// planarity check where no real head-turn footage exists.
///
/// ``Surface/head``: the face is laid on an ellipsoid with a nose bump (a crude
/// 3-D face mesh) so that, turned, points at different depths move
/// differently (true parallax); the background stays put. ``Surface/print``:
/// the same photo as a flat card, turned the same way, as an attacker tilting
/// a printed photo would. A pinhole camera with a focal length of the image
/// width (about 53 degrees across) projects both.
public struct FaceRender: Sendable {
    /// What the photo is laid on.
    public enum Surface: String, Sendable, Codable, CaseIterable {
        /// An ellipsoid head with a nose.
        case head
        /// A flat card: a printed photo.
        case print
    }

    /// Source size.
    public let width: Int
    /// See ``width``.
    public let height: Int
    /// Source RGB, row after row.
    public let rgb: [UInt8]
    /// The face's box in the source.
    public let box: PixelRect
    /// The nose base landmark in the source.
    public let nose: Point2

    /// A renderer for one photo; throws when the sizes do not match or the box is empty.
    public init(width: Int, height: Int, rgb: [UInt8], box: PixelRect, nose: Point2) throws {
        guard width > 0, height > 0, rgb.count == width * height * 3, box.width > 8, box.height > 8 else {
            throw LivenessError(code: .badInput, operation: "render",
                                detail: "\(width)x\(height) image with \(rgb.count) bytes, face box \(box.width)x\(box.height)")
        }
        self.width = width
        self.height = height
        self.rgb = rgb
        self.box = box
        self.nose = nose
    }

    /// The photo turned by `yaw` (+ to the person's left) and `pitch` (+ up), in degrees.
    public func render(yaw: Double, pitch: Double, surface: Surface) -> [UInt8] {
        var out = rgb
        var depth = [Double](repeating: -.infinity, count: width * height)
        var filled = [Bool](repeating: false, count: width * height)
        var fillDepth = [Double](repeating: -.infinity, count: width * height)
        var splats: [(Int, Int, Double, Int)] = []
        let f = Double(width), pcx = Double(width) / 2, pcy = Double(height) / 2
        let fcx = box.centerX, fcy = box.centerY
        let a = 0.55 * Double(box.width), b = 0.65 * Double(box.height), c = 0.8 * a
        let (cy1, sy1) = (cos(yaw * .pi / 180), sin(yaw * .pi / 180))
        let (cp, sp) = (cos(pitch * .pi / 180), sin(pitch * .pi / 180))
        // Heads turn about the neck, behind the face; a card about its own centre.
        let pivotZ = surface == .head ? -0.6 * c : 0
        let halfW = surface == .head ? a : 0.75 * Double(box.width)
        let halfH = surface == .head ? b : 0.85 * Double(box.height)
        let noseX = nose.x, noseY = nose.y - 0.08 * a, noseSigma = 0.16 * a, noseHeight = 0.3 * a
        let x0 = max(0, Int(fcx - halfW)), x1 = min(width - 1, Int(fcx + halfW))
        let y0 = max(0, Int(fcy - halfH)), y1 = min(height - 1, Int(fcy + halfH))
        guard x0 < x1, y0 < y1 else { return out }
        for v in y0...y1 {
            for u in x0...x1 {
                let du = Double(u) - fcx, dv = Double(v) - fcy
                var z = 0.0
                if surface == .head {
                    let q = du * du / (a * a) + dv * dv / (b * b)
                    guard q < 1 else { continue }
                    z = c * (1 - q).squareRoot()
                    let nx = Double(u) - noseX, ny = Double(v) - noseY
                    z += noseHeight * exp(-(nx * nx + ny * ny) / (2 * noseSigma * noseSigma))
                }
                // Back along the pixel's ray to the surface's depth, so that at rest the
                // render is the photo itself; then relative to the pivot (at the face centre's ray).
                let shrink = (f - z) / f
                let px = (Double(u) - pcx) * shrink - (fcx - pcx), py = (Double(v) - pcy) * shrink - (fcy - pcy), pz = z - pivotZ
                let x1r = px * cy1 + pz * sy1, z1r = -px * sy1 + pz * cy1
                let y2r = py * cp - z1r * sp, z2r = py * sp + z1r * cp
                let X = fcx - pcx + x1r, Y = fcy - pcy + y2r, Z = z2r + pivotZ
                guard Z < f * 0.9 else { continue }
                let su = pcx + f * X / (f - Z), sv = pcy + f * Y / (f - Z)
                let iu = Int(su.rounded()), iv = Int(sv.rounded())
                guard iu >= 0, iv >= 0, iu < width, iv < height else { continue }
                let t = iv * width + iu
                // Nearer wins (larger Z is nearer the camera).
                guard Z > depth[t] else { continue }
                depth[t] = Z
                let source = (v * width + u) * 3
                out[3 * t] = rgb[source]; out[3 * t + 1] = rgb[source + 1]; out[3 * t + 2] = rgb[source + 2]
                // Holes where the surface is stretched are filled from their left and upper
                // neighbours' samples in a second pass (never over an exact sample).
                splats.append((iu, iv, Z, source))
            }
        }
        for (iu, iv, z, source) in splats {
            for (ou, ov) in [(1, 0), (0, 1), (1, 1)] {
                let tu = iu + ou, tv = iv + ov
                // Only a hole with a surface sample beyond it too: the silhouette does not grow.
                guard tu + ou < width, tv + ov < height else { continue }
                let t = tv * width + tu
                guard depth[(tv + ov) * width + tu + ou] != -.infinity else { continue }
                guard depth[t] == -.infinity || (filled[t] && z > fillDepth[t]) else { continue }
                filled[t] = true
                fillDepth[t] = z
                out[3 * t] = rgb[source]; out[3 * t + 1] = rgb[source + 1]; out[3 * t + 2] = rgb[source + 2]
            }
        }
        return out
    }
}
