import Foundation
import Synchronization
import WaysideCore
import WaysideLiveness

/// Error rates of the passive texture check on one set of presentations,
/// after ISO/IEC 30107-3.
public struct PADFigures: Sendable, Codable, Equatable {
    /// APCER of one attack type (PAI species) at a threshold.
    public struct AttackType: Sendable, Codable, Equatable {
        /// NUAA position code and its meaning.
        public var type: String
        /// Presentations of this type.
        public var count: Int
        /// Share of them called bona fide.
        public var apcer: Double
    }

    /// One threshold and the rates there.
    public struct Operating: Sendable, Codable, Equatable {
        /// Attack-score threshold (at or above: attack).
        public var threshold: Double
        /// BPCER there.
        public var bpcer: Double
        /// APCER per attack type.
        public var apcerPerType: [AttackType]
        /// The largest APCER over the types (ISO/IEC 30107-3 worst case).
        public var worstCaseAPCER: Double
        /// APCER over all attacks pooled.
        public var pooledAPCER: Double
    }

    /// Bona fide presentations.
    public var bonaFide: Int
    /// Attack presentations.
    public var attacks: Int
    /// At the threshold shipped in the weights file (set on training subjects).
    public var atShippedThreshold: Operating
    /// At the threshold where this set's BPCER is 2% (read off the DET curve, not an operating point).
    public var atBPCER2Percent: Operating
    /// DET curve: `fmr` is APCER (all attacks pooled), `fnmr` is BPCER.
    public var det: [OperatingPoint]
    /// Where APCER and BPCER cross.
    public var eer: OperatingPoint

    /// Figures from scores; `types[i]` is the attack type of `attack[i]`.
    public init(bonaFide bf: [Double], attack: [Double], types: [String], shippedThreshold: Double) {
        bonaFide = bf.count
        attacks = attack.count
        func operating(_ t: Double) -> Operating {
            let names = Array(Set(types)).sorted()
            let per = names.map { name in
                let scores = attack.indices.filter { types[$0] == name }.map { attack[$0] }
                return AttackType(type: name, count: scores.count, apcer: PADMetrics.apcer(attack: scores, threshold: t))
            }
            return Operating(threshold: t, bpcer: PADMetrics.bpcer(bonaFide: bf, threshold: t), apcerPerType: per,
                             worstCaseAPCER: per.map(\.apcer).max() ?? 0,
                             pooledAPCER: PADMetrics.apcer(attack: attack, threshold: t))
        }
        atShippedThreshold = operating(shippedThreshold)
        atBPCER2Percent = operating(PADMetrics.threshold(bonaFide: bf, bpcer: 0.02))
        // The verification metrics read "distance below t is accepted": an attack
        // score below t is accepted as bona fide, so FMR is APCER and FNMR is BPCER.
        let metrics = VerificationMetrics(genuine: bf.map(Float.init), impostor: attack.map(Float.init))
        det = metrics.det
        eer = metrics.eer
    }
}

/// Bona fide rejections of the texture check per demographic group.
public struct GroupBPCER: Sendable, Codable, Equatable {
    /// "race=Black", "gender=female", ...
    public var group: String
    /// Faces in the group with a detected face (scored).
    public var scored: Int
    /// Faces where no face was found (not scored).
    public var noFace: Int
    /// Share of scored faces called attacks at the shipped threshold.
    public var bpcer: Double
}

/// The report of `waysidectl eval liveness`, written as `report.json`.
public struct LivenessReport: Sendable, Codable, Equatable {
    /// Data root used.
    public var dataRoot: String
    /// The weights file and what it says about itself.
    public var weights: String
    /// The command that made the weights.
    public var weightsCommand: String
    /// Feature version.
    public var featureVersion: String
    /// Subjects the classifier was trained on, and those tested here.
    public var trainSubjects: [String]
    /// See ``trainSubjects``.
    public var testSubjects: [String]
    /// NUAA test frames without a detected face (not scored), bona fide and attack.
    public var nuaaNoFace: [String: Int]
    /// Per frame on the NUAA test subjects.
    public var frames: PADFigures?
    /// Per sequence (mean frame score) on the NUAA test subjects.
    public var sequences: PADFigures?
    /// UTKFace (all bona fide stills) per group, at the shipped threshold.
    public var utkface: [GroupBPCER]
    /// Largest race-group BPCER over the smallest (goal: at most 1.25).
    public var utkRaceBPCERRatio: Double?
    /// Added milliseconds per frame by part.
    public var millisecondsPerFrame: [String: Double]
    /// Rendered visits (heads and prints from NUAA photos), if run.
    public var renderedVisits: [RenderedVisit]
    /// Whose photos were rendered (the test subjects unless asked otherwise).
    public var renderSubjects: [String] = []
    /// Planarity over patch tracks of every real NUAA test sequence.
    public var sequencePlanarity: [SequencePlanarity] = []
    /// What the figures do and do not cover.
    public var notes: [String]
}

