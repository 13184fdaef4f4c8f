import Foundation
import Synchronization
import WaysideCore
import WaysideLiveness

/// One NUAA frame, from its path (`ClientRaw|ImposterRaw/<subject>/ID_glasses_pos_session_frame.jpg`).
public struct NUAAFrame: Sendable, Equatable, Codable {
    /// Path relative to the nuaa folder.
    public var path: String
    /// Subject id, e.g. "0007".
    public var subject: String
    /// True for ImposterRaw (a printed photo), false for ClientRaw (the person).
    public var isAttack: Bool
    /// Position code: genuine 00/05/06/07 (lighting); attack 01 up-down rotate,
    /// 02 up-down bend, 03 left-right rotate, 04 left-right bend, 08 still, and
    /// 00 (session 01 attacks, not listed in the data's readme).
    public var position: String
    /// Recording session, 01-03.
    public var session: String
    /// Frame number within the sequence.
    public var frame: Int
    /// Frames of one sequence share this key.
    public var sequence: String

    /// Parses a relative path; nil when the name does not follow NUAA's pattern.
    public init?(path: String) {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 3, parts[0] == "ClientRaw" || parts[0] == "ImposterRaw", parts[2].hasSuffix(".jpg") else { return nil }
        let fields = parts[2].dropLast(4).split(separator: "_").map(String.init)
        guard fields.count == 5, let frame = Int(fields[4]) else { return nil }
        self.path = path
        self.subject = fields[0]
        self.isAttack = parts[0] == "ImposterRaw"
        self.position = fields[2]
        self.session = fields[3]
        self.frame = frame
        self.sequence = "\(parts[0])/\(fields[0])_\(fields[1])_\(fields[2])_\(fields[3])"
    }

    /// Every frame under `root` (the nuaa folder), sorted by sequence and frame.
    public static func all(root: String) -> [NUAAFrame] {
        var out: [NUAAFrame] = []
        let fm = FileManager.default
        for kind in ["ClientRaw", "ImposterRaw"] {
            for subject in ((try? fm.contentsOfDirectory(atPath: root + "/" + kind)) ?? []).sorted() {
                for file in ((try? fm.contentsOfDirectory(atPath: "\(root)/\(kind)/\(subject)")) ?? []).sorted() {
                    if let f = NUAAFrame(path: "\(kind)/\(subject)/\(file)") { out.append(f) }
                }
            }
        }
        return out.sorted { ($0.sequence, $0.frame) < ($1.sequence, $1.frame) }
    }
}

/// The subject-disjoint split of NUAA for liveness: fixed by subject number
/// (first half trains, second half tests) before any result was seen. Every
/// attack type occurs in both halves.
public enum LivenessSplit {
    /// Subjects the texture classifier is trained on.
    public static let trainSubjects = ["0001", "0002", "0003", "0004", "0005", "0006"]
    /// Subjects held back for `waysidectl eval liveness`.
    public static let testSubjects = ["0007", "0008", "0009", "0010", "0011", "0012"]
}

/// Texture features of faces in a data set's images: the detector's box from
/// an ``ImageBatch`` (cached), then ``TextureFeatures`` on the luma (cached by
/// feature version).
public struct TextureFeatureBatch: Sendable {
    /// Folder the relative paths are under.
    public var root: String
    /// The detector's recipe (its records are cached in `detectionCache`).
    public var recipe: ImageRecipe
    /// Cache of detector records; nil for none.
    public var detectionCache: String?
    /// Cache of feature vectors; nil for none.
    public var featureCache: String?
    /// Worker threads.
    public var workers: Int
    /// Models for the detector.
    public var models: FaceModelFiles

    /// Makes a batch.
    public init(root: String, recipe: ImageRecipe, detectionCache: String?, featureCache: String?,
                workers: Int, models: FaceModelFiles = .standard()) {
        self.root = root
        self.recipe = recipe
        self.detectionCache = detectionCache
        self.featureCache = featureCache
        self.workers = max(1, workers)
        self.models = models
    }

    /// What came out: features of the images with a face, the rest counted.
    public struct Output: Sendable {
        /// Feature vector per path with a detected face.
        public var features: [String: [Double]]
        /// Paths where no face was found.
        public var noFace: [String]
        /// The detector's box per path with a face.
        public var boxes: [String: PixelRect]
        /// Seconds spent computing features (not detection) and how many frames that covered.
        public var featureSeconds: Double
        /// See ``featureSeconds``.
        public var featureFrames: Int
    }

