import WaysideCore

/// What the evaluation asks of an engine: the faces in an image, searched the way a
/// recipe says, and the descriptor of one.
public protocol EvaluatedEngine: AnyObject {
    /// Faces with landmarks, as the engine finds them under `recipe`.
    func faces(in image: RGBImage, recipe: ImageRecipe) throws -> [DetectedFace]
    /// The descriptor of `face` (comparable only with the same engine's).
    func descriptorValues(of face: DetectedFace, in image: RGBImage) throws -> [Float]
}

extension DlibFaceEngine: EvaluatedEngine {
    /// HOG with the recipe's upsampling and fallback.
    public func faces(in image: RGBImage, recipe: ImageRecipe) throws -> [DetectedFace] {
        options = .init(upsample: recipe.upsample, fallbackUpsample: recipe.fallbackUpsample, useCNN: false)
        return try detect(in: image)
    }

    /// The ResNet descriptor.
    public func descriptorValues(of face: DetectedFace, in image: RGBImage) throws -> [Float] {
        try descriptor(of: face, in: image).values
    }
}

extension OpenCVFaceEngine: EvaluatedEngine {
    /// YuNet with ``OpenCVFaceEngine/options``: the recipe's upsampling is HOG's, whose
    /// window has a minimum face size; YuNet's strides 8-32 find faces from about 10 px.
    public func faces(in image: RGBImage, recipe: ImageRecipe) throws -> [DetectedFace] {
        try detect(in: image)
    }

    /// The SFace feature.
    public func descriptorValues(of face: DetectedFace, in image: RGBImage) throws -> [Float] {
        try feature(of: face, in: image).values
    }
}

/// The engines the evaluation can run.
public enum FaceEngineKind: String, Sendable, Codable, CaseIterable {
    /// ``DlibFaceEngine``: HOG, 5-point landmarks, ResNet.
    case dlib
    /// ``OpenCVFaceEngine``: YuNet and SFace.
    case sface

    /// Loads one engine (one per worker thread).
    public func load(_ models: FaceModelFiles) throws -> any EvaluatedEngine {
        switch self {
        case .dlib: try DlibFaceEngine(models: models)
        case .sface: try OpenCVFaceEngine(models: models)
        }
    }

    /// Throws naming the first model file of this engine that is missing.
    public func checkPresent(_ models: FaceModelFiles) throws {
        switch self {
        case .dlib: try models.checkPresent()
        case .sface: try models.checkOpenCVPresent()
        }
    }

    /// How its descriptors are compared.
    public var metric: DescriptorMetric {
        switch self {
        case .dlib: .euclidean
        case .sface: .cosine
        }
    }

    /// The folder of its descriptor caches, named like its templates' engine.
    public var cacheFolder: String {
        switch self {
        case .dlib: "dlib-resnet"
        case .sface: "sface"
        }
    }

    /// The descriptor cache of `dataset` under `recipe`:
    /// `<cache>/eval/<engine folder>/<dataset>-<engine's recipe key>.json`, one path for
    /// `waysidectl eval`, the calibration and the comparison back-end, so one engine run
    /// serves them all.
    public func cacheFile(_ cacheDirectory: String, dataset: String, recipe: ImageRecipe) -> String {
        "\(cacheDirectory)/eval/\(cacheFolder)/\(dataset)-\(cacheKey(recipe)).json"
    }

    /// The cache file's key for `recipe`: it changes whenever what the engine would
    /// compute does (dlib's keeps its earlier form, so existing caches stay valid).
    public func cacheKey(_ recipe: ImageRecipe) -> String {
        switch self {
        case .dlib:
            return recipe.key
        case .sface:
            let o = OpenCVFaceEngine.Options.standard
            let detector = "yunet-s\(Int((o.scoreThreshold * 100).rounded()))n\(Int((o.nmsThreshold * 100).rounded()))m\(o.maxSide)"
            return "\(detector)-p\(recipe.pad)\(recipe.descriptor ? "d" : "")\(recipe.gate ? "g" : "")"
        }
    }
}
