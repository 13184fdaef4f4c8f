/// One point where a verification threshold sits.
public struct OperatingPoint: Sendable, Codable, Equatable {
    /// False match rate (ISO/IEC 19795-1): impostor comparisons accepted.
    public var fmr: Double
    /// False non-match rate: genuine comparisons rejected.
    public var fnmr: Double
    /// Distance threshold: a comparison matches when its distance is below it.
    public var threshold: Double

    /// Makes a point.
    public init(fmr: Double, fnmr: Double, threshold: Double) {
        self.fmr = fmr
        self.fnmr = fnmr
        self.threshold = threshold
    }
}

/// Verification error rates from genuine and impostor comparison distances
/// (lower distance = more alike), after ISO/IEC 19795-1.
public struct VerificationMetrics: Sendable, Codable, Equatable {
    /// Genuine comparisons counted.
    public var genuineCount: Int
    /// Impostor comparisons counted.
    public var impostorCount: Int
    /// FNMR at the thresholds where FMR is 1e-2, 1e-3 and 1e-4 (those the impostor count can resolve).
    public var atFMR: [OperatingPoint]
    /// Equal error rate and its threshold.
    public var eer: OperatingPoint
    /// The detection error trade-off curve, FMR from high to low.
    public var det: [OperatingPoint]
    /// The rates at the matcher's customary threshold (dlib's 0.6; SFace's cosine
    /// 0.363); nil for a matcher without one (a fused score).
    public var atCustomaryThreshold: OperatingPoint?

    /// Computes the metrics. `genuine` and `impostor` are distances; `customaryThreshold`
    /// is the distance its authors accept below (nil: none).
    public init(genuine: [Float], impostor: [Float], targets: [Double] = [1e-2, 1e-3, 1e-4],
                customaryThreshold: Float? = 0.6) {
        let g = genuine.sorted(), i = impostor.sorted()
        genuineCount = g.count
        impostorCount = i.count
        // Accept when distance < t. FMR(t) = #impostor < t / n; FNMR(t) = #genuine >= t / n.
        func point(at t: Float) -> OperatingPoint {
            let fm = Double(Self.countBelow(i, t)) / Double(max(1, i.count))
            let fnm = Double(g.count - Self.countBelow(g, t)) / Double(max(1, g.count))
            return OperatingPoint(fmr: fm, fnmr: fnm, threshold: Double(t))
        }
        // The largest threshold whose FMR does not exceed `target`: the k-th
        // smallest impostor distance, with k = floor(target * n).
        func threshold(forFMR target: Double) -> Float {
            guard !i.isEmpty else { return 0 }
            let k = Int((target * Double(i.count)).rounded(.down))
            return k >= i.count ? i[i.count - 1].nextUp : i[k]
        }
        atFMR = targets.filter { $0 * Double(i.count) >= 1 }.map { point(at: threshold(forFMR: $0)) }
        var det: [OperatingPoint] = []
        var target = 1.0
        while target * Double(i.count) >= 1 {
            det.append(point(at: threshold(forFMR: target)))
            target /= 1.25
        }
        self.det = det
        // EER: bisect on the threshold where FMR rises through FNMR.
        // From below every score: distances start at 0, a fused z-score goes negative.
        var low: Float = min(0, g.first ?? 0, i.first ?? 0), high: Float = max(g.last ?? 1, i.last ?? 1) + 1
        for _ in 0..<60 {
            let mid = (low + high) / 2
            let p = point(at: mid)
            if p.fmr < p.fnmr { low = mid } else { high = mid }
        }
        // Either side of the crossing, keep the point whose worse rate is lower
        // (with perfectly separated scores that is 0, not the average of the sides).
        let a = point(at: low), b = point(at: high)
        eer = max(a.fmr, a.fnmr) < max(b.fmr, b.fnmr) ? a : b
        atCustomaryThreshold = customaryThreshold.map { point(at: $0) }
    }

    /// Number of values in sorted `v` strictly below `t`.
    static func countBelow(_ v: [Float], _ t: Float) -> Int {
        var lo = 0, hi = v.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if v[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// Detection and quality-gate figures for one demographic group.
public struct GroupRates: Sendable, Codable, Equatable {
    /// Group label, e.g. "race=Black".
    public var group: String
    /// Images in the group.
    public var images: Int
    /// Images where a face was found.
    public var detected: Int
    /// Detected faces the quality gate turned away.
    public var gateRejected: Int
    /// detected / images.
    public var detectRate: Double { images == 0 ? 0 : Double(detected) / Double(images) }
    /// 1 - detectRate.
    public var missRate: Double { 1 - detectRate }
    /// gateRejected / detected.
    public var gateRejectRate: Double { detected == 0 ? 0 : Double(gateRejected) / Double(detected) }

    /// Makes the figures of one group.
    public init(group: String, images: Int, detected: Int, gateRejected: Int) {
        self.group = group
        self.images = images
        self.detected = detected
        self.gateRejected = gateRejected
    }

    enum CodingKeys: String, CodingKey { case group, images, detected, gateRejected, detectRate, gateRejectRate }

    /// Encodes the counts and the derived rates.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(images, forKey: .images)
        try c.encode(detected, forKey: .detected)
        try c.encode(gateRejected, forKey: .gateRejected)
        try c.encode(detectRate, forKey: .detectRate)
        try c.encode(gateRejectRate, forKey: .gateRejectRate)
    }

    /// Decodes the counts (rates are derived).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        group = try c.decode(String.self, forKey: .group)
        images = try c.decode(Int.self, forKey: .images)
        detected = try c.decode(Int.self, forKey: .detected)
        gateRejected = try c.decode(Int.self, forKey: .gateRejected)
    }
}
