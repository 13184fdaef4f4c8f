import Foundation
import WaysideFace
import WaysideMatch

/// Where the shared data and models are, deterministic random templates, and the
/// brute-force reference every search is checked against.
enum Support {
    static let projectRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let dataRoot = URL(fileURLWithPath: projectRoot + "/../shared/data").standardized.path
    static let model = LFWTemplates.model

    static var lfwPresent: Bool { FileManager.default.fileExists(atPath: dataRoot + "/lfw/pairs.txt") }
    static var modelsPresent: Bool { (try? FaceModelFiles.standard().checkPresent()) != nil }
    static let lfwMissing = "shared LFW or face models absent (\(dataRoot)/lfw, scripts/fetch-models): skipping"

    /// LFW templates, loaded once per process (through the evaluation's descriptor cache).
    static let lfw: Result<LFWTemplates, any Error> = Result {
        try LFWTemplates.load(dataRoot: dataRoot, cacheDirectory: FaceModelFiles.cacheDirectory(), workers: 2)
    }

    /// SplitMix64: reproducible across runs and platforms.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func gaussian() -> Float {
            let u = Double(next() >> 11) / Double(1 << 53), v = Double(next() >> 11) / Double(1 << 53)
            return Float((-2 * log(max(u, 1e-300))).squareRoot() * cos(2 * .pi * v))
        }
    }

    static func randomTemplates(_ count: Int, seed: UInt64, model: TemplateModel = model) throws -> [MatchTemplate] {
        var random = Random(state: seed)
        return try (0..<count).map { _ in
            try MatchTemplate(model: model, descriptor: (0..<MatchTemplate.dimension).map { _ in random.gaussian() })
        }
    }

    /// The reference: every live row scored in Double, sorted by score then slot.
    static func bruteForce(_ probe: MatchTemplate, rows: [MatchTemplate?], k: Int) -> [(slot: Int, score: Double)] {
        var scored: [(slot: Int, score: Double)] = []
        for (slot, row) in rows.enumerated() {
            guard let row else { continue }
            var s = 0.0
            for i in 0..<MatchTemplate.dimension { s += Double(row.unit[i]) * Double(probe.unit[i]) }
            scored.append((slot, s))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.slot < $1.slot }
        return Array(scored.prefix(k))
    }

    /// True when `found` is a correct top-k: at every rank its own reference score equals
    /// the reference's score at that rank (to float32 rounding), so only exact ties may
    /// come in another order.
    static func agrees(_ found: [Candidate], _ reference: [(slot: Int, score: Double)], rows: [MatchTemplate?], probe: MatchTemplate) -> Bool {
        guard found.count == reference.count else { return false }
        for (candidate, expected) in zip(found, reference) {
            guard let row = rows[candidate.slot] else { return false }
            var s = 0.0
            for i in 0..<MatchTemplate.dimension { s += Double(row.unit[i]) * Double(probe.unit[i]) }
            if abs(s - expected.score) > 1e-6 { return false }
        }
        return true
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("wayside-match-\(getpid())-\(UUID().uuidString.prefix(8))-\(name)").path
    }
}