/// The planarity check on one real NUAA sequence.
public struct SequencePlanarity: Sendable, Codable, Equatable {
    /// The sequence key.
    public var sequence: String
    /// Attack type, or "bona fide".
    public var type: String
    /// True for ImposterRaw.
    public var isAttack: Bool
    /// Frames with a face, tracked.
    public var frames: Int
    /// Most points tracked through one window.
    public var trackedPoints: Int
    /// Windows of 6 frames scored (at least 6 points survived).
    public var windowsScored: Int
    /// The median window score, when any window was scored.
    public var score: Double?
}

/// The attack types of NUAA by position code.
public enum NUAAAttackTypes {
    /// Names for the report.
    public static let names: [String: String] = [
        "00": "00 session-1 attack (not in the readme's list)",
        "01": "01 up-down rotate", "02": "02 up-down bend", "03": "03 left-right rotate",
        "04": "04 left-right bend", "08": "08 held still",
    ]

    /// The report name of a position code.
    public static func name(_ position: String) -> String { names[position] ?? position }
}

/// Runs the liveness evaluation.
public enum LivenessEvaluation {
    /// Scores every NUAA test frame and UTKFace face with `classifier`.
    public static func run(dataRoot: String, cacheDirectory: String?, workers: Int, classifier: TextureClassifier,
                           weightsPath: String, renders: Bool = true, renderTrainingSubjects: Bool = false,
                           progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in }) throws -> LivenessReport {
        var report = LivenessReport(dataRoot: dataRoot, weights: weightsPath, weightsCommand: classifier.provenance.command,
                                    featureVersion: classifier.featureVersion,
                                    trainSubjects: classifier.provenance.trainSubjects,
                                    testSubjects: LivenessSplit.testSubjects, nuaaNoFace: [:], frames: nil, sequences: nil,
                                    utkface: [], utkRaceBPCERRatio: nil, millisecondsPerFrame: [:], renderedVisits: [], notes: [])
        let overlap = Set(classifier.provenance.trainSubjects).intersection(LivenessSplit.testSubjects)
        guard overlap.isEmpty else {
            throw LivenessError(code: .badFile, operation: "eval liveness", file: weightsPath,
                                detail: "trained on test subjects \(overlap.sorted()); retrain with 'waysidectl train liveness'")
        }
        let fm = FileManager.default
        var timedFrames: [(LumaImage, PixelRect)] = []
        if fm.fileExists(atPath: dataRoot + "/nuaa") {
            let frames = NUAAFrame.all(root: dataRoot + "/nuaa").filter { LivenessSplit.testSubjects.contains($0.subject) }
            let batch = TextureFeatureBatch.nuaa(dataRoot: dataRoot, cacheDirectory: cacheDirectory, workers: workers)
            let out = try batch.run(frames.map(\.path)) { progress("nuaa \($0)", $1, $2) }
            let noFace = Set(out.noFace)
            report.nuaaNoFace = ["bona fide": frames.filter { !$0.isAttack && noFace.contains($0.path) }.count,
                                 "attack": frames.filter { $0.isAttack && noFace.contains($0.path) }.count]
            var bf: [Double] = [], attack: [Double] = [], types: [String] = []
            var sequenceScores: [String: (isAttack: Bool, type: String, scores: [Double])] = [:]
            for f in frames {
                guard let features = out.features[f.path] else { continue }
                let s = try classifier.attackScore(features)
                if f.isAttack { attack.append(s); types.append(NUAAAttackTypes.name(f.position)) } else { bf.append(s) }
                sequenceScores[f.sequence, default: (f.isAttack, NUAAAttackTypes.name(f.position), [])].scores.append(s)
            }
            report.frames = PADFigures(bonaFide: bf, attack: attack, types: types, shippedThreshold: classifier.threshold)
            let seqs = sequenceScores.values.map { ($0.isAttack, $0.type, $0.scores.reduce(0, +) / Double($0.scores.count)) }
            report.sequences = PADFigures(bonaFide: seqs.filter { !$0.0 }.map(\.2), attack: seqs.filter(\.0).map(\.2),
                                          types: seqs.filter(\.0).map(\.1), shippedThreshold: classifier.sequenceThreshold)
            // A few frames to time the features on (decoding is not counted: the kiosk has the frame already).
            if renders {
                // The first frame with a face of each bona fide sequence, on a head and as a print:
                // of the test subjects for the report, of the training subjects to set cut-offs on.
                let subjects = renderTrainingSubjects ? LivenessSplit.trainSubjects : LivenessSplit.testSubjects
                let pool = renderTrainingSubjects
                    ? NUAAFrame.all(root: dataRoot + "/nuaa").filter { subjects.contains($0.subject) && !$0.isAttack } : frames
                let boxes = renderTrainingSubjects ? try batch.run(pool.map(\.path)).boxes : out.boxes
                var firstOfSequence: [String: NUAAFrame] = [:]
                for f in pool where !f.isAttack && boxes[f.path] != nil && firstOfSequence[f.sequence] == nil {
                    firstOfSequence[f.sequence] = f
                }
                report.renderedVisits = try renderVisits(Array(firstOfSequence.values).sorted { $0.sequence < $1.sequence },
                                                         root: batch.root, workers: workers, progress: progress)
                report.renderSubjects = subjects
            }
            if renderTrainingSubjects {
                let trainFrames = NUAAFrame.all(root: dataRoot + "/nuaa").filter { LivenessSplit.trainSubjects.contains($0.subject) }
                report.sequencePlanarity = try sequencePlanarity(trainFrames, boxes: try batch.run(trainFrames.map(\.path)).boxes,
                                                                 root: batch.root, progress: progress)
            } else {
                report.sequencePlanarity = try sequencePlanarity(frames, boxes: out.boxes, root: batch.root, progress: progress)
            }
            // Forty frames spread over the test set.
            for f in stride(from: 0, to: frames.count, by: max(1, frames.count / 40)).map({ frames[$0] }) {
                guard let box = out.boxes[f.path] else { continue }
                let image = try RGBImage(contentsOfFile: batch.root + "/" + f.path)
                timedFrames.append((try LumaImage(width: image.width, height: image.height, pixels: image.luma()), box))
            }
        } else {
            report.notes.append("nuaa: \(dataRoot)/nuaa not found; no APCER/BPCER")
        }
        if fm.fileExists(atPath: dataRoot + "/utkface") {
            let files = Datasets.utkFaces(root: dataRoot + "/utkface")
            let out = try TextureFeatureBatch.utkface(dataRoot: dataRoot, cacheDirectory: cacheDirectory, workers: workers)
                .run(files) { progress("utkface \($0)", $1, $2) }
            var counts: [String: (scored: Int, noFace: Int, rejected: Int)] = [:]
            for file in files {
                let f = file.split(separator: "_")
                guard f.count >= 4, let gender = Int(f[1]), let race = Int(f[2]), Datasets.races.indices.contains(race) else { continue }
                for g in ["race=\(Datasets.races[race])", "gender=\(gender == 0 ? "male" : "female")"] {
                    var c = counts[g] ?? (0, 0, 0)
                    if let features = out.features[file] {
                        c.scored += 1
                        if try classifier.attackScore(features) >= classifier.threshold { c.rejected += 1 }
                    } else {
                        c.noFace += 1
                    }
                    counts[g] = c
                }
            }
            let order = Datasets.races.map { "race=\($0)" } + ["gender=male", "gender=female"]
            report.utkface = order.compactMap { g in
                counts[g].map { GroupBPCER(group: g, scored: $0.scored, noFace: $0.noFace,
                                           bpcer: Double($0.rejected) / Double(max(1, $0.scored))) }
            }
            let race = report.utkface.filter { $0.group.hasPrefix("race=") && $0.scored > 0 }.map(\.bpcer)
            if let lo = race.min(), let hi = race.max(), lo > 0 { report.utkRaceBPCERRatio = hi / lo }
        } else {
            report.notes.append("utkface: \(dataRoot)/utkface not found; no per-group BPCER")
        }
        report.millisecondsPerFrame = try timing(classifier: classifier, frames: timedFrames)
        return report
    }

    /// Tracks a face-box grid through windows of each sequence and scores planarity.
    /// NUAA kept frames far apart (numbers 20-30 apart in the moving attacks), so points
    /// that jump further than the tracker's search are lost rather than mis-tracked.
    static func sequencePlanarity(_ frames: [NUAAFrame], boxes: [String: PixelRect], root: String,
                                  progress: @escaping @Sendable (String, Int, Int) -> Void) throws -> [SequencePlanarity] {
        let bySequence = Dictionary(grouping: frames.filter { boxes[$0.path] != nil }, by: \.sequence)
        let keys = bySequence.keys.sorted()
        let shared = Mutex((next: 0, done: 0, results: [String: SequencePlanarity](), failure: String?.none))
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            while true {
                let index: Int? = shared.withLock { s in
                    guard s.failure == nil, s.next < keys.count else { return nil }
                    defer { s.next += 1 }
                    return s.next
                }
                guard let index else { return }
                let sequence = bySequence[keys[index]]!.sorted { $0.frame < $1.frame }
                do {
                    // Windows of 6 frames, each from a fresh grid on its first frame's face box:
                    // over a whole NUAA sequence (up to 100 kept frames) too few points survive.
                    // NUAA kept frames far apart (frame numbers 20-30 apart in the moving attacks): a wider
                    // search than a 15-30 frames/s kiosk needs. Chosen on the training subjects.
                    // Long gaps and webcam noise: matches must also hold tracked backwards.
                    let tracker = PatchTracker(searchRadius: 24, forwardBackwardLimit: 1), window = 6
                    let lumas = try sequence.map { f -> LumaImage in
                        let image = try RGBImage(contentsOfFile: root + "/" + f.path)
                        return try LumaImage(width: image.width, height: image.height, pixels: image.luma())
                    }
                    var windowScores: [Double] = [], alivePoints: [Int] = []
                    for start in stride(from: 0, to: max(0, lumas.count - window + 1), by: window) {
                        var points: [Point2?] = PatchTracker.grid(in: boxes[sequence[start].path]!)
                        var tracks = [points]
                        for k in (start + 1)..<(start + window) {
                            points = tracker.track(points, from: lumas[k - 1], to: lumas[k])
                            tracks.append(points)
                        }
                        let alive = (0..<points.count).filter { k in tracks.allSatisfy { $0[k] != nil } }
                        alivePoints.append(alive.count)
                        if alive.count >= 6, let score = try? PlanarityCheck().evaluate(tracks.map { t in alive.map { t[$0]! } }).score {
                            windowScores.append(score)
                        }
                    }
                    // The median window: one window of failed tracking does not decide.
                    let score: Double? = windowScores.isEmpty ? nil : windowScores.sorted()[windowScores.count / 2]
                    let first = sequence[0]
                    let result = SequencePlanarity(sequence: keys[index], type: first.isAttack ? NUAAAttackTypes.name(first.position) : "bona fide",
                                                   isAttack: first.isAttack, frames: sequence.count, trackedPoints: alivePoints.max() ?? 0,
                                                   windowsScored: windowScores.count, score: score)
                    let done = shared.withLock { s in
                        s.results[keys[index]] = result
                        s.done += 1
                        return s.done
                    }
                    progress("planarity", done, keys.count)
                } catch {
                    shared.withLock { $0.failure = "\(keys[index]): \(error)" }
                }
            }
        }
        let (results, failure) = shared.withLock { ($0.results, $0.failure) }
        if let failure { throw LivenessError(code: .badFile, operation: "sequence planarity", detail: failure) }
        return keys.compactMap { results[$0] }
    }

    /// A head visit and a print visit per source, with the same random plan (seed = index).
    static func renderVisits(_ sources: [NUAAFrame], root: String, workers: Int,
                             progress: @escaping @Sendable (String, Int, Int) -> Void) throws -> [RenderedVisit] {
        let jobs = sources.enumerated().flatMap { index, frame in FaceRender.Surface.allCases.map { (index, frame, $0) } }
        let shared = Mutex((next: 0, done: 0, visits: [Int: RenderedVisit](), failure: String?.none))
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, jobs.count))) { _ in
            let engine: DlibFaceEngine
            do { engine = try DlibFaceEngine(models: .standard(), options: .live) } catch {
                shared.withLock { $0.failure = "\(error)" }
                return
            }
            while true {
                let job: Int? = shared.withLock { s in
                    guard s.failure == nil, s.next < jobs.count else { return nil }
                    defer { s.next += 1 }
                    return s.next
                }
                guard let job else { return }
                let (index, frame, surface) = jobs[job]
                do {
                    var generator = SeededRandom(seed: UInt64(index + 1))
                    let plan = ChallengePlan.random(using: &generator)
                    let image = try RGBImage(contentsOfFile: root + "/" + frame.path)
                    let visit = try RenderedVisits.run(engine: engine, image: image, source: frame.path, surface: surface, plan: plan)
                    let done = shared.withLock { s in
                        if let visit { s.visits[job] = visit }
                        s.done += 1
                        return s.done
                    }
                    progress("renders", done, jobs.count)
                } catch {
                    shared.withLock { $0.failure = "\(frame.path): \(error)" }
                }
            }
        }
        let (visits, failure) = shared.withLock { ($0.visits, $0.failure) }
        if let failure { throw LivenessError(code: .badFile, operation: "rendered visits", detail: failure) }
        return visits.keys.sorted().map { visits[$0]! }
    }

    /// Milliseconds per frame of each part, median of repeated runs on this machine.
    static func timing(classifier: TextureClassifier, frames: [(LumaImage, PixelRect)]) throws -> [String: Double] {
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        var out: [String: Double] = [:]
        if !frames.isEmpty {
            var times: [Double] = []
            for (luma, box) in frames {
                let start = ContinuousClock.now
                _ = try classifier.attackScore(try TextureFeatures.extract(from: luma, box: box))
                times.append(ms(start.duration(to: .now)))
            }
            out["texture features + score"] = times.sorted()[times.count / 2]
            // Tracking the 25-point grid from one frame to the next (search +-10 px, as in the kiosk).
            var trackTimes: [Double] = []
            for (previous, next) in zip(frames, frames.dropFirst()) where previous.0.width == next.0.width && previous.0.height == next.0.height {
                let start = ContinuousClock.now
                _ = PatchTracker().track(PatchTracker.grid(in: previous.1), from: previous.0, to: next.0)
                trackTimes.append(ms(start.duration(to: .now)))
            }
            if !trackTimes.isEmpty { out["patch tracking, 25 points"] = trackTimes.sorted()[trackTimes.count / 2] }
        }
        // Pose and one challenge step on synthetic five-point landmarks.
        let frontal = [Point2(x: 365, y: 170), Point2(x: 335, y: 170), Point2(x: 255, y: 170), Point2(x: 285, y: 170), Point2(x: 310, y: 222)]
        let estimator = HeadPoseEstimator(frontal: try LandmarkGeometry(landmarks: frontal))
        var start = ContinuousClock.now
        var sink = 0.0
        for k in 0..<10_000 {
            var moved = frontal
            moved[4].x += Double(k % 20)
            sink += try estimator.pose(of: moved).yaw
        }
        out["head pose"] = ms(start.duration(to: .now)) / 10_000
        // A homography over 20 tracked points between two frames.
        let a: [Point2] = (0..<20).map { k in
            let x: Double = Double((k * 37) % 100) + 200
            let y: Double = Double((k * 53) % 120) + 150
            return Point2(x: x, y: y)
        }
        let b: [Point2] = a.map { p in
            let bend: Double = 0.0001 * p.y * p.y
            return Point2(x: p.x * 1.02 + 3 + bend, y: p.y * 0.98 - 2)
        }
        start = ContinuousClock.now
        for _ in 0..<200 { sink += try Homography.fit(from: a, to: b).matrix[0] }
        out["homography fit, 20 points"] = ms(start.duration(to: .now)) / 200
        // Keeps the optimiser from dropping the timed work as unused.
        guard sink.isFinite else {
            throw LivenessError(code: .degenerate, operation: "timing", detail: "a pose or homography came out non-finite")
        }
        return out
    }

    /// Writes `report.json`, `det.svg` and `groups.svg`; returns the paths.
    @discardableResult
    public static func write(_ report: LivenessReport, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var written = [directory + "/report.json"]
        try encoder.encode(report).write(to: URL(fileURLWithPath: written[0]))
        var series: [(name: String, points: [OperatingPoint])] = []
        if let f = report.frames { series.append(("NUAA test subjects, per frame", f.det)) }
        if let s = report.sequences { series.append(("NUAA test subjects, per sequence", s.det)) }
        if !series.isEmpty {
            let path = directory + "/det.svg"
            try Charts.det(series, title: "DET: texture liveness (LBP + spectrum, logistic regression)",
                           xLabel: "APCER (attacks accepted)", yLabel: "BPCER (bona fide rejected)")
                .write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        if !report.utkface.isEmpty {
            let path = directory + "/groups.svg"
            try Charts.bars(report.utkface.map(\.group), rates: [("BPCER at the shipped threshold", report.utkface.map(\.bpcer))],
                            title: "UTKFace stills: texture check false rejects per group")
                .write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        return written
    }
}
