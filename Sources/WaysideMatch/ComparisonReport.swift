import Foundation
import WaysideFace

/// False matches in one group on the report split, raw against calibrated.
public struct GroupFalseMatches: Sendable, Codable, Equatable {
    /// "lfw", "nuaa", "utkface race=Black", ...
    public var group: String
    /// Impostor pairs in the group (pairs within it; every UTKFace pair is two people).
    public var impostorPairs: Int
    /// Raw cosine: FMR at the raw threshold set for the target on the training pairs.
    public var rawFMR: Double
    /// Calibrated: FMR at the back-end's threshold set for the target.
    public var calibratedFMR: Double
    /// The same at the thresholds set for FMR 1e-3 (better resolved in small groups).
    public var rawFMRAt1e3: Double
    /// Calibrated FMR at the 1e-3 threshold.
    public var calibratedFMRAt1e3: Double
    /// True when the group has at least 3 expected false matches at the target (a ratio to
    /// the target means something only then).
    public var resolvesTarget: Bool
    /// Raw cosine at the threshold the raw matcher ships with (Models/match-calibration.json),
    /// when given: what a station without the back-end does today.
    public var shippedRawFMR: Double?
    /// Measured FMR at nominal FMRs 1e-1 ... 1e-5 (the pictures' points), raw.
    public var rawCurve: [Double]
    /// The same, calibrated.
    public var calibratedCurve: [Double]
}

/// Verification on one data set's report identities, raw against calibrated.
public struct ReportVerification: Sendable, Codable, Equatable {
    /// "lfw" or "nuaa".
    public var dataset: String
    /// Raw cosine metrics (scores negated into distances for ``VerificationMetrics``).
    public var raw: VerificationMetrics
    /// Calibrated metrics.
    public var calibrated: VerificationMetrics
    /// FNMR and FMR at the shipped thresholds (set on the training pairs for the target).
    public var rawAtTrainedThreshold: OperatingPoint
    /// The calibrated one.
    public var calibratedAtTrainedThreshold: OperatingPoint
    /// Raw FNMR at the shipped raw threshold, when given.
    public var rawShippedFNMR: Double?
}

/// The report: raw cosine (today's matcher) against the calibrated back-end on the report
/// identities only, both with thresholds set on the training pairs.
public struct ComparisonReport: Sendable, Codable, Equatable {
    /// The back-end's template model.
    public var backend: String
    /// Target FMR of the thresholds.
    public var targetFMR: Double
    /// Raw cosine threshold (training pairs, target FMR).
    public var rawThreshold: Double
    /// Calibrated threshold (from the back-end file).
    public var calibratedThreshold: Double
    /// The shipped raw threshold, when given.
    public var shippedRawThreshold: Double?
    /// Nominal FMRs of the curves.
    public var nominalFMR: [Double]
    /// Per group.
    public var groups: [GroupFalseMatches]
    /// LFW and NUAA verification.
    public var verification: [ReportVerification]
    /// Worst measured/target (or target/measured) over groups that resolve the target.
    public var worstRatioRaw: Double
    /// The same, calibrated.
    public var worstRatioCalibrated: Double
    /// Report faces per data set.
    public var faces: [String: Int]

