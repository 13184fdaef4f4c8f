import ArgumentParser
import Foundation
import WaysideFace
import WaysideMatch

/// `waysidectl train comparison`: the calibrated comparison back-end (issue 8), chosen among
/// candidates on validation identities and written with its thresholds and split record.
struct TrainComparison: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "comparison",
        abstract: "Train the calibrated comparison back-end on the training identities; write Models/comparison-backend.json (dlib) or Models/comparison-backend-sface.json.",
        discussion: "Split rules, candidates and selection: docs/fairness.md. The report identities are loaded only to be listed in the split record.")

    @Option(help: "Folder with lfw/, nuaa/, utkface/ (default: ../shared/data from the project root).")
    var data: String?

    @Option(help: "Descriptors to train on: dlib (the kiosk's engine) or sface.")
    var engine: FaceEngineKind = .dlib

    @Option(help: "False match rate the threshold is set for.")
    var targetFMR = 1e-4

    @Option(help: "Where to write the back-end (default: the engine's file in Models/).")
    var output: String?

    @Option(help: "Worker threads for descriptors the cache lacks.")
    var workers = 2

    func run() throws {
        let root = data ?? Eval.defaultDataRoot()
        let output = self.output ?? ComparisonCommands.defaultBackend(engine)
        let bar = EvalProgressBar()
        let (samples, skipped) = try ComparisonData.load(dataRoot: root, cacheDirectory: FaceModelFiles.cacheDirectory(), workers: workers,
                                                         engine: engine) { bar.update($0, $1, $2) }
        bar.finish()
        for s in skipped { print("skipped \(s)") }
        ComparisonCommands.describe(samples)
        // dlib's command is written as before the option existed, so retraining the shipped
        // file reproduces it exactly; another engine is named.
        var command = "waysidectl train comparison" + (engine == .dlib ? "" : " --engine \(engine.rawValue)")
            + " --target-fmr \(targetFMR) --output \(output)"
        if let data { command += " --data \(data)" }
        let trainer = ComparisonTrainer(baseModel: engine.templateModel, targetFMR: targetFMR)
        let file = try trainer.train(samples, command: command) { print($0) }
        let c = file.calibration
        for (name, p) in [("review lower", c.reviewLower), ("threshold", c.threshold), ("review upper", c.reviewUpper)] {
            print(String(format: "%-13@ score >= %.4f  FMR %.2e (target %.0e)  FNMR %.2f%% (training pairs)", name, p.threshold, p.fmr, p.targetFMR, p.fnmr * 100))
        }
        print("template model: \(file.templateModel); cohort \(file.cohortScales.count) faces; \(file.split.trainIdentities.count) training and \(file.split.reportIdentities.count) report identities")
        try file.write(to: output)
        print("wrote \(output)")
    }
}