    /// Runs detection then features for `paths`; `progress(stage, done, total)`.
    public func run(_ paths: [String], progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in }) throws -> Output {
        let detections = try ImageBatch(root: root, cacheFile: detectionCache, workers: workers, models: models)
            .run(paths, recipe: recipe) { progress("detect", $0, $1) }
        var cached: [String: [Double]] = [:]
        if let featureCache, let data = FileManager.default.contents(atPath: featureCache),
           let decoded = try? JSONDecoder().decode([String: [Double]].self, from: data) {
            cached = decoded
        }
        let noFace = paths.filter { detections[$0]?.box == nil }
        let todo = paths.filter { detections[$0]?.box != nil && cached[$0] == nil }
        let shared = Mutex((next: 0, done: 0, results: [String: [Double]](), failure: String?.none, seconds: 0.0))
        let (root, pad) = (self.root, recipe.pad)
        if !todo.isEmpty {
            DispatchQueue.concurrentPerform(iterations: min(workers, todo.count)) { _ in
                while true {
                    let index: Int? = shared.withLock { s in
                        guard s.failure == nil, s.next < todo.count else { return nil }
                        defer { s.next += 1 }
                        return s.next
                    }
                    guard let index else { return }
                    let path = todo[index]
                    do {
                        var image = try RGBImage(contentsOfFile: root + "/" + path)
                        if pad > 0 { image = image.padded(by: pad) }
                        let started = ContinuousClock.now
                        let luma = try LumaImage(width: image.width, height: image.height, pixels: image.luma())
                        let features = try TextureFeatures.extract(from: luma, box: detections[path]!.box!)
                        let elapsed = started.duration(to: .now)
                        let done = shared.withLock { s in
                            s.results[path] = features
                            s.done += 1
                            s.seconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                            return s.done
                        }
                        progress("features", done, todo.count)
                    } catch {
                        shared.withLock { $0.failure = "\(path): \(error)" }
                    }
                }
            }
        }
        let (results, failure, seconds) = shared.withLock { ($0.results, $0.failure, $0.seconds) }
        if let failure { throw LivenessError(code: .badFile, operation: "texture features", detail: failure) }
        cached.merge(results) { _, new in new }
        if let featureCache, !results.isEmpty {
            try FileManager.default.createDirectory(atPath: (featureCache as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try JSONEncoder().encode(cached).write(to: URL(fileURLWithPath: featureCache), options: .atomic)
        }
        var features: [String: [Double]] = [:]
        for p in paths { if let f = cached[p] { features[p] = f } }
        var boxes: [String: PixelRect] = [:]
        for p in paths { if let b = detections[p]?.box { boxes[p] = b } }
        return Output(features: features, noFace: noFace, boxes: boxes, featureSeconds: seconds, featureFrames: results.count)
    }

    /// The batch for NUAA: live-frame detection (no upsampling), caches under `<cache>/liveness`.
    public static func nuaa(dataRoot: String, cacheDirectory: String?, workers: Int) -> TextureFeatureBatch {
        let recipe = ImageRecipe(upsample: 0, fallbackUpsample: nil, pad: 0, descriptor: false, gate: false)
        return TextureFeatureBatch(
            root: dataRoot + "/nuaa", recipe: recipe,
            detectionCache: cacheDirectory.map { "\($0)/liveness/nuaa-\(recipe.key).json" },
            featureCache: cacheDirectory.map { "\($0)/liveness/nuaa-\(recipe.key)-\(TextureFeatures.version).json" },
            workers: workers)
    }

    /// The batch for UTKFace: the evaluation's own recipe and detection cache
    /// (the crops padded by 50 px), features cached under `<cache>/liveness`.
    public static func utkface(dataRoot: String, cacheDirectory: String?, workers: Int) -> TextureFeatureBatch {
        let recipe = EvaluationRun.recipe(.utkface)
        return TextureFeatureBatch(
            root: dataRoot + "/utkface", recipe: recipe,
            detectionCache: cacheDirectory.map { "\($0)/eval/dlib-resnet/utkface-\(recipe.key).json" },
            featureCache: cacheDirectory.map { "\($0)/liveness/utkface-\(recipe.key)-\(TextureFeatures.version).json" },
            workers: workers)
    }
}