    /// Measures `backend` (from `file`) against the raw cosine. Training faces serve only to
    /// set the raw baseline's thresholds the way the back-end's were set; the figures come
    /// from report faces only.
    public static func measure(_ samples: [ComparisonSample], file: ComparisonBackendFile, backend: ComparisonBackend,
                               shippedRawThreshold: Double? = nil) -> ComparisonReport {
        let target = file.calibration.threshold.targetFMR
        let nominal = stride(from: -1.0, through: -5.0, by: -0.25).map { pow(10, $0) }
        let training = samples.filter { $0.role.isTraining }, report = samples.filter { $0.role == .report }
        // Raw: plain cosine of unit descriptors, no offsets.
        let rawTrain = PreparedFaces(training, axis: nil, cohort: [], cohortSources: [], maxK: 0)
        let rawTrainScores = ComparisonTrainer.bySource(rawTrain, offsets: rawTrain.offsets(k: 0), meanOffset: 0)
        let rawPool = rawTrainScores.values.flatMap(\.impostor).sorted(by: >)
        // Calibrated: the back-end's fold and cohort; training faces against strangers only.
        let k = backend.cohortTopK
        let calTrain = PreparedFaces(training, axis: backend.foldAxis, cohort: backend.cohort, cohortSources: file.cohortSources, maxK: max(1, k))
        let calTrainScores = ComparisonTrainer.bySource(calTrain, offsets: calTrain.offsets(k: k), meanOffset: backend.meanOffset)
        let calPool = calTrainScores.values.flatMap(\.impostor).sorted(by: >)
        func threshold(_ pool: [Float], _ fmr: Double) -> Double {
            MatchCalibration.operatingPoint(targetFMR: fmr, impostorDescending: pool, genuineAscending: []).threshold
        }
        let rawT = threshold(rawPool, target), rawT3 = threshold(rawPool, 1e-3)
        let calT = file.calibration.threshold.threshold, calT3 = threshold(calPool, 1e-3)
        let rawNominal = nominal.map { threshold(rawPool, $0) }, calNominal = nominal.map { threshold(calPool, $0) }

        let rawReport = PreparedFaces(report, axis: nil, cohort: [], cohortSources: [], maxK: 0)
        let calReport = PreparedFaces(report, axis: backend.foldAxis, cohort: backend.cohort, cohortSources: file.cohortSources, maxK: max(1, k))
        let rawOffsets = rawReport.offsets(k: 0), calOffsets = calReport.offsets(k: k)
        func rate(_ scores: [Float], _ t: Double) -> Double { Double(scores.filter { Double($0) >= t }.count) / Double(max(1, scores.count)) }
        var groups: [GroupFalseMatches] = [], verification: [ReportVerification] = []
        for (name, idx) in ComparisonTrainer.groups(of: calReport) {
            let raw = rawReport.pairScores(idx, offsets: rawOffsets, meanOffset: 0)
            let cal = calReport.pairScores(idx, offsets: calOffsets, meanOffset: backend.meanOffset)
            groups.append(GroupFalseMatches(
                group: name, impostorPairs: raw.impostor.count, rawFMR: rate(raw.impostor, rawT), calibratedFMR: rate(cal.impostor, calT),
                rawFMRAt1e3: rate(raw.impostor, rawT3), calibratedFMRAt1e3: rate(cal.impostor, calT3),
                resolvesTarget: Double(raw.impostor.count) * target >= 3,
                shippedRawFMR: shippedRawThreshold.map { rate(raw.impostor, $0) },
                rawCurve: rawNominal.map { rate(raw.impostor, $0) }, calibratedCurve: calNominal.map { rate(cal.impostor, $0) }))
            if !raw.genuine.isEmpty {
                func point(_ g: [Float], _ i: [Float], _ t: Double) -> OperatingPoint {
                    OperatingPoint(fmr: rate(i, t), fnmr: 1 - rate(g, t), threshold: t)
                }
                verification.append(ReportVerification(
                    dataset: name,
                    raw: VerificationMetrics(genuine: raw.genuine.map { -$0 }, impostor: raw.impostor.map { -$0 }),
                    calibrated: VerificationMetrics(genuine: cal.genuine.map { -$0 }, impostor: cal.impostor.map { -$0 }),
                    rawAtTrainedThreshold: point(raw.genuine, raw.impostor, rawT),
                    calibratedAtTrainedThreshold: point(cal.genuine, cal.impostor, calT),
                    rawShippedFNMR: shippedRawThreshold.map { 1 - rate(raw.genuine, $0) }))
            }
        }
        func worst(_ values: [Double]) -> Double {
            values.map { $0 <= 0 ? Double.infinity : max($0 / target, target / $0) }.max() ?? .nan
        }
        let resolved = groups.filter(\.resolvesTarget)
        var faces: [String: Int] = [:]
        for s in report { faces[s.source, default: 0] += 1 }
        return ComparisonReport(backend: backend.model.description, targetFMR: target, rawThreshold: rawT, calibratedThreshold: calT,
                                shippedRawThreshold: shippedRawThreshold, nominalFMR: nominal, groups: groups, verification: verification,
                                worstRatioRaw: worst(resolved.map(\.rawFMR)), worstRatioCalibrated: worst(resolved.map(\.calibratedFMR)),
                                faces: faces)
    }

    /// Writes `<prefix>-report.json`, `<prefix>-det.svg`, `<prefix>-groups-raw.svg` and
    /// `<prefix>-groups-calibrated.svg` into `directory`; returns the paths. One prefix per
    /// engine, so both engines' reports sit side by side in one folder.
    @discardableResult
    public func write(to directory: String, prefix: String = "comparison") throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = directory + "/\(prefix)-report.json"
        // JSON has no infinity: an unresolvable ratio is written as null by making it nan-free.
        var copy = self
        if !copy.worstRatioRaw.isFinite { copy.worstRatioRaw = -1 }
        if !copy.worstRatioCalibrated.isFinite { copy.worstRatioCalibrated = -1 }
        try encoder.encode(copy).write(to: URL(fileURLWithPath: json))
        written.append(json)
        var det: [(name: String, points: [OperatingPoint])] = []
        for v in verification {
            det.append(("\(v.dataset) raw cosine", v.raw.det))
            det.append(("\(v.dataset) calibrated", v.calibrated.det))
        }
        let detPath = directory + "/\(prefix)-det.svg"
        try Charts.det(det, title: "DET on the report identities: raw cosine against the calibrated back-end")
            .write(toFile: detPath, atomically: true, encoding: .utf8)
        written.append(detPath)
        for (label, calibrated) in [("raw", false), ("calibrated", true)] {
            let series = groups.map { g in
                (name: g.group, points: zip(nominalFMR, calibrated ? g.calibratedCurve : g.rawCurve).map { (target: $0, measured: $1) })
            }
            let path = directory + "/\(prefix)-groups-\(label).svg"
            try Charts.fmrAgainstTarget(series, title: "False matches per group, \(label == "raw" ? "raw cosine" : "calibrated back-end") (report identities)")
                .write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        return written
    }
}