/// `waysidectl eval comparison`: raw cosine against the calibrated back-end on the report
/// identities, per group, with pictures.
struct EvalComparison: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "comparison",
        abstract: "Report raw and calibrated figures side by side on the report identities; write JSON and SVG pictures.")

    @Option(help: "Folder with lfw/, nuaa/, utkface/ (default: ../shared/data from the project root).")
    var data: String?

    @Option(help: "Descriptors to evaluate on: dlib (the kiosk's engine) or sface. The back-end must have been trained on the same engine.")
    var engine: FaceEngineKind = .dlib

    @Option(help: "The back-end file (default: the engine's file in Models/).")
    var backend: String?

    @Option(help: "Where to write the report (the files are prefixed comparison- for dlib, comparison-sface- for SFace).")
    var output = "eval-report"

    @Option(help: "The raw matcher's calibration, whose threshold is also reported per group (what ships without the back-end; default Models/match-calibration.json for dlib, none for SFace; skipped when absent).")
    var rawCalibration: String?

    @Option(help: "Worker threads for descriptors the cache lacks.")
    var workers = 2

    func run() throws {
        let root = data ?? Eval.defaultDataRoot()
        let backend = self.backend ?? ComparisonCommands.defaultBackend(engine)
        let (file, loaded) = try ComparisonBackendFile.load(from: backend, for: engine.templateModel)
        let bar = EvalProgressBar()
        let (samples, skipped) = try ComparisonData.load(dataRoot: root, cacheDirectory: FaceModelFiles.cacheDirectory(), workers: workers,
                                                         engine: engine) { bar.update($0, $1, $2) }
        bar.finish()
        for s in skipped { print("skipped \(s)") }
        ComparisonCommands.describe(samples)
        // Only dlib's raw matcher ships a calibration; an SFace one would be refused by model anyway.
        let rawCalibration = self.rawCalibration ?? (engine == .dlib ? "Models/match-calibration.json" : nil)
        let shipped = try rawCalibration.flatMap { path in
            FileManager.default.fileExists(atPath: path)
                ? try MatchCalibration.load(from: path, for: engine.templateModel).threshold.threshold : nil
        }
        let report = ComparisonReport.measure(samples, file: file, backend: loaded, shippedRawThreshold: shipped)
        print("back-end \(report.backend)")
        print(String(format: "thresholds for FMR %.0e, set on the training pairs: raw cosine >= %.4f, calibrated >= %.4f",
                     report.targetFMR, report.rawThreshold, report.calibratedThreshold))
        print("report identities only; FMR at those thresholds (x = measured / target):")
        print("group                          pairs        raw FMR         calibrated FMR  | at the 1e-3 thresholds: raw, calibrated")
        for g in report.groups {
            let note = g.resolvesTarget ? "" : "  (fewer than 3 expected at the target: not resolved)"
            print(String(format: "%-28@ %9d  %.2e (%6.1fx)  %.2e (%6.2fx)  | %.2e, %.2e", g.group, g.impostorPairs, g.rawFMR, g.rawFMR / report.targetFMR,
                         g.calibratedFMR, g.calibratedFMR / report.targetFMR, g.rawFMRAt1e3, g.calibratedFMRAt1e3) + note)
        }
        if let t = report.shippedRawThreshold {
            print(String(format: "raw cosine at the shipped threshold %.4f (%@, set on all LFW folds):", t, rawCalibration ?? ""))
            for g in report.groups { print(String(format: "  %-28@ FMR %.2e (%.1fx)", g.group, g.shippedRawFMR ?? 0, (g.shippedRawFMR ?? 0) / report.targetFMR)) }
            for v in report.verification {
                print(String(format: "  %@ FNMR at the shipped threshold: %.2f%%", v.dataset, (v.rawShippedFNMR ?? 0) * 100))
            }
        }
        print(String(format: "worst group ratio (resolved groups): raw %.1fx, calibrated %.2fx", report.worstRatioRaw, report.worstRatioCalibrated))
        for v in report.verification {
            func own(_ m: VerificationMetrics) -> String {
                m.atFMR.map { String(format: "%.2f%% @ %.0e", $0.fnmr * 100, $0.fmr) }.joined(separator: ", ")
            }
            print("\(v.dataset): \(v.raw.genuineCount) genuine, \(v.raw.impostorCount) impostor pairs")
            print("  FNMR at its own FMR: raw \(own(v.raw)); calibrated \(own(v.calibrated))")
            print(String(format: "  at the trained thresholds: raw FNMR %.2f%% FMR %.2e; calibrated FNMR %.2f%% FMR %.2e",
                         v.rawAtTrainedThreshold.fnmr * 100, v.rawAtTrainedThreshold.fmr,
                         v.calibratedAtTrainedThreshold.fnmr * 100, v.calibratedAtTrainedThreshold.fmr))
        }
        let written = try report.write(to: output, prefix: engine == .dlib ? "comparison" : "comparison-\(engine.rawValue)")
        print("wrote \(written.joined(separator: ", "))")
    }
}

enum ComparisonCommands {
    /// Each engine's committed back-end: dlib's keeps the name the station loads.
    static func defaultBackend(_ engine: FaceEngineKind) -> String {
        engine == .dlib ? "Models/comparison-backend.json" : "Models/comparison-backend-\(engine.rawValue).json"
    }

    static func describe(_ samples: [ComparisonSample]) {
        var counts: [String: [SplitRole: Int]] = [:]
        for s in samples { counts[s.source, default: [:]][s.role, default: 0] += 1 }
        for (source, roles) in counts.sorted(by: { $0.key < $1.key }) {
            print("\(source): \(roles[.fit] ?? 0) fit, \(roles[.validation] ?? 0) validation, \(roles[.report] ?? 0) report faces")
        }
    }
}
