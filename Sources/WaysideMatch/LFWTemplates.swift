import Foundation
import WaysideFace

/// Real templates from the shared LFW set, made by the station's face engine.
///
/// Uses the evaluation harness's descriptor cache (`<cache>/eval/dlib-resnet/lfw-<recipe>.json`),
/// so `waysidectl eval`, `waysidectl calibrate match`, the benchmark and the tests share one
/// engine run: the first run takes minutes on two cores, every later one a second.
public struct LFWTemplates: Sendable {
    /// One enrolled image.
    public struct Entry: Sendable {
        /// The person (LFW folder name).
        public var identity: String
        /// The image, relative to the lfw folder.
        public var image: String
        /// Its template.
        public var template: MatchTemplate
    }

    /// Every image referenced by View-2 pairs.txt in which the engine found a face.
    public var entries: [Entry]
    /// Images where no face was found (left out).
    public var failedToEnrol: Int

    /// The model the cached descriptors come from (the harness's dlib engine).
    public static let model = TemplateModel(engine: "dlib-resnet", version: "dlib_face_recognition_resnet_model_v1")

    /// Loads (computing what the cache lacks) the templates of `<dataRoot>/lfw` made by
    /// `engine` (dlib unless asked: the station's engine and today's calibration).
    public static func load(dataRoot: String, cacheDirectory: String?, workers: Int = 2,
                            models: FaceModelFiles = .standard(), engine: FaceEngineKind = .dlib,
                            progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> LFWTemplates {
        let folder = dataRoot + "/lfw"
        guard let text = try? String(contentsOfFile: folder + "/pairs.txt", encoding: .utf8) else {
            throw MatchError(code: .badArgument, operation: "load LFW", file: folder + "/pairs.txt",
                             detail: "LFW not found; pass --data with the folder holding lfw/")
        }
        let pairs = try Datasets.lfwPairs(text)
        let recipe = EvaluationRun.recipe(.lfw)
        let cache = cacheDirectory.map { engine.cacheFile($0, dataset: "lfw", recipe: recipe) }
        let records = try ImageBatch(root: folder, cacheFile: cache, workers: workers, models: models, engine: engine)
            .run(pairs.images, recipe: recipe, progress: progress)
        var entries: [Entry] = [], failed = 0
        let model = engine.templateModel
        for (image, identity) in zip(pairs.images, pairs.identities) {
            guard let descriptor = records[image]?.descriptor else { failed += 1; continue }
            entries.append(Entry(identity: identity, image: image, template: try MatchTemplate(model: model, descriptor: descriptor)))
        }
        return LFWTemplates(entries: entries, failedToEnrol: failed)
    }

    /// Similarities of every same-identity pair (genuine) and every different-identity pair
    /// (impostor), exact float32.
    public func comparisons() -> (genuine: [Float], impostor: [Float]) {
        let n = entries.count, d = MatchTemplate.dimension
        var labels: [String: Int] = [:]
        let ids = entries.map { e in labels[e.identity] ?? { labels[e.identity] = labels.count; return labels.count - 1 }() }
        var flat = [Float]()
        flat.reserveCapacity(n * d)
        for e in entries { flat.append(contentsOf: e.template.unit) }
        var genuine: [Float] = [], impostor: [Float] = []
        impostor.reserveCapacity(n * (n - 1) / 2)
        flat.withUnsafeBufferPointer { f in
            let base = f.baseAddress!
            for a in 0..<n {
                for b in (a + 1)..<max(a + 1, n) {
                    let s = Kernels.dotFloat(base + a * d, base + b * d)
                    if ids[a] == ids[b] { genuine.append(s) } else { impostor.append(s) }
                }
            }
        }
        return (genuine, impostor)
    }
}

extension FaceEngineKind {
    /// The model of this engine's templates: a back-end or calibration made from one
    /// engine's descriptors names it, so another engine's are refused (the two networks'
    /// spaces have nothing in common, and a dlib threshold on SFace cosines would be noise).
    public var templateModel: TemplateModel {
        switch self {
        case .dlib: LFWTemplates.model
        case .sface: TemplateModel(engine: OpenCVFaceEngine.engineName, version: OpenCVFaceEngine.modelVersion)
        }
    }
}
