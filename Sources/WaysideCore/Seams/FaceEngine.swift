/// A point in pixel coordinates.
public struct Point2: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A face found in a frame.
public struct DetectedFace: Sendable, Equatable {
    public var box: PixelRect
    /// Detector confidence; its scale depends on the detector.
    public var confidence: Double
    /// Five landmarks in dlib's shape_predictor_5 order: right eye outer and inner
    /// corners, left eye outer and inner corners, base of the nose (image left/right).
    public var landmarks: [Point2]

    public init(box: PixelRect, confidence: Double, landmarks: [Point2] = []) {
        self.box = box
        self.confidence = confidence
        self.landmarks = landmarks
    }
}

/// A face descriptor tagged with the engine and model that made it.
///
/// Templates from different engines or model versions are not comparable; the
/// matcher refuses to compare them rather than return a meaningless score.
public struct FaceTemplate: Sendable, Equatable, Codable {
    /// e.g. "dlib-resnet" or "sface".
    public var engine: String
    /// e.g. "dlib_face_recognition_resnet_model_v1".
    public var modelVersion: String
    public var values: [Float]

    public init(engine: String, modelVersion: String, values: [Float]) {
        self.engine = engine
        self.modelVersion = modelVersion
        self.values = values
    }
}

/// Detection, landmarks and descriptors.
///
/// Not `Sendable` on purpose: the underlying models (dlib) are not thread-safe, so
/// each thread or actor owns its own engine.
public protocol FaceEngine: AnyObject {
    /// Engine and model identifiers stamped on every template.
    var engineName: String { get }
    var modelVersion: String { get }
    /// Faces with landmarks, in no particular order.
    func detect(in frame: Frame) throws -> [DetectedFace]
    /// The descriptor of `face` in `frame`.
    func template(of face: DetectedFace, in frame: Frame) throws -> FaceTemplate
}
