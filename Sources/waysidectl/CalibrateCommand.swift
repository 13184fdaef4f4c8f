import ArgumentParser
import Foundation
import WaysideFace
import WaysideMatch

/// `waysidectl calibrate`: measure thresholds on real data.
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure decision thresholds on the shared data sets.",
        subcommands: [CalibrateMatch.self])
}

/// `waysidectl calibrate match`: the verification threshold at a target FMR and the
/// officer-review band around it, from every genuine and impostor pair of the LFW View-2
/// images, written with the model version for the station to load.
struct CalibrateMatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Calibrate the match threshold and review band at a target FMR on LFW; write the calibration file.")

    @Option(help: "Folder with lfw/ (default: ../shared/data from the project root).")
    var data: String?

    @Option(help: "False match rate the threshold is set for.")
    var targetFMR = 1e-4

    @Option(help: "The review band spans target*factor (lower edge) to target/factor (upper edge).")
    var bandFactor = 10.0

    @Option(help: "Where to write the calibration.")
    var output = "Models/match-calibration.json"

    @Option(help: "Worker threads for descriptors the cache lacks.")
    var workers = 2

    func run() throws {
        let root = data ?? Eval.defaultDataRoot()
        let lfw = try LFWTemplates.load(dataRoot: root, cacheDirectory: FaceModelFiles.cacheDirectory(), workers: workers)
        let (genuine, impostor) = lfw.comparisons()
        print("LFW: \(lfw.entries.count) templates (\(lfw.failedToEnrol) images without a face), "
              + "\(genuine.count) genuine and \(impostor.count) impostor comparisons")
        var command = "waysidectl calibrate match --target-fmr \(targetFMR) --band-factor \(bandFactor) --output \(output)"
        if let data { command += " --data \(data)" }
        let calibration = try MatchCalibration(
            model: LFWTemplates.model, genuine: genuine, impostor: impostor, targetFMR: targetFMR, bandFactor: bandFactor,
            dataset: "LFW View-2 folds 1-5 (\(lfw.entries.count) images of pairs.txt with a face; all same-identity pairs genuine, all cross-identity pairs impostor), descriptors by DlibFaceEngine",
            command: command)
        for (name, p) in [("review lower", calibration.reviewLower), ("threshold", calibration.threshold), ("review upper", calibration.reviewUpper)] {
            print(String(format: "%-13@ similarity >= %.4f  FMR %.2e (target %.0e)  FNMR %.2f%%", name, p.threshold, p.fmr, p.targetFMR, p.fnmr * 100))
        }
        try calibration.write(to: output)
        print("wrote \(output)")
    }
}
