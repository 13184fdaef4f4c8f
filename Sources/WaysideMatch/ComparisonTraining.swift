import WaysideCore
import Dispatch
import Foundation

/// Faces made ready for scoring: folded vectors, identities, sessions, and each face's
/// nearest similarities in a cohort (strangers only), from which any candidate's offset is
/// a prefix mean.
struct PreparedFaces {
    var vectors: [Float]
    var identities: [Int]
    var identityKeys: [String]
    var sessions: [String?]
    var sources: [String]
    var groups: [[String]]
    /// `count x maxK` nearest cohort similarities, descending.
    var nearest: [Float]
    var maxK: Int
    var count: Int { identities.count }

    /// Folds `samples` (or only normalises them when `axis` is nil: the raw cosine) and finds
    /// each one's `maxK` most similar cohort rows whose identity differs from its own.
    init(_ samples: [ComparisonSample], axis: [Float]?, cohort: [Float], cohortSources: [String], maxK: Int) {
        let d = MatchTemplate.dimension
        var keys: [String: Int] = [:]
        identities = samples.map { s in keys[s.identity] ?? { keys[s.identity] = keys.count; return keys.count - 1 }() }
        identityKeys = samples.map(\.identity)
        sessions = samples.map(\.session)
        sources = samples.map(\.source)
        groups = samples.map(\.groups)
        var flat = [Float](repeating: 0, count: samples.count * d)
        for (i, s) in samples.enumerated() {
            let norm = max(1e-12, s.descriptor.reduce(0) { $0 + $1 * $1 }.squareRoot())
            let unit = s.descriptor.map { $0 / norm }
            let v = axis.map { ComparisonBackend.fold(unit, axis: $0) } ?? unit
            flat.replaceSubrange(i * d..<(i + 1) * d, with: v)
        }
        vectors = flat
        self.maxK = maxK
        let cohortRows = cohort.count / d
        var nearest = [Float](repeating: 0, count: samples.count * maxK)
        if maxK > 0 && cohortRows > 0 {
            let sourceOfRow = cohortSources
            let ownKeys = identityKeys
            nearest.withUnsafeMutableBufferPointer { out in
                flat.withUnsafeBufferPointer { q in
                    cohort.withUnsafeBufferPointer { c in
                        nonisolated(unsafe) let o = out.baseAddress!, qb = q.baseAddress!, cb = c.baseAddress!
                        // Each iteration writes only its own row of `out`; the inputs are read only.
                        DispatchQueue.concurrentPerform(iterations: samples.count) { i in
                            var top = [Float](repeating: -.infinity, count: maxK)
                            for row in 0..<cohortRows where sourceOfRow[row] != ownKeys[i] {
                                let s = Kernels.dotFloat(cb + row * d, qb + i * d)
                                if s > top[maxK - 1] {
                                    var k = maxK - 1
                                    while k > 0 && top[k - 1] < s { top[k] = top[k - 1]; k -= 1 }
                                    top[k] = s
                                }
                            }
                            for k in 0..<maxK { (o + i * maxK + k).initialize(to: top[k].isFinite ? top[k] : 0) }
                        }
                    }
                }
            }
        }
        self.nearest = nearest
    }

    /// Offsets for a candidate: the mean of the first `k` nearest similarities (0 for k = 0).
    func offsets(k: Int) -> [Float] {
        guard k > 0 else { return [Float](repeating: 0, count: count) }
        return (0..<count).map { i in
            var sum: Float = 0
            for j in 0..<k { sum += nearest[i * maxK + j] }
            return sum / Float(k)
        }
    }

    /// Genuine and impostor scores among the faces at `indices`: same identity (and, when
    /// both have sessions, different sessions) is genuine; different identity is impostor.
    func pairScores(_ indices: [Int], offsets: [Float], meanOffset: Float) -> (genuine: [Float], impostor: [Float]) {
        let d = MatchTemplate.dimension
        var genuine: [Float] = [], impostor: [Float] = []
        impostor.reserveCapacity(indices.count * (indices.count - 1) / 2)
        vectors.withUnsafeBufferPointer { v in
            let base = v.baseAddress!
            for (a, i) in indices.enumerated() {
                for j in indices[(a + 1)...] {
                    let s = ComparisonBackend.score(foldedDot: Kernels.dotFloat(base + i * d, base + j * d),
                                                    offsetA: offsets[i], offsetB: offsets[j], meanOffset: meanOffset)
                    if identities[i] != identities[j] {
                        impostor.append(s)
                    } else if sessions[i] == nil || sessions[i] != sessions[j] {
                        genuine.append(s)
                    }
                }
            }
        }
        return (genuine, impostor)
    }
}

