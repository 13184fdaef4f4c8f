import Foundation

/// Training of the texture classifier with the choices made on the training
/// subjects only: the L2 penalty by leave-one-subject-out cross-validation,
/// and the threshold from the same held-out scores (so it is not set on
/// frames the model was fitted to, and never on the test subjects).
public enum TextureTraining {
    /// What training chose.
    public struct Outcome: Sendable {
        /// The model fitted on all training frames with the chosen penalty.
        public var model: LogisticRegression
        /// The chosen penalty.
        public var lambda: Double
        /// Mean held-out log loss per penalty tried.
        public var crossValidatedLogLoss: [Double: Double]
        /// Attack-score threshold: at most `bpcerTarget` of the held-out bona fide scores reach it.
        public var threshold: Double
        /// Held-out scores at the chosen penalty, bona fide and attack.
        public var heldOutBonaFide: [Double]
        /// See ``heldOutBonaFide``.
        public var heldOutAttack: [Double]
        /// Threshold on a sequence's mean frame score, set the same way on the
        /// held-out sequence means (a kiosk decides on a whole capture, not a frame).
        public var sequenceThreshold: Double
        /// Held-out sequence means, bona fide and attack.
        public var heldOutSequenceBonaFide: [Double]
        /// See ``heldOutSequenceBonaFide``.
        public var heldOutSequenceAttack: [Double]
    }

    /// Trains. `subjects[i]` names the person in `samples[i]`; folds leave one
    /// out. `sequences[i]` names the recording the frame belongs to.
    public static func run(samples: [[Double]], isAttack: [Bool], subjects: [String], sequences: [String],
                           lambdas: [Double], bpcerTarget: Double,
                           report: (String) -> Void = { _ in }) throws -> Outcome {
        guard samples.count == isAttack.count, samples.count == subjects.count, samples.count == sequences.count,
              !lambdas.isEmpty else {
            throw LivenessError(code: .badInput, operation: "train classifier", detail: "samples, labels and subjects differ in count")
        }
        let people = Array(Set(subjects)).sorted()
        guard people.count >= 2 else {
            throw LivenessError(code: .badInput, operation: "train classifier", detail: "cross-validation needs at least 2 subjects")
        }
        var losses: [Double: Double] = [:]
        var scoresByLambda: [Double: (bonaFide: [Double], attack: [Double])] = [:]
        var heldOutScore: [Double: [Double]] = [:]
        for lambda in lambdas {
            var loss = 0.0, count = 0
            var bonaFide: [Double] = [], attack: [Double] = []
            var scores = [Double](repeating: 0, count: samples.count)
            for person in people {
                let train = samples.indices.filter { subjects[$0] != person }
                let held = samples.indices.filter { subjects[$0] == person }
                let model = try LogisticRegression.fit(train.map { samples[$0] }, positive: train.map { isAttack[$0] }, lambda: lambda)
                for i in held {
                    let p = min(max(model.probability(samples[i]), 1e-12), 1 - 1e-12)
                    loss += isAttack[i] ? -log(p) : -log(1 - p)
                    count += 1
                    if isAttack[i] { attack.append(p) } else { bonaFide.append(p) }
                    scores[i] = p
                }
            }
            losses[lambda] = loss / Double(max(1, count))
            scoresByLambda[lambda] = (bonaFide, attack)
            heldOutScore[lambda] = scores
            report(String(format: "lambda %g: held-out log loss %.4f", lambda, losses[lambda]!))
        }
        let best = lambdas.min { losses[$0]! < losses[$1]! }!
        let model = try LogisticRegression.fit(samples, positive: isAttack, lambda: best)
        let held = scoresByLambda[best]!
        var sums: [String: (attack: Bool, sum: Double, count: Int)] = [:]
        for (i, score) in heldOutScore[best]!.enumerated() {
            sums[sequences[i], default: (isAttack[i], 0, 0)].sum += score
            sums[sequences[i], default: (isAttack[i], 0, 0)].count += 1
        }
        let means = sums.values.map { ($0.attack, $0.sum / Double($0.count)) }
        let sequenceBonaFide = means.filter { !$0.0 }.map(\.1), sequenceAttack = means.filter(\.0).map(\.1)
        return Outcome(model: model, lambda: best, crossValidatedLogLoss: losses,
                       threshold: PADMetrics.threshold(bonaFide: held.bonaFide, bpcer: bpcerTarget),
                       heldOutBonaFide: held.bonaFide, heldOutAttack: held.attack,
                       sequenceThreshold: PADMetrics.threshold(bonaFide: sequenceBonaFide, bpcer: bpcerTarget),
                       heldOutSequenceBonaFide: sequenceBonaFide, heldOutSequenceAttack: sequenceAttack)
    }
}

/// Presentation attack detection error rates after ISO/IEC 30107-3: a
/// presentation is called an attack when its attack score is at or above
/// the threshold.
public enum PADMetrics {
    /// Attack presentation classification error rate: attacks called bona fide.
    public static func apcer(attack: [Double], threshold: Double) -> Double {
        attack.isEmpty ? 0 : Double(attack.filter { $0 < threshold }.count) / Double(attack.count)
    }

    /// Bona fide presentation classification error rate: bona fide called attacks.
    public static func bpcer(bonaFide: [Double], threshold: Double) -> Double {
        bonaFide.isEmpty ? 0 : Double(bonaFide.filter { $0 >= threshold }.count) / Double(bonaFide.count)
    }

    /// The highest threshold whose BPCER on `bonaFide` does not exceed
    /// `bpcer` (the lowest APCER such a threshold allows).
    public static func threshold(bonaFide: [Double], bpcer: Double) -> Double {
        let sorted = bonaFide.sorted(by: >)
        guard !sorted.isEmpty else { return 1 }
        // Allowed rejections: floor(bpcer * n); the threshold sits just above the next score.
        let allowed = Int((bpcer * Double(sorted.count)).rounded(.down))
        return allowed >= sorted.count ? sorted[sorted.count - 1] : sorted[allowed].nextUp
    }
}
