import CFaceOpenCV
import CFaceShim
import WaysideCore

/// The second engine: OpenCV Zoo's YuNet detector (2023mar: box, score and five
/// landmarks) and SFace recogniser (2021dec: 128-d feature of a 112x112 chip aligned
/// on ArcFace's points), run by OpenCV 4.6's dnn module.
///
/// Owns one `wf_cv_engine` handle and closes it on deinit. Not thread-safe
/// (`cv::dnn::Net` keeps its blobs between calls): create one per thread.
/// Its faces carry ``LandmarkLayout/yunet5`` landmarks and its templates are
/// L2-normalised, compared by cosine (``featureSimilarity(_:_:)``), never with a dlib one.
public final class OpenCVFaceEngine: FaceEngine {
    /// How ``detect(in:)`` searches.
    public struct Options: Sendable, Equatable {
        /// The lowest YuNet score (0...1) kept as a face.
        public var scoreThreshold: Float
        /// Overlapping boxes above this IoU keep only the best one.
        public var nmsThreshold: Float
        /// Larger images are scaled down to fit this side before YuNet (its cost
        /// grows with the area; a kiosk face in a 640x480 frame needs no more).
        public var maxSide: Int

        /// OpenCV Zoo's defaults for YuNet (score 0.9, NMS 0.3) at up to 640 pixels.
        public static let standard = Options(scoreThreshold: 0.9, nmsThreshold: 0.3, maxSide: 640)

        /// Makes options.
        public init(scoreThreshold: Float, nmsThreshold: Float, maxSide: Int) {
            self.scoreThreshold = scoreThreshold
            self.nmsThreshold = nmsThreshold
            self.maxSide = maxSide
        }
    }

    /// The most faces reported from one frame.
    public static let maximumFaces = 64

    private let handle: OpaquePointer
    /// The search options used by ``detect(in:)``.
    public var options: Options
    /// The models this engine loaded.
    public let models: FaceModelFiles

    /// "sface": also a static, so code that only reads cached descriptors (the comparison
    /// back-end's training) names the same model without loading the networks.
    public static let engineName = "sface"
    /// "face_recognition_sface_2021dec_int8bq": the zoo's int8-rounded weights, which
    /// the fp32 conversion keeps exactly, so templates follow the shipped model.
    public static let modelVersion = "face_recognition_sface_2021dec_int8bq"

    /// ``engineName``.
    public var engineName: String { Self.engineName }
    /// ``modelVersion``.
    public var modelVersion: String { Self.modelVersion }

    /// Loads both networks once (about 40 MB) and runs each on a blank input, so that a
    /// missing, corrupt or wrong file throws here, naming it and `scripts/fetch-models`.
    public init(models: FaceModelFiles = .standard(), options: Options = .standard) throws {
        try models.checkOpenCVPresent()
        self.handle = try FaceEngineError.openHandle(folder: models.directory) { engine, message in
            wf_cv_open(models.yunet, models.sface, &engine, &message, message.count)
        }
        self.options = options
        self.models = models
    }

    deinit { wf_cv_close(handle) }

    /// Faces with YuNet landmarks in a camera frame, best score first.
    public func detect(in frame: Frame) throws -> [DetectedFace] {
        try detect(in: RGBImage(frame: frame))
    }

    /// Faces with YuNet landmarks in an image, best score first.
    public func detect(in image: RGBImage) throws -> [DetectedFace] {
        var found = [wf_face](repeating: wf_face(), count: Self.maximumFaces)
        var count: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            wf_cv_detect(handle, pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width * 3), 3,
                         Int32(clamping: options.maxSide), options.scoreThreshold, options.nmsThreshold,
                         &found, Int32(found.count), &count, &message, message.count)
        }
        if let error = FaceEngineError.from(status, operation: "detect", buffer: message) { throw error }
        return found.prefix(Int(min(count, Int32(found.count)))).map { DetectedFace(shim: $0, layout: .yunet5) }
    }

    /// The SFace template of `face` in `frame`, stamped with engine and model.
    public func template(of face: DetectedFace, in frame: Frame) throws -> FaceTemplate {
        try template(of: face, in: RGBImage(frame: frame))
    }

    /// The SFace template of `face` in `image`, stamped with engine and model.
    public func template(of face: DetectedFace, in image: RGBImage) throws -> FaceTemplate {
        FaceTemplate(engine: engineName, modelVersion: modelVersion, values: try feature(of: face, in: image).values)
    }

    /// The 128 L2-normalised floats and, on request, the 112x112 RGB chip they came from.
    public func feature(of face: DetectedFace, in image: RGBImage, withChip: Bool = false)
        throws -> (values: [Float], chip: RGBImage?)
    {
        // SFace's chip is aligned on YuNet's points (eye centres, nose tip, mouth corners);
        // dlib's eye corners and nose base would land in the wrong places.
        guard face.layout == .yunet5, face.landmarks.count == 5 else {
            throw FaceEngineError(code: .badInput, operation: "feature",
                                  detail: "face needs 5 yunet5 landmarks, has \(face.landmarks.count) \(face.layout.rawValue)")
        }
        var raw = wf_face(face)
        var values = [Float](repeating: 0, count: Int(WF_SFACE_FEATURE_SIZE))
        let side = Int(WF_SFACE_CHIP_SIZE)
        var chip = [UInt8](repeating: 0, count: withChip ? side * side * 3 : 0)
        var message = [CChar](repeating: 0, count: 512)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            chip.withUnsafeMutableBufferPointer { chipBuffer in
                wf_cv_feature(handle, pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width * 3),
                              &raw, &values, withChip ? chipBuffer.baseAddress : nil, &message, message.count)
            }
        }
        if let error = FaceEngineError.from(status, operation: "feature", buffer: message) { throw error }
        return (values, withChip ? RGBImage(width: side, height: side, pixels: chip) : nil)
    }
}

/// Cosine similarity of two L2-normalised features (SFace's comparison; higher is
/// more alike, 1 for the same image).
public func featureSimilarity(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "features of different sizes")
    var sum: Float = 0
    for i in 0..<a.count { sum += a[i] * b[i] }
    return sum
}
