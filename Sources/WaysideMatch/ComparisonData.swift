import Foundation
import WaysideFace

/// Which part of the subject-disjoint split a face belongs to.
public enum SplitRole: String, Sendable, Codable {
    /// Trains the candidates while choosing one (cohort, fold axis, thresholds).
    case fit
    /// Measures the candidates while choosing one; trains the final back-end.
    case validation
    /// Kept for the report: trains nothing, chooses nothing.
    case report

    /// Fit and validation both train the back-end that ships.
    public var isTraining: Bool { self != .report }
}

/// One face of the shared data with what the comparison back-end may and may not know.
public struct ComparisonSample: Sendable {
    /// "lfw", "nuaa" or "utkface".
    public var source: String
    /// Identity key: `lfw:<Name>`, `nuaa:<subject>`, `utkface:<file>` (UTKFace has no
    /// identities: every crop counts as its own person).
    public var identity: String
    /// NUAA session (recorded weeks apart), for cross-session genuine pairs.
    public var session: String?
    /// Demographic labels (UTKFace race, gender, age band). Measurement only: never seen by
    /// training or by the back-end.
    public var groups: [String]
    /// The engine's descriptor.
    public var descriptor: [Float]
    /// Where the split puts it.
    public var role: SplitRole

    /// Makes a sample.
    public init(source: String, identity: String, session: String?, groups: [String], descriptor: [Float], role: SplitRole) {
        self.source = source
        self.identity = identity
        self.session = session
        self.groups = groups
        self.descriptor = descriptor
        self.role = role
    }
}

/// The shared data sets as comparison samples, with the split rules applied.
///
/// Rules (fixed before any figure was measured on the report part):
/// - LFW View-2 folds are identity-disjoint: folds 1-2 fit, fold 3 validation, folds 4-5 report.
/// - NUAA subjects 0001-0004 fit, 0005-0006 validation, 0007-0012 report.
/// - UTKFace crops in file-name order: index % 4 == 0 fit, == 2 validation, odd report.
public enum ComparisonData {
    /// The rules in words, for the split record.
    public static let rules: [String: String] = [
        "lfw": "View-2 pairs.txt folds (identity-disjoint): folds 1-2 fit, fold 3 validation, folds 4-5 report",
        "nuaa": "ClientRaw subjects 0001-0004 fit, 0005-0006 validation, 0007-0012 report",
        "utkface": "crops sorted by file name: index % 4 == 0 fit, index % 4 == 2 validation, odd index report; every crop its own identity",
    ]

    /// The recipe for UTKFace descriptors: the evaluation's detector settings (50 px of
    /// repeated edge, no upsampling) with the descriptor and without the quality gate.
    public static let utkRecipe = ImageRecipe(upsample: 0, fallbackUpsample: nil, pad: 50, descriptor: true, gate: false)

    /// Age band of a UTKFace age: the descriptor network separates children far less well.
    public static func ageBand(_ age: Int) -> String { age < 13 ? "age=0-12" : "age=13+" }

