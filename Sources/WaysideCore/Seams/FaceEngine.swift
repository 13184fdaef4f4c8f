/// A point in pixel coordinates.
public struct Point2: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// Which five points a detector's landmarks are, in which order.
///
/// The two engines' landmark models mark different points, and each recogniser
/// aligns its chip from its own: the layout travels with the face so that an engine
/// never aligns (or a measure never reads) points of the other kind.
public enum LandmarkLayout: String, Sendable, Equatable, Codable {
    /// dlib's shape_predictor_5: the image-right eye's outer and inner corners, the
    /// image-left eye's outer and inner corners, the base of the nose.
    case dlib5
    /// YuNet's: the centres of the image-left and image-right eyes, the nose tip, the
    /// image-left and image-right mouth corners (ArcFace's alignment points).
    case yunet5
}

/// A face found in a frame.
public struct DetectedFace: Sendable, Equatable {
    public var box: PixelRect
    /// Detector confidence; its scale depends on the detector.
    public var confidence: Double
    /// Five landmarks in the order ``layout`` names (dlib's by default).
    public var landmarks: [Point2]
    /// Which points ``landmarks`` are.
    public var layout: LandmarkLayout

    public init(box: PixelRect, confidence: Double, landmarks: [Point2] = [], layout: LandmarkLayout = .dlib5) {
        self.box = box
        self.confidence = confidence
        self.landmarks = landmarks
        self.layout = layout
    }

    /// The landmarks as dlib's layout, for measures written against it (eye line, nose
    /// below it: quality, head pose): YuNet's eye centres stand in for both corners of
    /// each eye and its nose tip for the base of the nose. Empty unless there are five.
    public var dlibLayoutLandmarks: [Point2] {
        guard landmarks.count == 5 else { return [] }
        switch layout {
        case .dlib5: return landmarks
        case .yunet5:
            let (imageLeftEye, imageRightEye) = (landmarks[0], landmarks[1])
            return [imageRightEye, imageRightEye, imageLeftEye, imageLeftEye, landmarks[2]]
        }
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
