import Foundation

/// A similarity threshold and the error rates measured at it.
public struct CalibratedPoint: Sendable, Codable, Equatable {
    /// Accept when the cosine similarity is at or above this.
    public var threshold: Double
    /// False match rate measured at it (ISO/IEC 19795-1): impostor comparisons accepted.
    public var fmr: Double
    /// False non-match rate measured at it: genuine comparisons rejected.
    public var fnmr: Double
    /// The FMR this point was chosen for.
    public var targetFMR: Double
}

/// Thresholds measured on real genuine and impostor comparisons, stored with the model
/// they belong to (Models/match-calibration.json). The decision policy reads its numbers
/// from here and nowhere else.
public struct MatchCalibration: Sendable, Codable, Equatable {
    /// The version of this file's layout.
    public static let formatVersion = 1

    /// Layout version of the file.
    public var formatVersion: Int
    /// The model the thresholds belong to: another model's scores would be meaningless.
    public var model: TemplateModel
    /// What the score is.
    public var score: String
    /// The operating threshold at the target FMR.
    public var threshold: CalibratedPoint
    /// The lower edge of the officer-review band (a looser FMR).
    public var reviewLower: CalibratedPoint
    /// The upper edge of the officer-review band (a stricter FMR): at or above it, "match".
    public var reviewUpper: CalibratedPoint
    /// Genuine comparisons measured.
    public var genuineCount: Int
    /// Impostor comparisons measured.
    public var impostorCount: Int
    /// Where the comparisons came from.
    public var dataset: String
    /// The command that produced the file.
    public var command: String
    /// When it was produced (ISO 8601).
    public var created: String

    /// Thresholds from similarity scores: `genuine` are same-person comparisons,
    /// `impostor` different-person ones. The review band spans one decade of FMR either
    /// side of `targetFMR` by default (`bandFactor` 10).
    ///
    /// Throws when there are too few impostor comparisons to resolve the strictest FMR
    /// asked for (at least one impostor must lie above it, ISO/IEC 19795-1's "rule of 3"
    /// would want three).
    public init(model: TemplateModel, genuine: [Float], impostor: [Float], targetFMR: Double = 1e-4,
                bandFactor: Double = 10, dataset: String, command: String, created: Date = Date()) throws {
        guard targetFMR > 0, targetFMR < 1, bandFactor >= 1 else {
            throw MatchError(code: .badArgument, operation: "calibrate", detail: "target FMR must be in (0, 1) and the band factor >= 1")
        }
        guard !genuine.isEmpty else {
            throw MatchError(code: .calibration, operation: "calibrate", detail: "no genuine comparisons")
        }
        let strictest = targetFMR / bandFactor
        guard strictest * Double(impostor.count) >= 1 else {
            throw MatchError(code: .calibration, operation: "calibrate",
                             detail: "\(impostor.count) impostor comparisons cannot resolve FMR \(strictest); use more data or a looser target")
        }
        let impostorDescending = impostor.sorted(by: >)
        let genuineAscending = genuine.sorted()
        func point(_ fmr: Double) -> CalibratedPoint {
            Self.operatingPoint(targetFMR: min(fmr, 1), impostorDescending: impostorDescending, genuineAscending: genuineAscending)
        }
        self.formatVersion = Self.formatVersion
        self.model = model
        self.score = "cosine similarity of unit-length descriptors; higher is more alike; accept when score >= threshold"
        self.threshold = point(targetFMR)
        self.reviewLower = point(targetFMR * bandFactor)
        self.reviewUpper = point(strictest)
        self.genuineCount = genuine.count
        self.impostorCount = impostor.count
        self.dataset = dataset
        self.command = command
        self.created = ISO8601DateFormatter().string(from: created)
    }

    /// The lowest threshold whose FMR does not exceed `targetFMR`: with impostor scores
    /// sorted high to low and k = floor(target x n), accept only scores above the k-th
    /// (0-based), so at most k impostors pass.
    static func operatingPoint(targetFMR: Double, impostorDescending i: [Float], genuineAscending g: [Float]) -> CalibratedPoint {
        let k = Int((targetFMR * Double(i.count)).rounded(.down))
        let t: Float = k >= i.count ? (i.last ?? 0) : i[k].nextUp
        let falseMatches = countAtOrAbove(descending: i, t)
        let falseNonMatches = countBelow(ascending: g, t)
        return CalibratedPoint(threshold: Double(t), fmr: Double(falseMatches) / Double(max(1, i.count)),
                               fnmr: Double(falseNonMatches) / Double(max(1, g.count)), targetFMR: targetFMR)
    }

    static func countAtOrAbove(descending v: [Float], _ t: Float) -> Int {
        var lo = 0, hi = v.count
        while lo < hi { let mid = (lo + hi) / 2; if v[mid] >= t { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    static func countBelow(ascending v: [Float], _ t: Float) -> Int {
        var lo = 0, hi = v.count
        while lo < hi { let mid = (lo + hi) / 2; if v[mid] < t { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// Reads a calibration file and checks it belongs to `model`. A missing file, bad JSON,
    /// another model or inconsistent thresholds throw ``MatchError/Code/calibration`` naming
    /// the file and `waysidectl calibrate match`.
    public static func load(from path: String, for model: TemplateModel) throws -> MatchCalibration {
        let op = "load calibration"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MatchError(code: .calibration, operation: op, file: path,
                             detail: "file not found; run 'waysidectl calibrate match' to produce it")
        }
        let calibration: MatchCalibration
        do { calibration = try JSONDecoder().decode(MatchCalibration.self, from: data) } catch {
            throw MatchError(code: .calibration, operation: op, file: path, detail: "not a calibration file: \(error)")
        }
        guard calibration.formatVersion == formatVersion else {
            throw MatchError(code: .calibration, operation: op, file: path,
                             detail: "format version \(calibration.formatVersion); this build reads \(formatVersion)")
        }
        guard calibration.model == model else {
            throw MatchError(code: .calibration, operation: op, file: path,
                             detail: "calibrated for \(calibration.model), the station runs \(model); run 'waysidectl calibrate match' for this model")
        }
        try calibration.checkConsistent(file: path)
        return calibration
    }

    /// The band's edges must bracket the threshold; anything else was edited by hand.
    func checkConsistent(file: String?) throws {
        let values = [reviewLower.threshold, threshold.threshold, reviewUpper.threshold]
        guard values.allSatisfy(\.isFinite), values == values.sorted(), values.allSatisfy({ (-1...1.0001).contains($0) }) else {
            throw MatchError(code: .calibration, operation: "load calibration", file: file,
                             detail: "review band \(reviewLower.threshold)...\(reviewUpper.threshold) does not bracket the threshold \(threshold.threshold)")
        }
    }

    /// Writes the file (sorted keys, so re-runs diff cleanly).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
