import Foundation

/// The calibrated comparison back-end (issue 8): turns a face descriptor into templates
/// whose dot product is a *calibrated* score, so that one threshold gives about the same
/// false-match rate in every population rather than one set for the population the
/// descriptor network saw most.
///
/// How (cohort offset, after the adaptive score normalisations of the speaker-verification
/// literature and Terhörst et al.'s Fair Score Normalisation, 2020): a face whose nearest
/// strangers in a diverse impostor *cohort* are very close (children, a population the
/// network separates poorly, one webcam's lighting) sits in a crowded part of the space,
/// where raw similarities run high for everyone. Its offset β is the mean similarity of
/// its `cohortTopK` nearest cohort faces, and
///
///     score(a, b) = cos(a, b) - ½(β_a - β̄) - ½(β_b - β̄)
///
/// where β̄ is the cohort's mean offset (a constant that keeps scores near the cosine
/// scale). No demographic label is used: the cohort carries descriptors only.
///
/// Why 1:N stays a dot product: the descriptor is rotated so its least-varying direction
/// is the last coordinate and that coordinate is dropped (127 values, renormalised); the
/// freed slot carries the offset. A gallery template is `[w, -(β - β̄) / 2c]`, a probe
/// `[w, c]`, so `probe · gallery = cos - ½(β_gallery - β̄)`; the probe's own half-offset
/// is one subtraction per query. The int8 scan, its kernels and the gallery file are
/// unchanged; only preparing a capture costs one pass over the cohort.
public struct ComparisonBackend: Sendable, Equatable {
    /// Layout version of the back-end file.
    public static let formatVersion = 1
    /// The method this build implements.
    public static let method = "cohort-offset"

    /// The engine and model whose descriptors this back-end takes.
    public let baseModel: TemplateModel
    /// Nearest cohort faces averaged into a face's offset; 0 turns offsets off (the folded
    /// cosine alone, the "raw" candidate).
    public let cohortTopK: Int
    /// Unit vector: the direction of least variance in the training descriptors, folded
    /// onto the last coordinate and dropped.
    public let foldAxis: [Float]
    /// Cohort faces, folded and unit-length, 128 floats per face (the last is 0).
    public let cohort: [Float]
    /// Mean offset over the cohort (β̄).
    public let meanOffset: Float
    /// The probe's value in the offset slot (c): sized like one descriptor coordinate so
    /// the probe's 7-bit codes keep their resolution.
    public let probeWeight: Float
    /// Short hash of every parameter above: two back-ends with different parameters never
    /// share a template model.
    public let parameterHash: String

    /// Templates this back-end prepares carry this model: the base model plus the back-end
    /// and its parameter hash, so galleries and calibrations made for one back-end are
    /// refused by any other (and by the raw matcher).
    public var model: TemplateModel {
        TemplateModel(engine: baseModel.engine, version: "\(baseModel.version)+\(Self.method)-k\(cohortTopK)-\(parameterHash)")
    }

    /// Number of cohort faces.
    public var cohortCount: Int { cohort.count / MatchTemplate.dimension }

    /// Makes a back-end from trained parameters; checks their shapes and values.
    public init(baseModel: TemplateModel, cohortTopK: Int, foldAxis: [Float], cohort: [Float], meanOffset: Float,
                probeWeight: Float) throws {
        let d = MatchTemplate.dimension
        guard foldAxis.count == d, foldAxis.allSatisfy(\.isFinite) else {
            throw MatchError(code: .badArgument, operation: "make comparison back-end", detail: "fold axis must hold \(d) finite values")
        }
        let norm = foldAxis.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard abs(norm - 1) < 1e-3 else {
            throw MatchError(code: .badArgument, operation: "make comparison back-end", detail: "fold axis has length \(norm), not 1")
        }
        guard cohort.count % d == 0, cohort.allSatisfy(\.isFinite), cohortTopK >= 0,
              cohortTopK <= cohort.count / d, meanOffset.isFinite, probeWeight.isFinite, probeWeight > 0 else {
            throw MatchError(code: .badArgument, operation: "make comparison back-end",
                             detail: "cohort must be whole rows of \(d) finite values with at least top-k (\(cohortTopK)) rows, and the probe weight positive")
        }
        self.baseModel = baseModel
        self.cohortTopK = cohortTopK
        self.foldAxis = foldAxis.map { $0 / norm }
        self.cohort = cohort
        self.meanOffset = meanOffset
        self.probeWeight = probeWeight
        self.parameterHash = Self.hash(cohortTopK: cohortTopK, foldAxis: self.foldAxis, cohort: cohort,
                                       meanOffset: meanOffset, probeWeight: probeWeight)
    }

    // MARK: - The transform

    /// The descriptor made unit-length, rotated so ``foldAxis`` lands on the last coordinate
    /// (a Householder reflection), that coordinate dropped, and the 127 left renormalised;
    /// returned as 128 floats with a 0 in the last slot. Throws on a wrong length, NaN or zeros.
    public func folded(_ descriptor: [Float]) throws -> [Float] {
        let d = MatchTemplate.dimension
        guard descriptor.count == d else {
            throw MatchError(code: .badTemplate, operation: "prepare template",
                             detail: "descriptor has \(descriptor.count) values, the back-end takes \(d)")
        }
        guard descriptor.allSatisfy(\.isFinite) else {
            throw MatchError(code: .badTemplate, operation: "prepare template", detail: "descriptor holds NaN or infinity")
        }
        let norm = descriptor.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 1e-12 else {
            throw MatchError(code: .badTemplate, operation: "prepare template", detail: "descriptor is all zeros")
        }
        return Self.fold(descriptor.map { $0 / norm }, axis: foldAxis)
    }

