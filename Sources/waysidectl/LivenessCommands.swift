import ArgumentParser
import Foundation
import WaysideFace
import WaysideLiveness

/// `waysidectl train liveness`: the texture classifier on the NUAA training
/// subjects, written with the command that made it.
struct TrainLiveness: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liveness",
        abstract: "Train the texture liveness classifier on NUAA's training subjects; write its weights.",
        discussion: """
            Subjects \(LivenessSplit.trainSubjects.joined(separator: ", ")) train; \
            \(LivenessSplit.testSubjects.joined(separator: ", ")) are never read here. The L2 penalty is chosen \
            by leave-one-subject-out cross-validation and the threshold set on the held-out training scores.
            """)

    @Option(help: "Folder with nuaa/ (default: ../shared/data from the project root).")
    var data: String?

    @Option(help: "Where to write the weights.")
    var output = "Models/liveness-texture.json"

    @Option(help: "BPCER the threshold is set for, on held-out training scores.")
    var bpcer = 0.02

    @Option(parsing: .upToNextOption, help: "L2 penalties to try.")
    var lambda: [Double] = [1, 10, 100, 1000]

    @Option(help: "Worker threads.")
    var workers = 2

    func run() throws {
        let root = data ?? Eval.defaultDataRoot()
        guard FileManager.default.fileExists(atPath: root + "/nuaa") else {
            throw ValidationError("no NUAA data at \(root)/nuaa; pass --data")
        }
        let frames = NUAAFrame.all(root: root + "/nuaa").filter { LivenessSplit.trainSubjects.contains($0.subject) }
        let bar = EvalProgressBar()
        let out = try TextureFeatureBatch.nuaa(dataRoot: root, cacheDirectory: FaceModelFiles.cacheDirectory(), workers: workers)
            .run(frames.map(\.path)) { bar.update("nuaa train \($0)", $1, $2) }
        bar.finish()
        let used = frames.filter { out.features[$0.path] != nil }
        print("NUAA training subjects: \(frames.count) frames, \(used.count) with a face "
              + "(\(used.filter { !$0.isAttack }.count) bona fide, \(used.filter(\.isAttack).count) attack)")
        let outcome = try TextureTraining.run(samples: used.map { out.features[$0.path]! }, isAttack: used.map(\.isAttack),
                                              subjects: used.map(\.subject), sequences: used.map(\.sequence),
                                              lambdas: lambda, bpcerTarget: bpcer) { print($0) }
        var command = "waysidectl train liveness --output \(output) --bpcer \(bpcer) --lambda \(lambda.map { "\($0)" }.joined(separator: " "))"
        if let data { command += " --data \(data)" }
        let classifier = TextureClassifier(
            featureVersion: TextureFeatures.version, model: outcome.model, threshold: outcome.threshold,
            sequenceThreshold: outcome.sequenceThreshold,
            provenance: .init(command: command, dataset: "NUAA Photograph Imposter Database (raw frames), face box by DlibFaceEngine HOG",
                              trainSubjects: LivenessSplit.trainSubjects, testSubjects: LivenessSplit.testSubjects,
                              bonaFideFrames: used.filter { !$0.isAttack }.count, attackFrames: used.filter(\.isAttack).count,
                              lambda: outcome.lambda,
                              crossValidatedLogLoss: Dictionary(uniqueKeysWithValues: outcome.crossValidatedLogLoss.map { ("\($0.key)", $0.value) }),
                              thresholdBPCERTarget: bpcer))
        print(String(format: "chose lambda %g; frame threshold %.4f: held-out training BPCER %.2f%%, APCER %.2f%% (%d bona fide, %d attack frames)",
                     outcome.lambda, outcome.threshold,
                     PADMetrics.bpcer(bonaFide: outcome.heldOutBonaFide, threshold: outcome.threshold) * 100,
                     PADMetrics.apcer(attack: outcome.heldOutAttack, threshold: outcome.threshold) * 100,
                     outcome.heldOutBonaFide.count, outcome.heldOutAttack.count))
        print(String(format: "sequence threshold %.4f: held-out training BPCER %.2f%%, APCER %.2f%% (%d bona fide, %d attack sequences)",
                     outcome.sequenceThreshold,
                     PADMetrics.bpcer(bonaFide: outcome.heldOutSequenceBonaFide, threshold: outcome.sequenceThreshold) * 100,
                     PADMetrics.apcer(attack: outcome.heldOutSequenceAttack, threshold: outcome.sequenceThreshold) * 100,
                     outcome.heldOutSequenceBonaFide.count, outcome.heldOutSequenceAttack.count))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try encoder.encode(classifier).write(to: URL(fileURLWithPath: output), options: .atomic)
        print("wrote \(output)")
    }
}

