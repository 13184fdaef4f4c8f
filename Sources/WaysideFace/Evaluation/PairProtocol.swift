import Foundation

/// How one engine's descriptors are compared, always as a distance (lower is more
/// alike) so that one set of metrics serves every engine.
public enum DescriptorMetric: String, Sendable, Codable, Equatable {
    /// dlib's: Euclidean distance between ResNet descriptors.
    case euclidean
    /// SFace's: 1 - cosine similarity of L2-normalised features (0 same, 2 opposite).
    case cosine

    /// The distance of two descriptors.
    public func distance(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        var sum: Float = 0
        switch self {
        case .euclidean:
            for k in 0..<a.count { let d = a[k] - b[k]; sum += d * d }
            return sum.squareRoot()
        case .cosine:
            for k in 0..<a.count { sum += a[k] * b[k] }
            return 1 - sum
        }
    }

    /// The threshold each model's authors use: dlib's 0.6, and OpenCV's SFace cosine
    /// 0.363 (its FaceRecognizerSF sample), i.e. a distance of 0.637.
    public var customaryThreshold: Float {
        switch self {
        case .euclidean: 0.6
        case .cosine: 1 - 0.363
        }
    }
}

/// One engine's descriptors of a list of images, packed for the millions of impostor
/// comparisons (LFW's 3,811 images make 7.2 million).
struct DescriptorTable {
    private let values: [Float]
    private let present: [Bool]
    private let dim: Int
    let metric: DescriptorMetric

    /// Descriptors in image order; nil where the image failed to enrol.
    init(_ descriptors: [[Float]?], metric: DescriptorMetric, dim: Int = 128) {
        var values = [Float](repeating: 0, count: descriptors.count * dim)
        for (i, d) in descriptors.enumerated() {
            if let d { values.replaceSubrange(i * dim..<(i + 1) * dim, with: d.prefix(dim)) }
        }
        self.values = values
        self.present = descriptors.map { $0 != nil }
        self.dim = dim
        self.metric = metric
    }

    /// Whether image `i` has a descriptor.
    func enrolled(_ i: Int) -> Bool { present[i] }

    /// The distance of images `a` and `b`; nil when either failed to enrol.
    func distance(_ a: Int, _ b: Int) -> Float? {
        guard present[a], present[b] else { return nil }
        return values.withUnsafeBufferPointer { v in
            metric.distance(UnsafeBufferPointer(rebasing: v[(a * dim)..<(a * dim + dim)]),
                            UnsafeBufferPointer(rebasing: v[(b * dim)..<(b * dim + dim)]))
        }
    }
}

/// A verification protocol over a list of images (ISO/IEC 19795-1): which pairs are
/// genuine, and each image's identity, every cross-identity pair being an impostor one.
public struct PairProtocol: Sendable {
    /// Data set name.
    public var dataset: String
    /// The images, relative to the data set's folder.
    public var images: [String]
    /// Identity number of each image.
    public var identities: [Int]
    /// Genuine comparisons (indices into ``images``).
    public var genuine: [(Int, Int)]
    /// Pairs a protocol file lists with their truth (LFW's pairs.txt), for the accuracy
    /// at the customary threshold; empty where there is no such list.
    public var listed: [(Int, Int, same: Bool)]

    /// Makes a protocol.
    public init(dataset: String, images: [String], identities: [Int], genuine: [(Int, Int)],
                listed: [(Int, Int, same: Bool)]) {
        self.dataset = dataset
        self.images = images
        self.identities = identities
        self.genuine = genuine
        self.listed = listed
    }

    /// Calls `body(a, b)` for every pair a < b of different identities.
    static func forEachCrossIdentityPair(_ identities: [Int], _ body: (Int, Int) -> Void) {
        for a in identities.indices {
            for b in (a + 1)..<max(a + 1, identities.count) where identities[a] != identities[b] { body(a, b) }
        }
    }

    /// The figures of one engine's descriptors in `records`.
    public func result(records: [String: ImageRecord], metric: DescriptorMetric) -> VerificationResult {
        let table = DescriptorTable(images.map { records[$0]?.descriptor }, metric: metric)
        return result(records: records, customary: metric.customaryThreshold,
                      enrolled: table.enrolled, distance: table.distance)
    }