    /// Householder reflection H = I - 2vvᵀ with v ∝ axis - e_last (maps `axis` to e_last),
    /// then the last coordinate dropped and the rest renormalised.
    public static func fold(_ unit: [Float], axis: [Float]) -> [Float] {
        let d = unit.count
        var v = axis
        v[d - 1] -= 1
        let vv = v.reduce(0) { $0 + $1 * $1 }
        var out = unit
        if vv > 1e-12 {
            var dot: Float = 0
            for i in 0..<d { dot += v[i] * unit[i] }
            let f = 2 * dot / vv
            for i in 0..<d { out[i] -= f * v[i] }
        }
        out[d - 1] = 0
        let norm = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
        // A descriptor lying wholly along the dropped axis has nothing left; keep it
        // finite (it will then match nothing).
        return norm > 1e-12 ? out.map { $0 / norm } : out
    }

    /// β: the mean similarity of the `cohortTopK` nearest cohort faces to a folded
    /// descriptor (0 when offsets are off). `excluding` leaves cohort rows out (a training
    /// face's own identity, so its offset is measured against strangers only).
    public func offset(ofFolded w: [Float], excluding: (Int) -> Bool = { _ in false }) -> Float {
        guard cohortTopK > 0 else { return 0 }
        let d = MatchTemplate.dimension, n = cohortCount
        var top = [Float](repeating: -.infinity, count: cohortTopK)
        w.withUnsafeBufferPointer { q in
            cohort.withUnsafeBufferPointer { c in
                for row in 0..<n where !excluding(row) {
                    let s = Kernels.dotFloat(c.baseAddress! + row * d, q.baseAddress!)
                    // Insertion into a small sorted (descending) list: k is tens.
                    if s > top[cohortTopK - 1] {
                        var i = cohortTopK - 1
                        while i > 0 && top[i - 1] < s { top[i] = top[i - 1]; i -= 1 }
                        top[i] = s
                    }
                }
            }
        }
        let kept = top.filter(\.isFinite)
        return kept.isEmpty ? 0 : kept.reduce(0, +) / Float(kept.count)
    }

    /// A probe: the capture's template for search and its own half-offset to subtract.
    public struct Probe: Sendable, Equatable {
        /// `[w, c]`: dot it with a gallery template.
        public var template: MatchTemplate
        /// ½(β - β̄): subtract from every dot product with a gallery template.
        public var halfOffset: Float
    }

    /// The gallery form `[w, -(β - β̄) / 2c]` of a descriptor from ``baseModel``.
    public func galleryTemplate(descriptor: [Float], model descriptorModel: TemplateModel) throws -> MatchTemplate {
        try baseModel.requireSame(as: descriptorModel, operation: "prepare gallery template")
        var w = try folded(descriptor)
        let beta = offset(ofFolded: w)
        w[MatchTemplate.dimension - 1] = -(beta - meanOffset) / (2 * probeWeight)
        return try MatchTemplate(model: model, prepared: w)
    }

    /// The gallery form of an already folded vector with a given offset β (the benchmark's
    /// synthetic padding, whose cohort pass would cost minutes and change no timing).
    public func galleryTemplate(folded w: [Float], offset beta: Float) throws -> MatchTemplate {
        var form = w
        form[MatchTemplate.dimension - 1] = -(beta - meanOffset) / (2 * probeWeight)
        return try MatchTemplate(model: model, prepared: form)
    }

    /// The probe form `[w, c]` and the probe's half-offset.
    public func probe(descriptor: [Float], model descriptorModel: TemplateModel) throws -> Probe {
        try baseModel.requireSame(as: descriptorModel, operation: "prepare probe")
        var w = try folded(descriptor)
        let beta = offset(ofFolded: w)
        let half = (beta - meanOffset) / 2
        w[MatchTemplate.dimension - 1] = probeWeight
        return Probe(template: try MatchTemplate(model: model, prepared: w), halfOffset: half)
    }

    /// The calibrated 1:1 score of a probe against a gallery template of this back-end;
    /// another back-end's (or the raw matcher's) template throws ``MatchError/Code/modelMismatch``.
    public func score(_ probe: Probe, _ gallery: MatchTemplate) throws -> Float {
        try probe.template.model.requireSame(as: model, operation: "compare templates")
        try gallery.model.requireSame(as: model, operation: "compare templates")
        return probe.template.unit.withUnsafeBufferPointer { a in
            gallery.unit.withUnsafeBufferPointer { b in Kernels.dotFloat(a.baseAddress!, b.baseAddress!) }
        } - probe.halfOffset
    }

    /// The calibrated score of two folded descriptors with known offsets (training and
    /// evaluation, where both sides are at hand).
    @inline(__always)
    public static func score(foldedDot: Float, offsetA: Float, offsetB: Float, meanOffset: Float) -> Float {
        foldedDot - (offsetA - meanOffset) / 2 - (offsetB - meanOffset) / 2
    }

    /// FNV-1a over the parameters' bytes, 8 hex digits.
    static func hash(cohortTopK: Int, foldAxis: [Float], cohort: [Float], meanOffset: Float, probeWeight: Float) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bits: UInt32) {
            for shift in stride(from: 0, to: 32, by: 8) { h = (h ^ UInt64((bits >> UInt32(shift)) & 0xff)) &* 0x100_0000_01b3 }
        }
        mix(UInt32(cohortTopK))
        for v in foldAxis { mix(v.bitPattern) }
        for v in cohort { mix(v.bitPattern) }
        mix(meanOffset.bitPattern)
        mix(probeWeight.bitPattern)
        return String(format: "%08x", UInt32(truncatingIfNeeded: h ^ (h >> 32)))
    }
}