/// `waysidectl eval liveness`: APCER per attack type, BPCER, DET on the NUAA
/// test subjects, BPCER per UTKFace group, milliseconds per frame.
struct EvalLiveness: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liveness",
        abstract: "Evaluate liveness: the texture check (ISO/IEC 30107-3 APCER/BPCER), rendered challenge visits, planarity; write report.json, det.svg, groups.svg.")

    @Option(help: "Folder with nuaa/ and utkface/ (default: ../shared/data from the project root).")
    var data: String?

    @Option(help: "The weights to evaluate.")
    var weights = "Models/liveness-texture.json"

    @Option(help: "Where to write the report.")
    var output = "eval-liveness"

    @Option(help: "Worker threads.")
    var workers = 2

    @Flag(help: "Skip the rendered head and print visits (the slowest part: the detector runs on every rendered frame).")
    var skipRenders = false

    @Flag(help: "Render and track the training subjects instead of the test subjects (to set cut-offs and develop without the test split); the texture figures stay on the test subjects.")
    var renderTrainingSubjects = false

    func run() throws {
        let root = data ?? Eval.defaultDataRoot()
        let classifier = try TextureClassifier.load(path: weights)
        let bar = EvalProgressBar()
        var report = try LivenessEvaluation.run(dataRoot: root, cacheDirectory: FaceModelFiles.cacheDirectory(), workers: workers,
                                                classifier: classifier, weightsPath: weights,
                                                renders: !skipRenders, renderTrainingSubjects: renderTrainingSubjects) { bar.update($0, $1, $2) }
        bar.finish()
        report.notes += [
            "frames, sequences, utkface: the passive texture check alone on real NUAA frames (per frame, and per sequence as the mean frame score) and UTKFace stills; none comes from renders.",
            "renderedVisits: FROM RENDERS. NUAA test-subject photos laid on an ellipsoid head (bona fide) or a flat card (print attack), turned as a cooperative person follows the prompts; real detector, challenge on a stepped clock, planarity over patch tracks.",
            "sequencePlanarity: real NUAA sequences, tracked in windows of 6 kept frames; moving prints are not trackable across NUAA's gaps between kept frames.",
        ]
        let files = try LivenessEvaluation.write(report, to: output)
        for (name, figures) in [("per frame", report.frames), ("per sequence", report.sequences)] {
            guard let f = figures else { continue }
            print("NUAA test subjects \(name): \(f.bonaFide) bona fide, \(f.attacks) attack")
            for (label, op) in [("shipped threshold", f.atShippedThreshold), ("BPCER 2% on test", f.atBPCER2Percent)] {
                print(String(format: "  at %@ %.4f: BPCER %.2f%%, worst-case APCER %.2f%%, pooled APCER %.2f%%",
                             label, op.threshold, op.bpcer * 100, op.worstCaseAPCER * 100, op.pooledAPCER * 100))
                for t in op.apcerPerType { print(String(format: "    APCER %-44@ n=%4d  %.2f%%", t.type, t.count, t.apcer * 100)) }
            }
            print(String(format: "  EER %.2f%%", max(f.eer.fmr, f.eer.fnmr) * 100))
        }
        if !report.nuaaNoFace.isEmpty { print("NUAA test frames without a face: \(report.nuaaNoFace)") }
        for g in report.utkface {
            print(String(format: "utkface %-14@ scored %4d (no face %3d)  BPCER %.2f%%", g.group, g.scored, g.noFace, g.bpcer * 100))
        }
        if let r = report.utkRaceBPCERRatio { print(String(format: "utkface race BPCER ratio max/min %.2f", r)) }
        for surface in FaceRender.Surface.allCases {
            let visits = report.renderedVisits.filter { $0.surface == surface }
            guard !visits.isEmpty else { continue }
            let times = visits.compactMap(\.secondsToPass).sorted()
            let scores = visits.compactMap(\.planarityScore).sorted()
            print("rendered \(surface.rawValue) visits (subjects \(report.renderSubjects.joined(separator: " "))): \(visits.filter(\.passed).count) of \(visits.count) passed the challenge"
                  + (times.isEmpty ? "" : String(format: "; seconds to pass median %.2f, max %.2f", times[times.count / 2], times.last!)))
            print("  planarity scores: " + scores.map { String(format: "%.4f", $0) }.joined(separator: " ")
                  + " (\(visits.count - scores.count) without enough tracked points)")
            for v in visits where !v.passed { print("  \(v.source): \(v.outcome), largest yaw \(Int(v.largestYaw)), pitch \(Int(v.largestPitch))") }
        }
        if !report.sequencePlanarity.isEmpty {
            print("planarity on real NUAA sequences of subjects \(Array(Set(report.sequencePlanarity.map { String($0.sequence.split(separator: "/")[1].prefix(4)) })).sorted().joined(separator: " ")) (planar below \(PlanarityCheck().planarBelow)):")
            for type in Array(Set(report.sequencePlanarity.map(\.type))).sorted() {
                let runs = report.sequencePlanarity.filter { $0.type == type }
                let scored = runs.compactMap(\.score)
                print(String(format: "  %-44@ sequences %2d, scored %2d (%d windows), called planar %2d; median-window scores %@", type, runs.count, scored.count,
                             runs.map(\.windowsScored).reduce(0, +),
                             scored.filter { $0 < PlanarityCheck().planarBelow }.count,
                             scored.sorted().map { String(format: "%.3f", $0) }.joined(separator: " ")))
            }
        }
        for (k, v) in report.millisecondsPerFrame.sorted(by: { $0.key < $1.key }) { print(String(format: "ms/frame %@: %.4f", k, v)) }
        print("wrote \(files.joined(separator: ", "))")
    }
}
