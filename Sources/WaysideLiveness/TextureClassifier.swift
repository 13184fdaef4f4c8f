import Foundation

/// L2-regularised logistic regression fitted by Newton's method (iteratively
/// reweighted least squares) on standardised features.
///
/// Newton rather than gradient descent: a few hundred features and a few
/// thousand frames make the Hessian cheap, and the fit converges to the same
/// weights on every run and machine, so the committed weights are reproducible.
public struct LogisticRegression: Sendable, Equatable, Codable {
    /// Per-feature means subtracted before the weights apply.
    public var means: [Double]
    /// Per-feature standard deviations divided by (1 where a feature is constant).
    public var scales: [Double]
    /// One weight per feature.
    public var weights: [Double]
    /// The intercept.
    public var bias: Double

    /// A model from its parts (``fit(_:positive:lambda:maxIterations:)`` makes one from data).
    public init(means: [Double], scales: [Double], weights: [Double], bias: Double) {
        self.means = means
        self.scales = scales
        self.weights = weights
        self.bias = bias
    }

    /// The probability of the positive class (here: an attack).
    public func probability(_ features: [Double]) -> Double {
        var z = bias
        for k in weights.indices { z += weights[k] * (features[k] - means[k]) / scales[k] }
        return 1 / (1 + exp(-z))
    }

    /// Fits the model. `positive[i]` is the label of `samples[i]`; the two
    /// classes are weighted to count equally whatever their sizes; `lambda`
    /// is the L2 penalty on the standardised weights (the bias is free).
    public static func fit(_ samples: [[Double]], positive: [Bool], lambda: Double,
                           maxIterations: Int = 30) throws -> LogisticRegression {
        guard let d = samples.first?.count, d > 0, samples.count == positive.count,
              samples.allSatisfy({ $0.count == d }) else {
            throw LivenessError(code: .badInput, operation: "train classifier",
                                detail: "needs equally long feature vectors and one label each")
        }
        let nPositive = positive.filter { $0 }.count, n = samples.count
        guard nPositive > 0, nPositive < n else {
            throw LivenessError(code: .badInput, operation: "train classifier", detail: "needs examples of both classes")
        }
        guard samples.allSatisfy({ $0.allSatisfy(\.isFinite) }), lambda > 0 else {
            throw LivenessError(code: .badInput, operation: "train classifier", detail: "non-finite feature or lambda <= 0")
        }
        var means = [Double](repeating: 0, count: d), scales = [Double](repeating: 0, count: d)
        for s in samples { for k in 0..<d { means[k] += s[k] } }
        for k in 0..<d { means[k] /= Double(n) }
        for s in samples { for k in 0..<d { scales[k] += (s[k] - means[k]) * (s[k] - means[k]) } }
        for k in 0..<d { let sd = (scales[k] / Double(n)).squareRoot(); scales[k] = sd > 1e-12 ? sd : 1 }
        // Standardised design matrix with a trailing 1 for the bias.
        let m = d + 1
        var x = [Double](repeating: 0, count: n * m)
        for i in 0..<n {
            for k in 0..<d { x[i * m + k] = (samples[i][k] - means[k]) / scales[k] }
            x[i * m + d] = 1
        }
        let classWeight = positive.map { $0 ? Double(n) / (2 * Double(nPositive)) : Double(n) / (2 * Double(n - nPositive)) }
        var w = [Double](repeating: 0, count: m)
        for _ in 0..<maxIterations {
            var gradient = [Double](repeating: 0, count: m)
            var hessian = [Double](repeating: 0, count: m * m)
            x.withUnsafeBufferPointer { xp in
                hessian.withUnsafeMutableBufferPointer { hp in
                    for i in 0..<n {
                        let row = xp.baseAddress! + i * m
                        var z = 0.0
                        for k in 0..<m { z += row[k] * w[k] }
                        let p = 1 / (1 + exp(-z))
                        let residual = classWeight[i] * (p - (positive[i] ? 1 : 0))
                        let curvature = classWeight[i] * max(p * (1 - p), 1e-10)
                        for k in 0..<m { gradient[k] += residual * row[k] }
                        for a in 0..<m {
                            let ra = curvature * row[a]
                            if ra == 0 { continue }
                            let h = hp.baseAddress! + a * m
                            for b in a..<m { h[b] += ra * row[b] }
                        }
                    }
                }
            }
            for k in 0..<d { gradient[k] += lambda * w[k]; hessian[k * m + k] += lambda }
            hessian[d * m + d] += 1e-8
            for a in 0..<m { for b in 0..<a { hessian[a * m + b] = hessian[b * m + a] } }
            let step = try Cholesky.solve(hessian, gradient, size: m)
            var change = 0.0
            for k in 0..<m { w[k] -= step[k]; change = max(change, abs(step[k])) }
            if change < 1e-7 { break }
        }
        return LogisticRegression(means: means, scales: scales, weights: Array(w.prefix(d)), bias: w[d])
    }
}