    /// The figures of any comparison: `enrolled(i)` says whether image i has a template,
    /// `distance(a, b)` compares two (nil: not comparable); `customary` is the threshold
    /// the listed-pair accuracy and ``VerificationMetrics/atCustomaryThreshold`` are read
    /// at (nil: neither is reported).
    func result(records: [String: ImageRecord], customary: Float?,
                enrolled: (Int) -> Bool, distance: (Int, Int) -> Float?) -> VerificationResult {
        var genuineDistances: [Float] = [], dropped = 0
        for (a, b) in genuine {
            if let d = distance(a, b) { genuineDistances.append(d) } else { dropped += 1 }
        }
        var correct = 0, counted = 0
        for (a, b, same) in listed {
            guard let customary, let d = distance(a, b) else { continue }
            counted += 1
            if (d < customary) == same { correct += 1 }
        }
        var impostor: [Float] = []
        Self.forEachCrossIdentityPair(identities) { a, b in
            if let d = distance(a, b) { impostor.append(d) }
        }
        let failed = images.indices.filter { !enrolled($0) }.count
        let metrics = VerificationMetrics(genuine: genuineDistances, impostor: impostor, customaryThreshold: customary)
        let compared = Double(genuineDistances.count)
        return VerificationResult(
            dataset: dataset, images: images.count, failedToEnrol: failed,
            failureToEnrolRate: Double(failed) / Double(max(1, images.count)),
            multipleFaces: images.filter { (records[$0]?.faces ?? 0) > 1 }.count,
            genuinePairsDropped: dropped,
            listedPairAccuracy: counted == 0 ? nil : Double(correct) / Double(counted),
            metrics: metrics,
            fnmrCountingDropped: metrics.atFMR.map { ($0.fnmr * compared + Double(dropped)) / max(1, compared + Double(dropped)) })
    }

    /// The figures of dlib's and SFace's distances fused: each z-normalised against its
    /// own impostor distances on this protocol, then averaged (score-level sum-rule
    /// fusion). An image one engine failed to enrol is compared by the other alone, so
    /// the fused matcher enrols every image either engine does (two images each enrolled
    /// by a different engine only have nothing to compare).
    ///
    /// The normalisation reads impostor distances only, never a genuine one, so it
    /// cannot be tuned to the genuine pairs it is measured on; a deployment would fix the
    /// four numbers (returned with the result) from a separate cohort.
    public func fusedResult(dlib: [String: ImageRecord], sface: [String: ImageRecord]) -> (VerificationResult, ScoreFusion) {
        let first = DescriptorTable(images.map { dlib[$0]?.descriptor }, metric: .euclidean)
        let second = DescriptorTable(images.map { sface[$0]?.descriptor }, metric: .cosine)
        var one = RunningMoments(), two = RunningMoments()
        Self.forEachCrossIdentityPair(identities) { a, b in
            if let d = first.distance(a, b) { one.add(d) }
            if let d = second.distance(a, b) { two.add(d) }
        }
        let fusion = ScoreFusion(dlibMean: one.mean, dlibSD: one.sd, sfaceMean: two.mean, sfaceSD: two.sd)
        // A record is the image's for the face-count figure: dlib's where it has one.
        let records = sface.merging(dlib) { _, d in d }
        let result = self.result(records: records, customary: nil, enrolled: { first.enrolled($0) || second.enrolled($0) },
                                 distance: { a, b in fusion.fuse(dlib: first.distance(a, b), sface: second.distance(a, b)) })
        return (result, fusion)
    }
}

/// Score-level fusion of dlib's and SFace's distances: the mean of the available
/// z-scores, each against that engine's impostor distribution (lower is more alike).
public struct ScoreFusion: Sendable, Codable, Equatable {
    /// Mean and standard deviation of dlib's impostor distances.
    public var dlibMean: Double, dlibSD: Double
    /// Mean and standard deviation of SFace's impostor distances (1 - cosine).
    public var sfaceMean: Double, sfaceSD: Double

    /// Makes a fusion from the two engines' impostor statistics.
    public init(dlibMean: Double, dlibSD: Double, sfaceMean: Double, sfaceSD: Double) {
        self.dlibMean = dlibMean
        self.dlibSD = dlibSD
        self.sfaceMean = sfaceMean
        self.sfaceSD = sfaceSD
    }

    /// The fused distance; nil when neither engine could compare.
    public func fuse(dlib: Float?, sface: Float?) -> Float? {
        let z = [dlib.map { (Double($0) - dlibMean) / dlibSD }, sface.map { (Double($0) - sfaceMean) / sfaceSD }]
            .compactMap { $0 }
        return z.isEmpty ? nil : Float(z.reduce(0, +) / Double(z.count))
    }
}

/// Mean and standard deviation in one pass (Welford), for millions of distances.
struct RunningMoments {
    private(set) var count = 0
    private(set) var mean = 0.0
    private var m2 = 0.0

    mutating func add(_ value: Float) {
        count += 1
        let x = Double(value), delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }

    /// Sample standard deviation; 1 when there are too few values to say (so a z-score
    /// stays finite).
    var sd: Double { count > 1 && m2 > 0 ? (m2 / Double(count - 1)).squareRoot() : 1 }
}
