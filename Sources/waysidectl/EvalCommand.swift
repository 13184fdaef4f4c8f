import ArgumentParser
import Foundation
import WaysideFace

/// `waysidectl eval`: the face engine (the default, `eval face`) or the
/// liveness check (`eval liveness`).
///
/// The face evaluation is a default subcommand rather than the parent's own
/// run: options of a parent are also accepted after a subcommand's name, so a
/// parent `--output` would swallow `eval liveness --output`.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate the face engine (default), the liveness check or the comparison back-end on the shared data sets.",
        subcommands: [EvalFace.self, EvalLiveness.self, EvalComparison.self],
        defaultSubcommand: EvalFace.self)

    /// `../shared/data` relative to the project root (the current folder, or the
    /// folder holding Package.swift above it).
    static func defaultDataRoot() -> String {
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { break }
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("../shared/data").standardized.path
    }
}

/// `waysidectl eval [face]`: run the face engine over the shared data sets and write
/// a report (JSON, DET curve, per-group bar chart).
struct EvalFace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "face",
        abstract: "Evaluate the face engines (dlib, YuNet + SFace, their fused score) on LFW, NUAA and UTKFace; write report.json, det.svg, groups.svg.")

    @Option(help: "Folder with lfw/, nuaa/, utkface/ (default: ../shared/data from the project root).")
    var data: String?

    @Option(help: "Where to write the report.")
    var output = "eval-report"

    @Option(help: "Data sets to run (lfw, nuaa, utkface); all when omitted.")
    var dataset: [EvaluationRun.Dataset] = []

    @Option(help: "Worker threads, one engine each.")
    var workers = 2

    @Option(help: "Quick slice: LFW pairs per fold (of each kind).")
    var lfwPairsPerFold: Int?

    @Option(help: "Quick slice: only the first n LFW folds.")
    var lfwFolds: Int?

    @Option(help: "Quick slice: every n-th NUAA frame and UTKFace crop.")
    var every = 1

    @Option(help: "Engines to run (dlib, sface); both when omitted, and then their fused score too.")
    var engine: [FaceEngineKind] = []

    @Flag(help: "Do not read or write the descriptor cache.")
    var noCache = false

    func run() throws {
        let root = data ?? Eval.defaultDataRoot()
        let cache = noCache ? nil : FaceModelFiles.cacheDirectory()
        let run = EvaluationRun(dataRoot: root, cacheDirectory: cache, workers: workers,
                                datasets: dataset.isEmpty ? EvaluationRun.Dataset.allCases : dataset,
                                lfwPairsPerFold: lfwPairsPerFold, lfwFolds: lfwFolds, nuaaEvery: every, utkEvery: every,
                                engines: engine.isEmpty ? FaceEngineKind.allCases : engine)
        let bar = EvalProgressBar()
        let report = try run.run { name, done, total in bar.update(name, done, total) }
        bar.finish()
        for s in report.skipped { print("skipped \(s)") }
        let files = try EvaluationRun.write(report, to: output)
        Self.summarise(report)
        print("wrote \(files.joined(separator: ", "))")
    }

    static func summarise(_ r: EvaluationReport) {
        let matchers: [(String, VerificationResult?)] = [
            ("dlib", r.lfw), ("dlib", r.nuaa), ("sface", r.sface?.lfw), ("sface", r.sface?.nuaa),
            ("fused", r.fused?.lfw), ("fused", r.fused?.nuaa),
        ]
        for (name, result) in matchers {
            guard let v = result else { continue }
            let m = v.metrics
            let points = m.atFMR.map { String(format: "FNMR %.2f%% @ FMR %.0e (t=%.3f)", $0.fnmr * 100, $0.fmr, $0.threshold) }
            print("\(v.dataset) \(name): \(v.images) images, FTE \(v.failedToEnrol), several faces \(v.multipleFaces); \(m.genuineCount) genuine (\(v.genuinePairsDropped) dropped), \(m.impostorCount) impostor pairs")
            print("  " + points.joined(separator: "; "))
            if let all = v.fnmrCountingDropped, v.genuinePairsDropped > 0 {
                print("  with the \(v.genuinePairsDropped) dropped genuine pairs as non-matches: FNMR "
                      + all.map { String(format: "%.2f%%", $0 * 100) }.joined(separator: " / "))
            }
            print(String(format: "  EER %.2f%% (t=%.3f)", m.eer.fnmr * 100, m.eer.threshold)
                  + (m.atCustomaryThreshold.map { String(format: "; at t=%.3f: FMR %.2f%%, FNMR %.2f%%", $0.threshold, $0.fmr * 100, $0.fnmr * 100) } ?? "")
                  + (v.listedPairAccuracy.map { String(format: "; listed-pair accuracy %.2f%%", $0 * 100) } ?? ""))
        }
        for (detector, utk) in [("HOG", r.utkface), ("YuNet", r.sface?.utkface)] {
            guard let u = utk else { continue }
            for g in u.groups {
                print(String(format: "utkface %@ %-14@ n=%4d  miss %.2f%%  gate-reject %.2f%%", detector, g.group, g.images,
                             g.missRate * 100, g.gateRejectRate * 100))
            }
            if let ratio = u.raceMissRateRatio { print(String(format: "utkface %@ race miss-rate ratio max/min %.2f", detector, ratio)) }
        }
        for (k, s) in r.seconds.sorted(by: { $0.key < $1.key }) { print(String(format: "time %@: %.1f s", k, s)) }
    }
}

extension EvaluationRun.Dataset: ExpressibleByArgument {}
extension FaceEngineKind: ExpressibleByArgument {}
