import WaysideCore

/// Follows points from frame to frame by normalised cross-correlation of a
/// small luma patch: the point tracks the planarity check needs, spread over
/// the whole face (dlib's five landmarks are four points on a line and one off
/// it, which no homography test can use).
public struct PatchTracker: Sendable {
    /// Half the patch side (the patch is `2r+1` square).
    public var patchRadius: Int
    /// How far a point may move between two frames, in pixels.
    public var searchRadius: Int
    /// Below this correlation a match counts as lost.
    public var minimumCorrelation: Double

    /// A tracker.
    public init(patchRadius: Int = 6, searchRadius: Int = 10, minimumCorrelation: Double = 0.6,
                forwardBackwardLimit: Double? = nil) {
        self.patchRadius = patchRadius
        self.searchRadius = searchRadius
        self.minimumCorrelation = minimumCorrelation
        self.forwardBackwardLimit = forwardBackwardLimit
    }

    /// A `side` x `side` grid of points over the middle of `box` (70% of it,
    /// away from the hairline and the background at the edges).
    public static func grid(in box: PixelRect, side: Int = 5) -> [Point2] {
        let inset = 0.15
        return (0..<(side * side)).map { k in
            let i = Double(k % side) / Double(side - 1), j = Double(k / side) / Double(side - 1)
            return Point2(x: Double(box.x) + Double(box.width) * (inset + (1 - 2 * inset) * i),
                          y: Double(box.y) + Double(box.height) * (inset + (1 - 2 * inset) * j))
        }
    }

    /// Largest distance, in pixels, between a point and where tracking it
    /// forward then back again lands; beyond it the match is called wrong.
    /// Nil: no check (on smooth rendered turns the check drops the points
    /// with the most parallax along with the wrong ones).
    public var forwardBackwardLimit: Double?

    /// Where each of `points` in `previous` went in `next`; nil for points
    /// that left the image, found no good match, or fail the forward-backward
    /// check when one is set (tracked back from `next`, they must land where
    /// they started: on smooth skin a patch can match well in the wrong place
    /// one way only).
    public func track(_ points: [Point2?], from previous: LumaImage, to next: LumaImage) -> [Point2?] {
        points.map { point in
            guard let point, let forward = step(point, previous, next) else { return nil }
            guard let limit = forwardBackwardLimit else { return forward }
            guard let back = step(forward, next, previous) else { return nil }
            let dx = back.x - point.x, dy = back.y - point.y
            return (dx * dx + dy * dy).squareRoot() <= limit ? forward : nil
        }
    }

    /// One match: the patch is cut at the nearest pixel; its displacement applies to the exact point.
    private func step(_ point: Point2, _ a: LumaImage, _ b: LumaImage) -> Point2? {
        guard let shift = match(Int(point.x.rounded()), Int(point.y.rounded()), a, b) else { return nil }
        return Point2(x: point.x + shift.x, y: point.y + shift.y)
    }

    /// The displacement of the patch at (x, y) from `a` to `b`, nil when lost.
    private func match(_ x: Int, _ y: Int, _ a: LumaImage, _ b: LumaImage) -> Point2? {
        let r = patchRadius, s = searchRadius
        guard x - r >= 0, y - r >= 0, x + r < a.width, y + r < a.height else { return nil }
        let n = Double((2 * r + 1) * (2 * r + 1))
        var template = [Double](), sum = 0.0, sumSquares = 0.0
        template.reserveCapacity(Int(n))
        for dy in -r...r { for dx in -r...r {
            let v = Double(a.pixels[(y + dy) * a.width + x + dx])
            template.append(v); sum += v; sumSquares += v * v
        } }
        let mean = sum / n, spread = (sumSquares / n - mean * mean).squareRoot()
        // A flat patch (cheek in shadow, plain background) cannot be located.
        guard spread > 2 else { return nil }
        var best = -2.0, bestX = 0, bestY = 0
        var scores = [Double](repeating: -2, count: (2 * s + 1) * (2 * s + 1))
        for oy in -s...s { for ox in -s...s {
            let cx = x + ox, cy = y + oy
            guard cx - r >= 0, cy - r >= 0, cx + r < b.width, cy + r < b.height else { continue }
            var bs = 0.0, bss = 0.0, cross = 0.0, k = 0
            for dy in -r...r { for dx in -r...r {
                let v = Double(b.pixels[(cy + dy) * b.width + cx + dx])
                bs += v; bss += v * v; cross += v * template[k]; k += 1
            } }
            let bMean = bs / n, bSpread = (bss / n - bMean * bMean).squareRoot()
            guard bSpread > 1e-9 else { continue }
            let ncc = (cross / n - mean * bMean) / (spread * bSpread)
            scores[(oy + s) * (2 * s + 1) + ox + s] = ncc
            if ncc > best { best = ncc; bestX = ox; bestY = oy }
        } }
        guard best >= minimumCorrelation else { return nil }
        // Sub-pixel: a parabola through the best score and its neighbours on each axis.
        func refine(_ minus: Double, _ centre: Double, _ plus: Double) -> Double {
            let denominator = minus - 2 * centre + plus
            guard minus > -2, plus > -2, abs(denominator) > 1e-12 else { return 0 }
            return max(-0.5, min(0.5, 0.5 * (minus - plus) / denominator))
        }
        let w = 2 * s + 1, centre = (bestY + s) * w + bestX + s
        let fx = abs(bestX) < s ? refine(scores[centre - 1], best, scores[centre + 1]) : 0
        let fy = abs(bestY) < s ? refine(scores[centre - w], best, scores[centre + w]) : 0
        return Point2(x: Double(bestX) + fx, y: Double(bestY) + fy)
    }
}