/// Solving a symmetric positive definite system by Cholesky factorisation.
enum Cholesky {
    static func solve(_ a: [Double], _ b: [Double], size n: Int) throws -> [Double] {
        var l = a
        for j in 0..<n {
            var diagonal = l[j * n + j]
            for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
            guard diagonal > 0 else {
                throw LivenessError(code: .degenerate, operation: "train classifier", detail: "the Hessian is not positive definite")
            }
            let root = diagonal.squareRoot()
            l[j * n + j] = root
            for i in (j + 1)..<max(j + 1, n) {
                var s = l[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / root
            }
        }
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= l[i * n + k] * y[k] }
            y[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<max(i + 1, n) { y[i] -= l[k * n + i] * y[k] }
            y[i] /= l[i * n + i]
        }
        return y
    }
}

/// The passive texture check as shipped: features, model, the operating
/// threshold and how they were made (Models/liveness-texture.json).
public struct TextureClassifier: Sendable, Equatable, Codable {
    /// How the weights were made, so anyone can remake them.
    public struct Provenance: Sendable, Equatable, Codable {
        /// The command that wrote the file.
        public var command: String
        /// The data set and its subjects used for training (never the test subjects).
        public var dataset: String
        /// Training subjects.
        public var trainSubjects: [String]
        /// Subjects held back for `waysidectl eval liveness`.
        public var testSubjects: [String]
        /// Training frames per class.
        public var bonaFideFrames: Int
        /// See ``bonaFideFrames``.
        public var attackFrames: Int
        /// The L2 penalty chosen, and the cross-validated log loss of each tried.
        public var lambda: Double
        /// Leave-one-subject-out log loss per lambda tried.
        public var crossValidatedLogLoss: [String: Double]
        /// The BPCER the threshold was set for, on the cross-validated training scores.
        public var thresholdBPCERTarget: Double

        /// Makes a record.
        public init(command: String, dataset: String, trainSubjects: [String], testSubjects: [String],
                    bonaFideFrames: Int, attackFrames: Int, lambda: Double,
                    crossValidatedLogLoss: [String: Double], thresholdBPCERTarget: Double) {
            self.command = command
            self.dataset = dataset
            self.trainSubjects = trainSubjects
            self.testSubjects = testSubjects
            self.bonaFideFrames = bonaFideFrames
            self.attackFrames = attackFrames
            self.lambda = lambda
            self.crossValidatedLogLoss = crossValidatedLogLoss
            self.thresholdBPCERTarget = thresholdBPCERTarget
        }
    }

    /// ``TextureFeatures/version`` the weights expect.
    public var featureVersion: String
    /// The model; its output is the probability of an attack.
    public var model: LogisticRegression
    /// Frames scoring at or above this are called attacks.
    public var threshold: Double
    /// Captures (several frames) whose mean frame score is at or above this are called attacks.
    public var sequenceThreshold: Double
    /// How it was made.
    public var provenance: Provenance

    /// Makes a classifier.
    public init(featureVersion: String, model: LogisticRegression, threshold: Double, sequenceThreshold: Double,
                provenance: Provenance) {
        self.featureVersion = featureVersion
        self.model = model
        self.threshold = threshold
        self.sequenceThreshold = sequenceThreshold
        self.provenance = provenance
    }

    /// The attack probability of one frame's features.
    public func attackScore(_ features: [Double]) throws -> Double {
        guard features.count == model.weights.count else {
            throw LivenessError(code: .badInput, operation: "texture score",
                                detail: "\(features.count) features, the model expects \(model.weights.count)")
        }
        return model.probability(features)
    }

    /// Reads a weights file; the error names the file and what is wrong with it.
    public static func load(path: String) throws -> TextureClassifier {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LivenessError(code: .badFile, operation: "load texture weights", file: path,
                                detail: "cannot read it; make it with 'waysidectl train liveness'")
        }
        let classifier: TextureClassifier
        do { classifier = try JSONDecoder().decode(TextureClassifier.self, from: data) } catch {
            throw LivenessError(code: .badFile, operation: "load texture weights", file: path, detail: "not valid weights: \(error)")
        }
        guard classifier.featureVersion == TextureFeatures.version else {
            throw LivenessError(code: .badFile, operation: "load texture weights", file: path,
                                detail: "made for features \(classifier.featureVersion), this build computes \(TextureFeatures.version); retrain")
        }
        let d = classifier.model.weights.count
        guard d == TextureFeatures.count, classifier.model.means.count == d, classifier.model.scales.count == d,
              (classifier.model.weights + classifier.model.means + classifier.model.scales).allSatisfy(\.isFinite) else {
            throw LivenessError(code: .badFile, operation: "load texture weights", file: path, detail: "wrong sizes or non-finite weights")
        }
        return classifier
    }
}