/// Trains the comparison back-end on the training part of the split: chooses among
/// candidates on the validation identities, then refits the chosen one on all training
/// identities and calibrates its thresholds there. The report part is never read.
public struct ComparisonTrainer: Sendable {
    /// Descriptor model of the samples.
    public var baseModel: TemplateModel
    /// FMR the shipped threshold is set for.
    public var targetFMR: Double
    /// FMR at which candidates are compared on the validation groups (looser than the
    /// target, so that small groups can resolve it).
    public var selectionFMR: Double
    /// Candidate cohort sizes (0: the folded cosine without offsets).
    public var candidateTopK: [Int]
    /// Most cohort faces kept (every n-th training face): bounds the per-capture cost.
    public var maxCohort: Int
    /// c, the probe's value in the offset slot.
    public var probeWeight: Float
    /// The officer-review band's factor either side of the target.
    public var bandFactor: Double

    /// Makes a trainer with the defaults `waysidectl train comparison` uses.
    public init(baseModel: TemplateModel, targetFMR: Double = 1e-4, selectionFMR: Double = 1e-3,
                candidateTopK: [Int] = [0, 5, 10, 25, 50, 100], maxCohort: Int = 4096, probeWeight: Float = 0.25,
                bandFactor: Double = 10) {
        self.baseModel = baseModel
        self.targetFMR = targetFMR
        self.selectionFMR = selectionFMR
        self.candidateTopK = candidateTopK
        self.maxCohort = maxCohort
        self.probeWeight = probeWeight
        self.bandFactor = bandFactor
    }

    /// The rule that picks the candidate, in words (written into the file).
    public var selectionRule: String {
        "on the validation identities, at the threshold set for FMR \(selectionFMR) on the fit identities: the smallest worst-group "
            + "FMR ratio (max of measured/target and target/measured, over groups with at least 3 expected false matches; no false match counts as half of one), "
            + "among candidates whose LFW validation FNMR at FMR 1e-4 is within 1 point of the folded cosine's; ties to the smaller cohort"
    }

    /// Fold axis and cohort from `training`: the smallest-variance direction of their unit
    /// descriptors, and every n-th of them folded (at most ``maxCohort``) and put through the
    /// file's int8 round trip.
    func fitCohort(_ training: [ComparisonSample]) -> (axis: [Float], cohort: [Float], sources: [String]) {
        let d = MatchTemplate.dimension
        var mean = [Double](repeating: 0, count: d)
        let units = training.map { s -> [Double] in
            let norm = max(1e-12, s.descriptor.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot())
            return s.descriptor.map { Double($0) / norm }
        }
        for u in units { for i in 0..<d { mean[i] += u[i] / Double(units.count) } }
        var covariance = [Double](repeating: 0, count: d * d)
        for u in units {
            for i in 0..<d {
                let ci = u[i] - mean[i]
                for j in i..<d { covariance[i * d + j] += ci * (u[j] - mean[j]) }
            }
        }
        for i in 0..<d { for j in i..<d { covariance[j * d + i] = covariance[i * d + j] } }
        var axis = SymmetricEigen.smallestEigenvector(covariance, size: d, maxSweeps: 50, convergence: .absolute(1e-24)).map { Float($0) }
        // A fixed sign, so that retraining on the same data gives the same file.
        if let largest = axis.indices.max(by: { abs(axis[$0]) < abs(axis[$1]) }), axis[largest] < 0 { axis = axis.map { -$0 } }
        let norm = axis.reduce(0) { $0 + $1 * $1 }.squareRoot()
        axis = axis.map { $0 / norm }
        let step = max(1, (training.count + maxCohort - 1) / maxCohort)
        var cohort: [Float] = [], sources: [String] = []
        for i in stride(from: 0, to: training.count, by: step) {
            let s = training[i]
            let unit = units[i].map { Float($0) }
            let (codes, scale) = ComparisonBackendFile.quantizeRow(ComparisonBackend.fold(unit, axis: axis))
            cohort.append(contentsOf: ComparisonBackendFile.dequantize(codes: codes, scales: [scale]))
            sources.append(s.identity)
        }
        return (axis, cohort, sources)
    }

