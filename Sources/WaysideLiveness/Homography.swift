import Foundation
import WaysideCore

/// A plane-to-plane projective map (3x3, row-major, defined up to scale).
public struct Homography: Sendable, Equatable {
    /// The nine entries, row by row, scaled so that the largest magnitude is 1.
    public var matrix: [Double]

    /// A homography from nine entries; nil when there are not nine finite ones.
    public init?(matrix: [Double]) {
        guard matrix.count == 9, matrix.allSatisfy(\.isFinite) else { return nil }
        let peak = matrix.map(abs).max() ?? 0
        guard peak > 0 else { return nil }
        self.matrix = matrix.map { $0 / peak }
    }

    /// Where `p` goes; nil when it maps to infinity.
    public func apply(_ p: Point2) -> Point2? {
        let m = matrix
        let w = m[6] * p.x + m[7] * p.y + m[8]
        guard abs(w) > 1e-12 else { return nil }
        return Point2(x: (m[0] * p.x + m[1] * p.y + m[2]) / w, y: (m[3] * p.x + m[4] * p.y + m[5]) / w)
    }

    /// Fits the homography taking `source` to `target` by the normalised direct
    /// linear transform (Hartley and Zisserman, Multiple View Geometry, 2nd ed.,
    /// algorithm 4.2): each point set is moved to its centroid and scaled to a
    /// mean distance of sqrt(2) first, which keeps the 9x9 system well
    /// conditioned whatever the pixel coordinates.
    ///
    /// Throws ``LivenessError`` with `.badInput` for mismatched or non-finite
    /// points and `.degenerate` when the points do not fix one homography
    /// (fewer than four, or too many on one line: then more than one solution
    /// fits equally well and a small residual would prove nothing).
    public static func fit(from source: [Point2], to target: [Point2]) throws -> Homography {
        guard source.count == target.count else {
            throw LivenessError(code: .badInput, operation: "fit homography",
                                detail: "\(source.count) source points but \(target.count) target points")
        }
        guard source.count >= 4 else {
            throw LivenessError(code: .degenerate, operation: "fit homography",
                                detail: "needs at least 4 point pairs, got \(source.count)")
        }
        guard (source + target).allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
            throw LivenessError(code: .badInput, operation: "fit homography", detail: "a point is not finite")
        }
        guard let (s, sourceT) = normalise(source), let (t, targetT) = normalise(target) else {
            throw LivenessError(code: .degenerate, operation: "fit homography", detail: "all points coincide")
        }
        // Points on one line fix only the line's own map (5 constraints) plus
        // their cross-ratios, which a 3-D rotation of a line keeps too; the
        // points off it must fix the rest. dlib's five landmarks are four eye
        // corners on a line and the nose: fitted exactly by many homographies.
        for (name, points) in [("source", s), ("target", t)] {
            let onLine = largestNearlyCollinearSubset(points, tolerance: collinearTolerance)
            if onLine >= 3, points.count - onLine < 2 {
                throw LivenessError(code: .degenerate, operation: "fit homography",
                                    detail: "\(onLine) of the \(points.count) \(name) points lie on one line; at least 2 must lie off it")
            }
        }
        // A^T A of the 2n x 9 DLT system, accumulated row by row.
        var ata = [Double](repeating: 0, count: 81)
        func addRow(_ r: [Double]) {
            for i in 0..<9 where r[i] != 0 { for j in 0..<9 { ata[i * 9 + j] += r[i] * r[j] } }
        }
        for k in s.indices {
            let (x, y, u, v) = (s[k].x, s[k].y, t[k].x, t[k].y)
            addRow([0, 0, 0, -x, -y, -1, v * x, v * y, v])
            addRow([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        }
        let (values, vectors) = SymmetricEigen.decompose(ata, size: 9)
        // Ascending eigenvalues: the first is the solution; if the second is
        // nearly as small, the solution is not unique.
        let order = values.indices.sorted { values[$0] < values[$1] }
        let largest = max(values[order[8]], 1e-300)
        guard values[order[1]] / largest > 1e-9 else {
            throw LivenessError(code: .degenerate, operation: "fit homography",
                                detail: "the points do not fix a homography (too many on one line)")
        }
        let h = (0..<9).map { vectors[$0 * 9 + order[0]] }
        // H = T_target^-1 * Hn * T_source.
        let full = multiply(multiply(inverseSimilarity(targetT), h), sourceT)
        guard let result = Homography(matrix: full) else {
            throw LivenessError(code: .degenerate, operation: "fit homography", detail: "the fit is not finite")
        }
        return result
    }

    /// Root-mean-square distance between the mapped source points and the
    /// target points, divided by the target points' RMS spread about their
    /// centroid: a scale-free residual (0 for an exact plane-to-plane map).
    public func relativeResidual(from source: [Point2], to target: [Point2]) -> Double {
        guard source.count == target.count, !source.isEmpty else { return .infinity }
        var sum = 0.0
        for (p, q) in zip(source, target) {
            guard let m = apply(p) else { return .infinity }
            sum += (m.x - q.x) * (m.x - q.x) + (m.y - q.y) * (m.y - q.y)
        }
        let cx = target.map(\.x).reduce(0, +) / Double(target.count)
        let cy = target.map(\.y).reduce(0, +) / Double(target.count)
        let spread = target.map { ($0.x - cx) * ($0.x - cx) + ($0.y - cy) * ($0.y - cy) }.reduce(0, +)
        guard spread > 0 else { return .infinity }
        return (sum / spread).squareRoot()
    }

    /// Distance from a line, in normalised units (mean distance sqrt(2) from
    /// the centroid), within which a point counts as on it: 3% of the spread.
    static let collinearTolerance = 0.03 * 2.0.squareRoot()

    /// The size of the largest subset of `points` within `tolerance` of one line.
    static func largestNearlyCollinearSubset(_ points: [Point2], tolerance: Double) -> Int {
        var best = min(points.count, 2)
        for i in points.indices {
            for j in points.indices where j > i {
                let dx = points[j].x - points[i].x, dy = points[j].y - points[i].y
                let length = (dx * dx + dy * dy).squareRoot()
                guard length > 1e-12 else { continue }
                let count = points.filter { abs(($0.x - points[i].x) * dy - ($0.y - points[i].y) * dx) / length <= tolerance }.count
                best = max(best, count)
            }
        }
        return best
    }

    /// Points moved to their centroid and scaled to mean distance sqrt(2),
    /// with the similarity (row-major 3x3) that did it.
    static func normalise(_ points: [Point2]) -> ([Point2], [Double])? {
        let n = Double(points.count)
        let cx = points.map(\.x).reduce(0, +) / n, cy = points.map(\.y).reduce(0, +) / n
        let mean = points.map { (($0.x - cx) * ($0.x - cx) + ($0.y - cy) * ($0.y - cy)).squareRoot() }.reduce(0, +) / n
        guard mean > 1e-12 else { return nil }
        let s = 2.0.squareRoot() / mean
        return (points.map { Point2(x: s * ($0.x - cx), y: s * ($0.y - cy)) }, [s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1])
    }

    static func inverseSimilarity(_ t: [Double]) -> [Double] {
        let s = t[0]
        return [1 / s, 0, -t[2] / s, 0, 1 / s, -t[5] / s, 0, 0, 1]
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var c = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j] } } }
        return c
    }
}

