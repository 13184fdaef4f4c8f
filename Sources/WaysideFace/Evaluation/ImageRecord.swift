import Foundation
import Synchronization
import WaysideCore

/// What the engine made of one image; cached so that reruns skip the engine.
public struct ImageRecord: Sendable, Codable, Equatable {
    /// Faces found.
    public var faces: Int
    /// The chosen face (nearest the centre), if any.
    public var box: PixelRect?
    /// Its 5 landmarks.
    public var landmarks: [Point2]?
    /// Its descriptor, when asked for.
    public var descriptor: [Float]?
    /// What the quality gate said (empty: passed), when asked for.
    public var guidance: [QualityGuidance]?
    /// Mean luma of the face region, when the gate ran.
    public var luminance: Double?
    /// Raw quality measures of the chosen face, when the gate ran.
    public var quality: [String: Double]?
    /// Why the image could not be processed, if it could not.
    public var error: String?

    /// Makes a record.
    public init(faces: Int, box: PixelRect? = nil, landmarks: [Point2]? = nil, descriptor: [Float]? = nil,
                guidance: [QualityGuidance]? = nil, luminance: Double? = nil, error: String? = nil) {
        self.faces = faces
        self.box = box
        self.landmarks = landmarks
        self.descriptor = descriptor
        self.guidance = guidance
        self.luminance = luminance
        self.error = error
    }
}

/// How to process each image of a data set.
public struct ImageRecipe: Sendable, Equatable, Codable {
    /// Detector settings.
    public var upsample: Int
    /// A second pass with this many doublings when the first finds nothing.
    public var fallbackUpsample: Int?
    /// Pixels of repeated edge added before detection (tight crops).
    public var pad: Int
    /// Compute the descriptor of the chosen face.
    public var descriptor: Bool
    /// Run the kiosk quality gate on the chosen face.
    public var gate: Bool

    /// Makes a recipe.
    public init(upsample: Int, fallbackUpsample: Int?, pad: Int, descriptor: Bool, gate: Bool) {
        self.upsample = upsample
        self.fallbackUpsample = fallbackUpsample
        self.pad = pad
        self.descriptor = descriptor
        self.gate = gate
    }

    /// A short key that changes whenever the recipe does (names the cache file).
    public var key: String {
        // "hogc": HOG on the colour image (figures made with HOG on grey are not reused).
        "hogc-u\(upsample)f\(fallbackUpsample.map(String.init) ?? "-")p\(pad)\(descriptor ? "d" : "")\(gate ? "g" : "")"
    }

    /// Runs the recipe on one image file.
    public func run(_ engine: any EvaluatedEngine, path: String) -> ImageRecord {
        do {
            var image = try RGBImage(contentsOfFile: path)
            if pad > 0 { image = image.padded(by: pad) }
            let faces = try engine.faces(in: image, recipe: self)
            guard let face = FaceChoice.nearestCentre(faces, width: image.width, height: image.height) else {
                return ImageRecord(faces: 0)
            }
            var record = ImageRecord(faces: faces.count, box: face.box, landmarks: face.landmarks)
            if descriptor { record.descriptor = try engine.descriptorValues(of: face, in: image) }
            if gate {
                let assessment = QualityGate.kiosk.assess(face: face, faceCount: faces.count, luma: image.luma(),
                                                          width: image.width, height: image.height)
                record.guidance = assessment.guidance
                record.luminance = assessment.measure(.luminanceMean)?.raw
                record.quality = Dictionary(uniqueKeysWithValues: assessment.measures.map { ($0.component.rawValue, $0.raw) })
            }
            return record
        } catch {
            return ImageRecord(faces: 0, error: "\(error)")
        }
    }
}

/// Runs a recipe over many images on several engines (one per worker thread),
/// reusing and extending a JSON cache of records keyed by relative path.
public struct ImageBatch: Sendable {
    /// Root the relative paths are resolved against.
    public var root: String
    /// The cache file; nil for none.
    public var cacheFile: String?
    /// Worker threads, each with its own engine.
    public var workers: Int
    /// The models each worker loads.
    public var models: FaceModelFiles
    /// The engine each worker loads.
    public var engine: FaceEngineKind

    /// Makes a batch runner.
    public init(root: String, cacheFile: String?, workers: Int, models: FaceModelFiles, engine: FaceEngineKind = .dlib) {
        self.root = root
        self.cacheFile = cacheFile
        self.workers = max(1, workers)
        self.models = models
        self.engine = engine
    }

    /// Records for every path (relative to ``root``). `progress(done, total)` is
    /// called from worker threads.
    public func run(_ paths: [String], recipe: ImageRecipe,
                    progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> [String: ImageRecord] {
        var records: [String: ImageRecord] = [:]
        if let cacheFile, let data = FileManager.default.contents(atPath: cacheFile),
           let cached = try? JSONDecoder().decode([String: ImageRecord].self, from: data) {
            records = cached
        }
        let todo = Array(Set(paths.filter { records[$0] == nil })).sorted()
        let total = todo.count
        let shared = Mutex((next: 0, done: 0, results: [String: ImageRecord](), failure: FaceEngineError?.none))
        let (root, models, kind) = (self.root, self.models, self.engine)
        if total > 0 {
            progress(0, total)
            DispatchQueue.concurrentPerform(iterations: min(workers, total)) { _ in
                let engine: any EvaluatedEngine
                do { engine = try kind.load(models) } catch {
                    shared.withLock { $0.failure = error as? FaceEngineError ?? FaceEngineError(code: .internalFailure, operation: "load models", detail: "\(error)") }
                    return
                }
                while true {
                    let index: Int? = shared.withLock { state in
                        guard state.failure == nil, state.next < total else { return nil }
                        defer { state.next += 1 }
                        return state.next
                    }
                    guard let index else { return }
                    let record = recipe.run(engine, path: root + "/" + todo[index])
                    let done = shared.withLock { state in
                        state.results[todo[index]] = record
                        state.done += 1
                        return state.done
                    }
                    progress(done, total)
                }
            }
        }
        let (results, failure) = shared.withLock { ($0.results, $0.failure) }
        if let failure { throw failure }
        records.merge(results) { _, new in new }
        if let cacheFile, total > 0 {
            try FileManager.default.createDirectory(atPath: (cacheFile as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try JSONEncoder().encode(records).write(to: URL(fileURLWithPath: cacheFile), options: .atomic)
        }
        return records
    }
}