    /// Impostor and genuine scores per data set among `faces` (pairs never cross data sets).
    static func bySource(_ faces: PreparedFaces, offsets: [Float], meanOffset: Float) -> [String: (genuine: [Float], impostor: [Float])] {
        var out: [String: (genuine: [Float], impostor: [Float])] = [:]
        for source in Set(faces.sources).sorted() {
            let idx = faces.sources.indices.filter { faces.sources[$0] == source }
            out[source] = faces.pairScores(idx, offsets: offsets, meanOffset: meanOffset)
        }
        return out
    }

    /// Mean offset over the cohort rows themselves (each against strangers only).
    static func cohortMeanOffset(axis: [Float], cohort: [Float], sources: [String], k: Int) -> Float {
        guard k > 0 else { return 0 }
        let d = MatchTemplate.dimension
        let rows = (0..<sources.count).map { ComparisonSample(source: "", identity: sources[$0], session: nil, groups: [],
                                                              descriptor: Array(cohort[$0 * d..<($0 + 1) * d]), role: .fit) }
        // The rows are already folded: fold again is the identity up to rounding, so pass no axis.
        let faces = PreparedFaces(rows, axis: nil, cohort: cohort, cohortSources: sources, maxK: k)
        let offsets = faces.offsets(k: k)
        return offsets.reduce(0, +) / Float(max(1, offsets.count))
    }

    /// Measures every candidate on the validation identities.
    public func measureCandidates(_ samples: [ComparisonSample]) -> [CandidateFigures] {
        let fit = samples.filter { $0.role == .fit }, validation = samples.filter { $0.role == .validation }
        let (axis, cohort, sources) = fitCohort(fit)
        let maxK = candidateTopK.max() ?? 0
        let fitFaces = PreparedFaces(fit, axis: axis, cohort: cohort, cohortSources: sources, maxK: maxK)
        let valFaces = PreparedFaces(validation, axis: axis, cohort: cohort, cohortSources: sources, maxK: maxK)
        var figures: [CandidateFigures] = []
        for k in candidateTopK {
            let mean = Self.cohortMeanOffset(axis: axis, cohort: cohort, sources: sources, k: k)
            let fitScores = Self.bySource(fitFaces, offsets: fitFaces.offsets(k: k), meanOffset: mean)
            let pooled = fitScores.values.flatMap(\.impostor).sorted(by: >)
            let t = MatchCalibration.operatingPoint(targetFMR: selectionFMR, impostorDescending: pooled, genuineAscending: []).threshold
            let valOffsets = valFaces.offsets(k: k)
            var groupFMR: [String: Double] = [:], pairCounts: [String: Int] = [:]
            var lfwFNMR = 1.0, nuaaFNMR = 1.0
            for (name, idx) in Self.groups(of: valFaces) {
                let (genuine, impostor) = valFaces.pairScores(idx, offsets: valOffsets, meanOffset: mean)
                if name == "lfw" {
                    let own = MatchCalibration.operatingPoint(targetFMR: 1e-4, impostorDescending: impostor.sorted(by: >),
                                                              genuineAscending: genuine.sorted())
                    lfwFNMR = own.fnmr
                }
                if name == "nuaa" { nuaaFNMR = Double(genuine.filter { Double($0) < t }.count) / Double(max(1, genuine.count)) }
                guard Double(impostor.count) * selectionFMR >= 3 else { continue }
                groupFMR[name] = Double(impostor.filter { Double($0) >= t }.count) / Double(impostor.count)
                pairCounts[name] = impostor.count
            }
            // A group with no false match at all counts as half of one (a continuity
            // correction): "none" in 5,000 pairs is not evidence of FMR 0, and an infinite
            // ratio would make every candidate tie.
            let worst = groupFMR.map { name, fmr in
                let floor = 0.5 / Double(max(1, pairCounts[name] ?? 1))
                let f = max(fmr, floor)
                return max(f / selectionFMR, selectionFMR / f)
            }.max() ?? .infinity
            figures.append(CandidateFigures(name: k == 0 ? "folded cosine" : "cohort-offset-k\(k)", cohortTopK: k,
                                            worstGroupRatio: worst, groupFMR: groupFMR, lfwValidationFNMR: lfwFNMR,
                                            nuaaValidationFNMR: nuaaFNMR))
        }
        return figures
    }

