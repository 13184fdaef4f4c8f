import Foundation
import Testing
import WaysideCore
import WaysideLiveness

struct TextureTests {
    /// A synthetic face-sized patch: smooth shading, plus fine stripes when `printed`.
    static func patch(printed: Bool, seed: UInt64) throws -> LumaImage {
        var g = SeededGenerator(seed: seed)
        let w = 200, h = 200
        var pixels = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var v = 120 + 40 * sin(Double(x) / 30) * cos(Double(y) / 40) + Double.random(in: -6...6, using: &g)
                if printed { v += 18 * sin(Double(x + y) * 2.2) }
                pixels[y * w + x] = UInt8(max(0, min(255, v)))
            }
        }
        return try LumaImage(width: w, height: h, pixels: pixels)
    }

    @Test func featuresHaveTheDocumentedLengthAndAreFinite() throws {
        let box = PixelRect(x: 40, y: 40, width: 120, height: 120)
        let f = try TextureFeatures.extract(from: try Self.patch(printed: false, seed: 1), box: box)
        #expect(f.count == TextureFeatures.count)
        let finite = f.allSatisfy { $0.isFinite }
        #expect(finite)
        // Each LBP histogram sums to 1.
        for cell in 0..<10 {
            #expect(abs(f[cell * 59..<(cell + 1) * 59].reduce(0, +) - 1) < 1e-9)
        }
        // A perfectly flat image still gives finite features (no division by zero).
        let flat = try LumaImage(width: 64, height: 64, pixels: [UInt8](repeating: 90, count: 64 * 64))
        let flatFeatures = try TextureFeatures.extract(from: flat, box: PixelRect(x: 0, y: 0, width: 64, height: 64))
        #expect(flatFeatures.allSatisfy { $0.isFinite })
    }

    @Test func fineStripesMoveEnergyToHighFrequencies() throws {
        let box = PixelRect(x: 36, y: 36, width: 128, height: 128)
        let plain = try TextureFeatures.extract(from: try Self.patch(printed: false, seed: 2), box: box)
        let printed = try TextureFeatures.extract(from: try Self.patch(printed: true, seed: 2), box: box)
        // The last band family is the spectrum; its top quarter holds the stripes.
        let top = (TextureFeatures.count - 6)..<TextureFeatures.count
        let printedHigh: Double = printed[top].reduce(0, +), plainHigh: Double = plain[top].reduce(0, +)
        #expect(printedHigh > plainHigh + 1)
    }

    @Test func badInputIsRefused() {
        #expect(throws: LivenessError.self) { try LumaImage(width: 10, height: 10, pixels: [0, 1]) }
        let image = try! LumaImage(width: 10, height: 10, pixels: [UInt8](repeating: 0, count: 100))
        #expect(throws: LivenessError.self) { try image.crop(around: PixelRect(x: 0, y: 0, width: 0, height: 5), scale: 1, size: 64) }
    }

    @Test func logisticRegressionSeparatesSeparableData() throws {
        var g = SeededGenerator(seed: 5)
        var samples: [[Double]] = [], labels: [Bool] = []
        for i in 0..<200 {
            let positive = i % 3 == 0
            samples.append([Double.random(in: -1...1, using: &g) + (positive ? 2 : -2), Double.random(in: -1...1, using: &g), 7])
            labels.append(positive)
        }
        let model = try LogisticRegression.fit(samples, positive: labels, lambda: 1)
        let correct = zip(samples, labels).filter { (model.probability($0) >= 0.5) == $1 }.count
        #expect(correct == samples.count)
        // The uninformative second feature and the constant third get small weights.
        #expect(abs(model.weights[1]) < abs(model.weights[0]) / 5)
        #expect(model.weights[2] == 0 || abs(model.weights[2]) < 1e-6)
        #expect(throws: LivenessError.self) { try LogisticRegression.fit(samples, positive: labels.map { _ in true }, lambda: 1) }
    }

    @Test func padMetricsCountAtTheThreshold() {
        let bonaFide = (0..<100).map { Double($0) / 100 }          // 0.00 ... 0.99
        let t = PADMetrics.threshold(bonaFide: bonaFide, bpcer: 0.02)
        // Two scores (0.98, 0.99) may be rejected: the threshold sits just above 0.97.
        #expect(PADMetrics.bpcer(bonaFide: bonaFide, threshold: t) == 0.02)
        #expect(t > 0.97 && t <= 0.98)
        // Of these attacks only 0.5 scores below the threshold (called bona fide).
        #expect(PADMetrics.apcer(attack: [0.5, 0.975, 0.99, 1.0], threshold: t) == 0.25)
    }

    @Test func crossValidationChoosesAPenaltyAndThresholdOnTrainingSubjectsOnly() throws {
        var g = SeededGenerator(seed: 9)
        var samples: [[Double]] = [], labels: [Bool] = [], subjects: [String] = []
        for s in 0..<4 {
            for i in 0..<60 {
                let attack = i % 2 == 0
                samples.append([Double.random(in: -1...1, using: &g) + (attack ? 1 : -1), Double.random(in: -1...1, using: &g)])
                labels.append(attack)
                subjects.append("s\(s)")
            }
        }
        let sequences = samples.indices.map { "\(subjects[$0])-\(labels[$0])-\($0 % 6)" }
        let outcome = try TextureTraining.run(samples: samples, isAttack: labels, subjects: subjects, sequences: sequences,
                                              lambdas: [0.1, 1000], bpcerTarget: 0.05)
        // 4 subjects x 2 classes x 3 recordings each.
        #expect(outcome.heldOutSequenceBonaFide.count == 12 && outcome.heldOutSequenceAttack.count == 12)
        #expect(PADMetrics.bpcer(bonaFide: outcome.heldOutSequenceBonaFide, threshold: outcome.sequenceThreshold) <= 0.05)
        #expect(outcome.crossValidatedLogLoss.count == 2)
        #expect(outcome.heldOutBonaFide.count == 120 && outcome.heldOutAttack.count == 120)
        #expect(PADMetrics.bpcer(bonaFide: outcome.heldOutBonaFide, threshold: outcome.threshold) <= 0.05)
        // A huge penalty shrinks everything to the prior: worse held-out loss.
        #expect(outcome.lambda == 0.1)
    }

    @Test func weightsFilesAreCheckedOnLoad() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wayside-liveness-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("none.json").path
        #expect { try TextureClassifier.load(path: missing) } throws: { ($0 as? LivenessError)?.description.contains("waysidectl train liveness") == true }
        let d = TextureFeatures.count
        let model = LogisticRegression(means: .init(repeating: 0, count: d), scales: .init(repeating: 1, count: d),
                                       weights: .init(repeating: 0, count: d), bias: 0)
        let provenance = TextureClassifier.Provenance(command: "test", dataset: "none", trainSubjects: [], testSubjects: [],
                                                      bonaFideFrames: 0, attackFrames: 0, lambda: 1, crossValidatedLogLoss: [:],
                                                      thresholdBPCERTarget: 0.02)
        let stale = TextureClassifier(featureVersion: "old", model: model, threshold: 0.5, sequenceThreshold: 0.5, provenance: provenance)
        let path = dir.appendingPathComponent("w.json").path
        try JSONEncoder().encode(stale).write(to: URL(fileURLWithPath: path))
        #expect { try TextureClassifier.load(path: path) } throws: { ($0 as? LivenessError)?.description.contains("retrain") == true }
        var good = stale
        good.featureVersion = TextureFeatures.version
        try JSONEncoder().encode(good).write(to: URL(fileURLWithPath: path))
        let loaded = try TextureClassifier.load(path: path)
        #expect(try loaded.attackScore(.init(repeating: 0, count: d)) == 0.5)
        #expect(throws: LivenessError.self) { try loaded.attackScore([1, 2, 3]) }
    }
}
