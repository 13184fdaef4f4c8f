import Foundation

/// Which identities trained the back-end and which were kept for reporting, written into
/// the back-end file so anyone can check that the reporting split made no choice.
public struct ComparisonSplit: Sendable, Codable, Equatable {
    /// The rule per data set, in words.
    public var rules: [String: String]
    /// Identity keys (`lfw:<Name>`, `nuaa:<subject>`, `utkface:<file>`) whose images trained
    /// the back-end: the cohort, the fold axis, the threshold, and the choice of candidate.
    public var trainIdentities: [String]
    /// Identity keys kept for the report: used by nothing above.
    public var reportIdentities: [String]

    /// Makes a record; the two lists are stored sorted.
    public init(rules: [String: String], trainIdentities: [String], reportIdentities: [String]) {
        self.rules = rules
        self.trainIdentities = Array(Set(trainIdentities)).sorted()
        self.reportIdentities = Array(Set(reportIdentities)).sorted()
    }

    /// Identities on both sides (must be none).
    public var overlap: Set<String> { Set(trainIdentities).intersection(reportIdentities) }
}

/// One candidate measured while choosing the back-end, on the validation part of the
/// training identities.
public struct CandidateFigures: Sendable, Codable, Equatable {
    /// `raw` (folded cosine) or `cohort-offset-k<K>`.
    public var name: String
    /// Nearest cohort faces per offset (0: none).
    public var cohortTopK: Int
    /// Worst validation group's FMR over the selection target, or its inverse when below
    /// (1 is perfect), over the groups that can resolve the target (at least 3 expected
    /// false matches).
    public var worstGroupRatio: Double
    /// The groups the ratio was taken over and their FMR at the selection threshold.
    public var groupFMR: [String: Double]
    /// LFW validation FNMR at its own FMR 1e-4 threshold (the accuracy guard).
    public var lfwValidationFNMR: Double
    /// NUAA validation cross-session FNMR at the selection threshold.
    public var nuaaValidationFNMR: Double
}

/// The committed form of a trained back-end (Models/comparison-backend.json): its
/// parameters, the thresholds on its calibrated score, the split record, the candidates
/// it was chosen from, and the command that made it.
public struct ComparisonBackendFile: Sendable, Codable, Equatable {
    /// Layout version (``ComparisonBackend/formatVersion``).
    public var formatVersion: Int
    /// ``ComparisonBackend/method``.
    public var method: String
    /// The descriptor model the back-end takes.
    public var baseModel: TemplateModel
    /// The template model it produces (base + method + parameter hash).
    public var templateModel: TemplateModel
    /// Nearest cohort faces per offset.
    public var cohortTopK: Int
    /// The dropped direction.
    public var foldAxis: [Float]
    /// Cohort rows as int8 codes (base64, 128 per row) ...
    public var cohortCodes: String
    /// ... and one step size per row.
    public var cohortScales: [Float]
    /// Identity key of each cohort row (all training identities; checked by the tests).
    public var cohortSources: [String]
    /// β̄.
    public var meanOffset: Float
    /// c.
    public var probeWeight: Float
    /// Thresholds on the calibrated score, for ``templateModel``.
    public var calibration: MatchCalibration
    /// Who trained it and who was kept back.
    public var split: ComparisonSplit
    /// Every candidate measured and why this one was kept.
    public var candidates: [CandidateFigures]
    /// The rule that chose among the candidates.
    public var selectionRule: String
    /// The command that produced the file.
    public var command: String

    /// The file form of `backend`; `cohortSources` names each cohort row's identity.
    public init(backend: ComparisonBackend, cohortSources: [String], calibration: MatchCalibration, split: ComparisonSplit,
                candidates: [CandidateFigures], selectionRule: String, command: String) throws {
        guard cohortSources.count == backend.cohortCount else {
            throw MatchError(code: .badArgument, operation: "write comparison back-end",
                             detail: "\(cohortSources.count) cohort sources for \(backend.cohortCount) cohort rows")
        }
        let d = MatchTemplate.dimension
        var codes = [UInt8](), scales = [Float]()
        codes.reserveCapacity(backend.cohort.count)
        for row in 0..<backend.cohortCount {
            let (q, scale) = Self.quantizeRow(Array(backend.cohort[row * d..<(row + 1) * d]))
            codes.append(contentsOf: q.map { UInt8(bitPattern: $0) })
            scales.append(scale)
        }
        formatVersion = ComparisonBackend.formatVersion
        method = ComparisonBackend.method
        baseModel = backend.baseModel
        templateModel = backend.model
        cohortTopK = backend.cohortTopK
        foldAxis = backend.foldAxis
        cohortCodes = Data(codes).base64EncodedString()
        cohortScales = scales
        self.cohortSources = cohortSources
        meanOffset = backend.meanOffset
        probeWeight = backend.probeWeight
        self.calibration = calibration
        self.split = split
        self.candidates = candidates
        self.selectionRule = selectionRule
        self.command = command
    }