    /// The candidate the rule picks.
    public func choose(_ figures: [CandidateFigures]) -> CandidateFigures? {
        let guardFNMR = (figures.first { $0.cohortTopK == 0 }?.lfwValidationFNMR ?? 1) + 0.01
        return figures.filter { $0.lfwValidationFNMR <= guardFNMR }
            .min { ($0.worstGroupRatio, $0.cohortTopK) < ($1.worstGroupRatio, $1.cohortTopK) }
    }

    /// Measurement groups among `faces`: each data set, and each demographic label.
    static func groups(of faces: PreparedFaces) -> [(String, [Int])] {
        var out: [(String, [Int])] = []
        for source in ["lfw", "nuaa"] {
            let idx = faces.sources.indices.filter { faces.sources[$0] == source }
            if !idx.isEmpty { out.append((source, idx)) }
        }
        let labels = Set(faces.groups.flatMap { $0 })
        for label in labels.sorted() {
            out.append(("utkface " + label, faces.groups.indices.filter { faces.groups[$0].contains(label) }))
        }
        return out
    }

    /// Chooses a candidate, refits it on every training identity, calibrates its thresholds
    /// on their pairs, and returns the file to commit. Throws when the data cannot resolve
    /// the target FMR.
    public func train(_ samples: [ComparisonSample], command: String,
                      log: (String) -> Void = { _ in }) throws -> ComparisonBackendFile {
        let training = samples.filter { $0.role.isTraining }
        guard !training.isEmpty else {
            throw MatchError(code: .calibration, operation: "train comparison back-end", detail: "no training faces; is ../shared/data there?")
        }
        let figures = measureCandidates(samples)
        for f in figures {
            log(String(format: "candidate %-20@ worst group ratio %7.2f  LFW-val FNMR@1e-4 %5.2f%%  NUAA-val FNMR %5.2f%%",
                       f.name, f.worstGroupRatio, f.lfwValidationFNMR * 100, f.nuaaValidationFNMR * 100))
            log("    validation FMR at the 1e-3 threshold: " + f.groupFMR.sorted { $0.key < $1.key }
                .map { String(format: "%@ %.1e", $0.key, $0.value) }.joined(separator: ", "))
        }
        guard let chosen = choose(figures) else {
            throw MatchError(code: .calibration, operation: "train comparison back-end", detail: "no candidate passed the accuracy guard")
        }
        log("chosen: \(chosen.name)")
        let (axis, cohort, sources) = fitCohort(training)
        let k = chosen.cohortTopK
        let mean = Self.cohortMeanOffset(axis: axis, cohort: cohort, sources: sources, k: k)
        let backend = try ComparisonBackend(baseModel: baseModel, cohortTopK: k, foldAxis: axis, cohort: cohort,
                                            meanOffset: mean, probeWeight: probeWeight)
        let faces = PreparedFaces(training, axis: axis, cohort: backend.cohort, cohortSources: sources, maxK: max(1, k))
        let scores = Self.bySource(faces, offsets: faces.offsets(k: k), meanOffset: mean)
        let genuine = scores.values.flatMap(\.genuine), impostor = scores.values.flatMap(\.impostor)
        var calibration = try MatchCalibration(
            model: backend.model, genuine: genuine, impostor: impostor, targetFMR: targetFMR, bandFactor: bandFactor,
            dataset: "training identities of the split (LFW folds 1-3, NUAA subjects 0001-0006, UTKFace even-index crops): "
                + "pairs within each data set, same identity genuine (NUAA: across sessions), different identity impostor; "
                + "each face's offset against cohort faces of other identities",
            command: command)
        calibration.score = "calibrated cohort-offset score: folded cosine minus half of each face's offset above the cohort mean; "
            + "higher is more alike; accept when score >= threshold"
        let reportIdentities = samples.filter { $0.role == .report }.map(\.identity)
        let split = ComparisonSplit(rules: ComparisonData.rules, trainIdentities: training.map(\.identity),
                                    reportIdentities: reportIdentities)
        guard split.overlap.isEmpty else {
            throw MatchError(code: .calibration, operation: "train comparison back-end",
                             detail: "identities on both sides of the split: \(split.overlap.sorted().prefix(5))")
        }
        return try ComparisonBackendFile(backend: backend, cohortSources: sources, calibration: calibration, split: split,
                                         candidates: figures, selectionRule: selectionRule, command: command)
    }
}