/// Whether landmark tracks across the challenge frames are explained by one
/// plane: a photo or screen, however it is moved or tilted, maps frame to
/// frame by a homography; a real head turning shows parallax (the nose moves
/// against the cheeks) that no homography explains.
public struct PlanarityCheck: Sendable, Equatable {
    /// Residual (relative to the points' spread) below which frames count as planar.
    public var planarBelow: Double

    /// A check with the given cut-off. The default, 0.07, was set on rendered visits of
    /// NUAA's training subjects (12 prints scored 0.017-0.047 over patch tracks, 12 heads
    /// 0.103-0.290; the geometric mean of the two edges), never on the test subjects.
    public init(planarBelow: Double = 0.07) {
        self.planarBelow = planarBelow
    }

    /// What the check found.
    public struct Result: Sendable, Equatable {
        /// Per frame after the first: the relative residual of the best homography from the first frame.
        public var residuals: [Double]
        /// The largest residual: the frame with the most parallax.
        public var score: Double
        /// True when every frame is explained by a plane.
        public var isPlanar: Bool
    }

    /// Fits a homography from the first frame's points to every other frame's.
    /// `tracks[f][k]` is point k in frame f; every frame must hold the same points.
    public func evaluate(_ tracks: [[Point2]]) throws -> Result {
        guard tracks.count >= 2 else {
            throw LivenessError(code: .badInput, operation: "planarity", detail: "needs at least 2 frames, got \(tracks.count)")
        }
        let reference = tracks[0]
        var residuals: [Double] = []
        for (f, frame) in tracks.enumerated().dropFirst() {
            guard frame.count == reference.count else {
                throw LivenessError(code: .badInput, operation: "planarity",
                                    detail: "frame \(f) has \(frame.count) points, the first has \(reference.count)")
            }
            let h = try Homography.fit(from: reference, to: frame)
            residuals.append(h.relativeResidual(from: reference, to: frame))
        }
        let score = residuals.max() ?? 0
        return Result(residuals: residuals, score: score, isPlanar: score < planarBelow)
    }
}