    /// The LFW fold (0-based) of each identity in `pairs.txt`.
    public static func lfwFolds(_ text: String) throws -> [String: Int] {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: "\t").map(String.init) }
        guard let header = lines.first, header.count == 2, let folds = Int(header[0]), let perFold = Int(header[1]) else {
            throw MatchError(code: .badFormat, operation: "read pairs.txt", detail: "missing header 'folds<TAB>pairs'")
        }
        var fold: [String: Int] = [:]
        for f in 0..<folds {
            for k in 0..<(2 * perFold) {
                let row = 1 + f * 2 * perFold + k
                guard row < lines.count else { break }
                let names = lines[row].count == 3 ? [lines[row][0]] : lines[row].count == 4 ? [lines[row][0], lines[row][2]] : []
                for n in names where fold[n] == nil { fold[n] = f }
            }
        }
        return fold
    }

    /// Loads every face of LFW, NUAA and UTKFace under `dataRoot` that has a descriptor from
    /// `engine`, computing what the descriptor caches lack (UTKFace's take about ten minutes
    /// on two cores the first time). Missing data sets are named in `skipped`. The split
    /// rules do not depend on the engine: a face the engine cannot find is left out, never
    /// moved to another part.
    public static func load(dataRoot: String, cacheDirectory: String?, workers: Int = 2, models: FaceModelFiles = .standard(),
                            engine: FaceEngineKind = .dlib,
                            progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in })
        throws -> (samples: [ComparisonSample], skipped: [String]) {
        try engine.checkPresent(models)
        var samples: [ComparisonSample] = [], skipped: [String] = []
        func cache(_ name: String, _ recipe: ImageRecipe) -> String? {
            cacheDirectory.map { engine.cacheFile($0, dataset: name, recipe: recipe) }
        }
        func batch(_ root: String, _ name: String, _ recipe: ImageRecipe) -> ImageBatch {
            ImageBatch(root: root, cacheFile: cache(name, recipe), workers: workers, models: models, engine: engine)
        }
        // Progress labels as `waysidectl eval` prints them: "lfw" for dlib, "lfw/sface".
        @Sendable func label(_ name: String) -> String { engine == .dlib ? name : "\(name)/\(engine.rawValue)" }
        let fm = FileManager.default
        // LFW
        let lfw = dataRoot + "/lfw"
        if let text = try? String(contentsOfFile: lfw + "/pairs.txt", encoding: .utf8) {
            let pairs = try Datasets.lfwPairs(text)
            let folds = try lfwFolds(text)
            let recipe = EvaluationRun.recipe(.lfw)
            let records = try batch(lfw, "lfw", recipe)
                .run(pairs.images, recipe: recipe) { progress(label("lfw"), $0, $1) }
            for (image, name) in zip(pairs.images, pairs.identities) {
                guard let d = records[image]?.descriptor, let fold = folds[name] else { continue }
                let role: SplitRole = fold <= 1 ? .fit : fold == 2 ? .validation : .report
                samples.append(ComparisonSample(source: "lfw", identity: "lfw:\(name)", session: nil, groups: [], descriptor: d, role: role))
            }
        } else {
            skipped.append("lfw: \(lfw)/pairs.txt not readable")
        }
        // NUAA
        let nuaa = dataRoot + "/nuaa"
        if fm.fileExists(atPath: nuaa) {
            let frames = Datasets.nuaaFrames(root: nuaa)
            let recipe = EvaluationRun.recipe(.nuaa)
            let records = try batch(nuaa, "nuaa", recipe)
                .run(frames, recipe: recipe) { progress(label("nuaa"), $0, $1) }
            for frame in frames {
                // Name: ID_glasses_pos_session_frame.jpg
                let parts = ((frame as NSString).lastPathComponent).split(separator: "_").map(String.init)
                guard parts.count > 3, let subject = Int(parts[0]), let d = records[frame]?.descriptor else { continue }
                let role: SplitRole = subject <= 4 ? .fit : subject <= 6 ? .validation : .report
                samples.append(ComparisonSample(source: "nuaa", identity: String(format: "nuaa:%04d", subject), session: parts[3],
                                                groups: [], descriptor: d, role: role))
            }
        } else {
            skipped.append("nuaa: \(nuaa) not found")
        }
        // UTKFace
        let utk = dataRoot + "/utkface"
        if fm.fileExists(atPath: utk) {
            let files = Datasets.utkFaces(root: utk)
            let records = try batch(utk, "utkface", utkRecipe)
                .run(files, recipe: utkRecipe) { progress(label("utkface"), $0, $1) }
            for (index, file) in files.enumerated() {
                // Name: age_gender_race_datetime.jpg.chip.jpg
                let f = file.split(separator: "_")
                guard f.count >= 4, let age = Int(f[0]), let gender = Int(f[1]), let race = Int(f[2]),
                      Datasets.races.indices.contains(race), let d = records[file]?.descriptor else { continue }
                let role: SplitRole = index % 2 == 1 ? .report : index % 4 == 0 ? .fit : .validation
                let groups = ["race=\(Datasets.races[race])", "gender=\(gender == 0 ? "male" : "female")", ageBand(age)]
                samples.append(ComparisonSample(source: "utkface", identity: "utkface:\(file)", session: nil, groups: groups,
                                                descriptor: d, role: role))
            }
        } else {
            skipped.append("utkface: \(utk) not found")
        }
        return (samples, skipped)
    }
}