    /// Symmetric int8 with one step per row (largest magnitude -> 127). The trainer puts its
    /// cohort through this before building the back-end, so the values it measured are the
    /// values the file gives back, bit for bit.
    public static func quantizeRow(_ row: [Float]) -> ([Int8], Float) {
        let largest = row.reduce(0) { max($0, abs($1)) }
        let scale = largest > 0 ? largest / 127 : 1
        return (row.map { Int8(clamping: Int(($0 / scale).rounded())) }, scale)
    }

    /// Rows as the file gives them back.
    public static func dequantize(codes: [Int8], scales: [Float]) -> [Float] {
        let d = MatchTemplate.dimension
        var out = [Float](repeating: 0, count: codes.count)
        for row in 0..<scales.count { for i in 0..<d { out[row * d + i] = Float(codes[row * d + i]) * scales[row] } }
        return out
    }

    /// The back-end the file describes; refuses a file whose parameters no longer hash to
    /// its template model (edited by hand, or cut off).
    public func backend(file: String? = nil) throws -> ComparisonBackend {
        let op = "load comparison back-end"
        guard let bytes = Data(base64Encoded: cohortCodes) else {
            throw MatchError(code: .badFormat, operation: op, file: file, detail: "cohortCodes is not base64")
        }
        let d = MatchTemplate.dimension
        guard bytes.count == cohortScales.count * d else {
            throw MatchError(code: .badFormat, operation: op, file: file,
                             detail: "cohortCodes holds \(bytes.count) bytes, expected \(cohortScales.count) rows of \(d)")
        }
        let rows = Self.dequantize(codes: bytes.map { Int8(bitPattern: $0) }, scales: cohortScales)
        let backend: ComparisonBackend
        do {
            backend = try ComparisonBackend(baseModel: baseModel, cohortTopK: cohortTopK, foldAxis: foldAxis, cohort: rows,
                                            meanOffset: meanOffset, probeWeight: probeWeight)
        } catch let error as MatchError {
            throw MatchError(code: .badFormat, operation: op, file: file, detail: error.detail)
        }
        guard backend.model == templateModel else {
            throw MatchError(code: .corrupt, operation: op, file: file,
                             detail: "parameters hash to \(backend.model), the file says \(templateModel); retrain with 'waysidectl train comparison'")
        }
        guard calibration.model == templateModel else {
            throw MatchError(code: .calibration, operation: op, file: file,
                             detail: "thresholds are for \(calibration.model), the back-end makes \(templateModel)")
        }
        try calibration.checkConsistent(file: file)
        return backend
    }

    /// Reads a back-end file made for descriptors of `baseModel`. A missing file, bad JSON,
    /// another layout version or another base model throw a ``MatchError`` naming the file
    /// and the command that makes it.
    public static func load(from path: String, for baseModel: TemplateModel) throws -> (file: ComparisonBackendFile, backend: ComparisonBackend) {
        let op = "load comparison back-end"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MatchError(code: .calibration, operation: op, file: path,
                             detail: "file not found; run 'waysidectl train comparison' to produce it")
        }
        let file: ComparisonBackendFile
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = Self.nonFinite
        do { file = try decoder.decode(ComparisonBackendFile.self, from: data) } catch {
            throw MatchError(code: .badFormat, operation: op, file: path,
                             detail: "not a comparison back-end file (expected the JSON 'waysidectl train comparison' writes): \(error)")
        }
        guard file.formatVersion == ComparisonBackend.formatVersion, file.method == ComparisonBackend.method else {
            throw MatchError(code: .badFormat, operation: op, file: path,
                             detail: "format \(file.formatVersion) method \(file.method); this build reads format \(ComparisonBackend.formatVersion) method \(ComparisonBackend.method)")
        }
        guard file.baseModel == baseModel else {
            throw MatchError(code: .modelMismatch, operation: op, file: path,
                             detail: "trained on descriptors of \(file.baseModel), the station's engine is \(baseModel)")
        }
        return (file, try file.backend(file: path))
    }

    /// A candidate with no false match at all in a group has an unbounded ratio: JSON has no
    /// infinity, so it is written as the string "inf".
    static let nonFinite = JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// Writes the file (sorted keys, so re-runs diff cleanly).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = Self.nonFinite.encoding
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension JSONDecoder.NonConformingFloatDecodingStrategy {
    /// The matching encoding strategy.
    var encoding: JSONEncoder.NonConformingFloatEncodingStrategy {
        .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    }
}
