import Foundation

/// The whole evaluation report, written as `report.json`.
public struct EvaluationReport: Sendable, Codable, Equatable {
    /// Engine that made the templates.
    public var engine: String
    /// Its model version.
    public var modelVersion: String
    /// Data root used.
    public var dataRoot: String
    /// LFW View-2 verification, if run.
    public var lfw: VerificationResult?
    /// NUAA cross-session verification, if run.
    public var nuaa: VerificationResult?
    /// UTKFace per-group detection and gate figures, if run.
    public var utkface: GroupResult?
    /// Data sets skipped, with the reason.
    public var skipped: [String]
    /// Wall-clock seconds per data set (engine time; near zero when cached).
    public var seconds: [String: Double]
}

/// Runs the evaluation over the shared data and writes the report.
public struct EvaluationRun: Sendable {
    /// Which data sets to run.
    public enum Dataset: String, Sendable, CaseIterable, Codable {
        case lfw, nuaa, utkface
    }

    /// Folder holding lfw/, nuaa/ and utkface/.
    public var dataRoot: String
    /// Where descriptor caches go (nil: no cache).
    public var cacheDirectory: String?
    /// Worker threads, one engine each.
    public var workers: Int
    /// Models to load.
    public var models: FaceModelFiles
    /// Data sets to run.
    public var datasets: [Dataset]
    /// Slices for quick runs: LFW pairs per fold and folds; every n-th NUAA / UTKFace image.
    public var lfwPairsPerFold: Int?
    /// Number of LFW folds to use (nil: all).
    public var lfwFolds: Int?
    /// Keep every n-th NUAA frame.
    public var nuaaEvery: Int
    /// Keep every n-th UTKFace crop.
    public var utkEvery: Int

    /// Makes a run; defaults are the full protocol.
    public init(dataRoot: String, cacheDirectory: String?, workers: Int = 2, models: FaceModelFiles = .standard(),
                datasets: [Dataset] = Dataset.allCases, lfwPairsPerFold: Int? = nil, lfwFolds: Int? = nil,
                nuaaEvery: Int = 1, utkEvery: Int = 1) {
        self.dataRoot = dataRoot
        self.cacheDirectory = cacheDirectory
        self.workers = workers
        self.models = models
        self.datasets = datasets
        self.lfwPairsPerFold = lfwPairsPerFold
        self.lfwFolds = lfwFolds
        self.nuaaEvery = nuaaEvery
        self.utkEvery = utkEvery
    }

    /// The recipe per data set: stills get one upsampled retry (LFW faces are
    /// small in a 250 px frame); the webcam and UTKFace sets run as live frames.
    public static func recipe(_ d: Dataset) -> ImageRecipe {
        switch d {
        case .lfw: ImageRecipe(upsample: 0, fallbackUpsample: 1, pad: 0, descriptor: true, gate: false)
        case .nuaa: ImageRecipe(upsample: 0, fallbackUpsample: nil, pad: 0, descriptor: true, gate: true)
        // 50 px of repeated edge around the 200 px crop: context for the HOG window.
        case .utkface: ImageRecipe(upsample: 0, fallbackUpsample: nil, pad: 50, descriptor: false, gate: true)
        }
    }

    /// Runs every data set present; `progress(dataset, done, total)`.
    public func run(progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in }) throws -> EvaluationReport {
        try models.checkPresent()
        var report = EvaluationReport(engine: "dlib-resnet", modelVersion: "dlib_face_recognition_resnet_model_v1",
                                      dataRoot: dataRoot, skipped: [], seconds: [:])
        let fm = FileManager.default
        for d in datasets {
            let folder = dataRoot + "/" + d.rawValue
            guard fm.fileExists(atPath: folder) else {
                report.skipped.append("\(d.rawValue): \(folder) not found")
                continue
            }
            let recipe = Self.recipe(d)
            let cache = cacheDirectory.map { "\($0)/eval/dlib-resnet/\(d.rawValue)-\(recipe.key).json" }
            let batch = ImageBatch(root: folder, cacheFile: cache, workers: workers, models: models)
            let started = Date()
            let name = d.rawValue
            let report1: @Sendable (Int, Int) -> Void = { done, total in progress(name, done, total) }
            switch d {
            case .lfw:
                guard let text = try? String(contentsOfFile: folder + "/pairs.txt", encoding: .utf8) else {
                    report.skipped.append("lfw: \(folder)/pairs.txt not readable")
                    continue
                }
                let pairs = try Datasets.lfwPairs(text, folds: lfwFolds, pairsPerFold: lfwPairsPerFold)
                let records = try batch.run(pairs.images, recipe: recipe, progress: report1)
                report.lfw = Datasets.lfwResult(pairs, records: records)
            case .nuaa:
                let frames = Datasets.nuaaFrames(root: folder, every: nuaaEvery)
                let records = try batch.run(frames, recipe: recipe, progress: report1)
                report.nuaa = Datasets.nuaaResult(frames, records: records)
            case .utkface:
                let files = Datasets.utkFaces(root: folder, every: utkEvery)
                let records = try batch.run(files, recipe: recipe, progress: report1)
                report.utkface = Datasets.utkResult(files, records: records)
            }
            report.seconds[name] = Date().timeIntervalSince(started)
        }
        return report
    }

    /// Writes `report.json`, `det.svg` and `groups.svg` into `directory`; returns the paths written.
    @discardableResult
    public static func write(_ report: EvaluationReport, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = directory + "/report.json"
        try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        written.append(json)
        var series: [(name: String, points: [OperatingPoint])] = []
        if let lfw = report.lfw { series.append(("LFW View-2 (dlib)", lfw.metrics.det)) }
        if let nuaa = report.nuaa { series.append(("NUAA cross-session (dlib)", nuaa.metrics.det)) }
        if !series.isEmpty {
            let path = directory + "/det.svg"
            try Charts.det(series, title: "DET: dlib ResNet, Euclidean distance").write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        if let utk = report.utkface, !utk.groups.isEmpty {
            let path = directory + "/groups.svg"
            let svg = Charts.bars(utk.groups.map(\.group),
                                  rates: [("detector miss rate", utk.groups.map(\.missRate)),
                                          ("quality-gate reject rate", utk.groups.map(\.gateRejectRate))],
                                  title: "UTKFace (padded 50 px): HOG misses and gate rejects per group")
            try svg.write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        return written
    }
}
