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
    /// Wall-clock seconds per data set (engine time; near zero when cached); the
    /// second engine's under "<data set>/sface".
    public var seconds: [String: Double]
    /// The same data sets through YuNet and SFace, when that engine ran.
    public var sface: EngineFigures?
    /// dlib's and SFace's scores fused (``PairProtocol/fusedResult(dlib:sface:)``), when both ran.
    public var fused: EngineFigures?
}

/// One more matcher's figures on the data sets of a report: the second engine's, or
/// the fused score's.
public struct EngineFigures: Sendable, Codable, Equatable {
    /// e.g. "sface" or "fused".
    public var engine: String
    /// Its model version, or the fused models'.
    public var modelVersion: String
    /// LFW View-2 verification.
    public var lfw: VerificationResult?
    /// NUAA cross-session verification.
    public var nuaa: VerificationResult?
    /// UTKFace per-group detection and gate figures (engines, not the fused score).
    public var utkface: GroupResult?
    /// The fused score's z-normalisation per data set ("lfw", "nuaa").
    public var fusion: [String: ScoreFusion]?
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
    /// Engines to run; with both, the fused score is reported too.
    public var engines: [FaceEngineKind]

    /// Makes a run; defaults are the full protocol with dlib alone.
    public init(dataRoot: String, cacheDirectory: String?, workers: Int = 2, models: FaceModelFiles = .standard(),
                datasets: [Dataset] = Dataset.allCases, lfwPairsPerFold: Int? = nil, lfwFolds: Int? = nil,
                nuaaEvery: Int = 1, utkEvery: Int = 1, engines: [FaceEngineKind] = [.dlib]) {
        self.engines = engines
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

    /// Runs every data set present with every engine asked for; `progress(label, done, total)`
    /// with labels such as "lfw" (dlib) and "lfw/sface".
    public func run(progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in }) throws -> EvaluationReport {
        for engine in engines { try engine.checkPresent(models) }
        var report = EvaluationReport(engine: "dlib-resnet", modelVersion: "dlib_face_recognition_resnet_model_v1",
                                      dataRoot: dataRoot, skipped: [], seconds: [:])
        var second = engines.contains(.sface) ? EngineFigures(engine: "sface", modelVersion: "face_detection_yunet_2023mar+face_recognition_sface_2021dec_int8bq") : nil
        var fused = engines.contains(.sface) && engines.contains(.dlib)
            ? EngineFigures(engine: "fused", modelVersion: "z-mean(dlib_face_recognition_resnet_model_v1, face_recognition_sface_2021dec_int8bq)", fusion: [:])
            : nil
        let fm = FileManager.default
        for d in datasets {
            let folder = dataRoot + "/" + d.rawValue
            guard fm.fileExists(atPath: folder) else {
                report.skipped.append("\(d.rawValue): \(folder) not found")
                continue
            }
            let recipe = Self.recipe(d)
            // The image list of the data set and, for verification, its pair protocol.
            let files: [String], protocol_: PairProtocol?
            switch d {
            case .lfw:
                guard let text = try? String(contentsOfFile: folder + "/pairs.txt", encoding: .utf8) else {
                    report.skipped.append("lfw: \(folder)/pairs.txt not readable")
                    continue
                }
                let pairs = try Datasets.lfwPairs(text, folds: lfwFolds, pairsPerFold: lfwPairsPerFold)
                (files, protocol_) = (pairs.images, Datasets.lfwProtocol(pairs))
            case .nuaa:
                let frames = Datasets.nuaaFrames(root: folder, every: nuaaEvery)
                (files, protocol_) = (frames, Datasets.nuaaProtocol(frames))
            case .utkface:
                (files, protocol_) = (Datasets.utkFaces(root: folder, every: utkEvery), nil)
            }
            var records: [FaceEngineKind: [String: ImageRecord]] = [:]
            for engine in engines {
                let label = engine == .dlib ? d.rawValue : "\(d.rawValue)/\(engine.rawValue)"
                let cache = cacheDirectory.map { engine.cacheFile($0, dataset: d.rawValue, recipe: recipe) }
                let batch = ImageBatch(root: folder, cacheFile: cache, workers: workers, models: models, engine: engine)
                let started = Date()
                records[engine] = try batch.run(files, recipe: recipe) { done, total in progress(label, done, total) }
                report.seconds[label] = Date().timeIntervalSince(started)
            }
            if let dlib = records[.dlib] {
                switch d {
                case .lfw: report.lfw = protocol_?.result(records: dlib, metric: .euclidean)
                case .nuaa: report.nuaa = protocol_?.result(records: dlib, metric: .euclidean)
                case .utkface: report.utkface = Datasets.utkResult(files, records: dlib)
                }
            }
            if let sface = records[.sface] {
                switch d {
                case .lfw: second?.lfw = protocol_?.result(records: sface, metric: .cosine)
                case .nuaa: second?.nuaa = protocol_?.result(records: sface, metric: .cosine)
                case .utkface: second?.utkface = Datasets.utkResult(files, records: sface)
                }
            }
            if let dlib = records[.dlib], let sface = records[.sface], let protocol_ {
                let (result, fusion) = protocol_.fusedResult(dlib: dlib, sface: sface)
                if d == .lfw { fused?.lfw = result } else { fused?.nuaa = result }
                fused?.fusion?[d.rawValue] = fusion
            }
        }
        report.sface = second
        report.fused = fused
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
        let matchers: [(String, VerificationResult?, VerificationResult?)] = [
            ("dlib", report.lfw, report.nuaa), ("SFace", report.sface?.lfw, report.sface?.nuaa),
            ("fused", report.fused?.lfw, report.fused?.nuaa),
        ]
        for (name, lfw, _) in matchers { if let lfw { series.append(("LFW View-2 (\(name))", lfw.metrics.det)) } }
        for (name, _, nuaa) in matchers { if let nuaa { series.append(("NUAA cross-session (\(name))", nuaa.metrics.det)) } }
        if !series.isEmpty {
            let path = directory + "/det.svg"
            let title = report.sface == nil ? "DET: dlib ResNet, Euclidean distance"
                                            : "DET: dlib (Euclidean), SFace (cosine), fused (z-score mean)"
            try Charts.det(series, title: title).write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        // One bar pair per engine that ran on UTKFace: detector misses, then gate rejects.
        let detectors = [("HOG", report.utkface), ("YuNet", report.sface?.utkface)].compactMap { name, utk in
            utk.flatMap { $0.groups.isEmpty ? nil : (name, $0) }
        }
        if let first = detectors.first {
            let path = directory + "/groups.svg"
            let rates = detectors.map { ("\($0.0) miss rate", $0.1.groups.map(\.missRate)) }
                + detectors.map { ("gate reject (\($0.0))", $0.1.groups.map(\.gateRejectRate)) }
            let names = detectors.map(\.0).joined(separator: " and ")
            let svg = Charts.bars(first.1.groups.map(\.group), rates: rates,
                                  title: "UTKFace (padded 50 px): \(names) misses and gate rejects per group")
            try svg.write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        return written
    }
}
