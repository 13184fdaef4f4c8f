import CFaceShim
import WaysideCore

/// The dlib engine: HOG detector, 5-point landmarks, 150x150 aligned chip and
/// the 128-d ResNet descriptor (dlib_face_recognition_resnet_model_v1).
///
/// Owns one `wf_dlib_engine` handle and closes it on deinit. Not thread-safe
/// (dlib's detector and network keep scratch state): create one per thread.
public final class DlibFaceEngine: FaceEngine {
    /// How ``detect(in:)`` searches.
    public struct Options: Sendable, Equatable {
        /// Image doublings before HOG; 0 for live frames (a kiosk face is big
        /// enough, and each doubling costs about 4x).
        public var upsample: Int
        /// A second HOG pass with this many doublings when the first finds
        /// nothing (still images with small faces); nil for none.
        public var fallbackUpsample: Int?
        /// Use the MMOD CNN instead of HOG: slow, only as an explicit fallback.
        public var useCNN: Bool

        /// Options for live frames: HOG, no upsampling, no fallback.
        public static let live = Options(upsample: 0, fallbackUpsample: nil, useCNN: false)
        /// Options for photographs: HOG, then one doubling when nothing is found.
        public static let stills = Options(upsample: 0, fallbackUpsample: 1, useCNN: false)

        /// Makes options.
        public init(upsample: Int, fallbackUpsample: Int?, useCNN: Bool) {
            self.upsample = upsample
            self.fallbackUpsample = fallbackUpsample
            self.useCNN = useCNN
        }
    }

    /// The most faces reported from one frame.
    public static let maximumFaces = 64

    private let handle: OpaquePointer
    /// The search options used by ``detect(in:)``.
    public var options: Options
    /// The models this engine loaded.
    public let models: FaceModelFiles

    /// "dlib-resnet".
    public var engineName: String { "dlib-resnet" }
    /// "dlib_face_recognition_resnet_model_v1".
    public var modelVersion: String { "dlib_face_recognition_resnet_model_v1" }

    /// Loads the models once (about 30 MB); a missing or corrupt file throws an
    /// error naming it and `scripts/fetch-models`.
    public init(models: FaceModelFiles = .standard(), options: Options = .live, loadCNN: Bool = false) throws {
        try models.checkPresent(includingCNN: loadCNN || options.useCNN)
        self.handle = try FaceEngineError.openHandle(folder: models.directory) { engine, message in
            wf_dlib_open(models.shapePredictor, models.resnet, (loadCNN || options.useCNN) ? models.mmod : nil,
                         &engine, &message, message.count)
        }
        self.options = options
        self.models = models
    }

    deinit { wf_dlib_close(handle) }

    /// Faces with landmarks in a camera frame, using ``options``.
    public func detect(in frame: Frame) throws -> [DetectedFace] {
        try detect(in: RGBImage(frame: frame))
    }

    /// Faces with landmarks in an image, using ``options`` (with its fallback).
    public func detect(in image: RGBImage) throws -> [DetectedFace] {
        let faces = try detect(in: image, upsample: options.upsample, cnn: options.useCNN)
        if faces.isEmpty, let again = options.fallbackUpsample, again > options.upsample {
            return try detect(in: image, upsample: again, cnn: options.useCNN)
        }
        return faces
    }

    /// One detector pass: HOG (or the CNN) after `upsample` doublings.
    public func detect(in image: RGBImage, upsample: Int, cnn: Bool = false) throws -> [DetectedFace] {
        var found = [wf_face](repeating: wf_face(), count: Self.maximumFaces)
        var count: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            wf_dlib_detect(handle, pixels.baseAddress, Int32(image.width), Int32(image.height),
                           Int32(image.width * 3), 3, Int32(upsample), cnn ? 1 : 0,
                           &found, Int32(found.count), &count, &message, message.count)
        }
        if let error = FaceEngineError.from(status, operation: "detect", buffer: message) { throw error }
        return found.prefix(Int(min(count, Int32(found.count)))).map { DetectedFace(shim: $0, layout: .dlib5) }
    }

    /// The descriptor of `face` in `frame`, stamped with engine and model.
    public func template(of face: DetectedFace, in frame: Frame) throws -> FaceTemplate {
        try template(of: face, in: RGBImage(frame: frame))
    }

    /// The descriptor of `face` in `image`, stamped with engine and model.
    public func template(of face: DetectedFace, in image: RGBImage) throws -> FaceTemplate {
        FaceTemplate(engine: engineName, modelVersion: modelVersion,
                     values: try descriptor(of: face, in: image).values)
    }

    /// The 128 floats and, on request, the 150x150 RGB chip they came from.
    public func descriptor(of face: DetectedFace, in image: RGBImage, withChip: Bool = false)
        throws -> (values: [Float], chip: RGBImage?)
    {
        // dlib's chip is aligned from its own five points; another detector's would skew it.
        guard face.layout == .dlib5 else {
            throw FaceEngineError(code: .badInput, operation: "descriptor",
                                  detail: "face has \(face.layout.rawValue) landmarks; dlib aligns from dlib5")
        }
        guard face.landmarks.count == 5 else {
            throw FaceEngineError(code: .badInput, operation: "descriptor",
                                  detail: "face needs 5 landmarks, has \(face.landmarks.count)")
        }
        var raw = wf_face(face)
        var values = [Float](repeating: 0, count: Int(WF_DLIB_DESCRIPTOR_SIZE))
        let side = Int(WF_DLIB_CHIP_SIZE)
        var chip = [UInt8](repeating: 0, count: withChip ? side * side * 3 : 0)
        var message = [CChar](repeating: 0, count: 512)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            chip.withUnsafeMutableBufferPointer { chipBuffer in
                wf_dlib_descriptor(handle, pixels.baseAddress, Int32(image.width), Int32(image.height),
                                   Int32(image.width * 3), &raw, &values,
                                   withChip ? chipBuffer.baseAddress : nil, &message, message.count)
            }
        }
        if let error = FaceEngineError.from(status, operation: "descriptor", buffer: message) { throw error }
        return (values, withChip ? RGBImage(width: side, height: side, pixels: chip) : nil)
    }
}

/// Choosing the kiosk's person among several faces.
public enum FaceChoice {
    /// The face whose box centre is nearest the centre of a `width` x `height`
    /// frame: at a kiosk the person being served stands in front of the camera,
    /// while bystanders, however close, stand to the side.
    public static func nearestCentre(_ faces: [DetectedFace], width: Int, height: Int) -> DetectedFace? {
        let cx = Double(width) / 2, cy = Double(height) / 2
        return faces.min { a, b in
            let da = (a.box.centerX - cx) * (a.box.centerX - cx) + (a.box.centerY - cy) * (a.box.centerY - cy)
            let db = (b.box.centerX - cx) * (b.box.centerX - cx) + (b.box.centerY - cy) * (b.box.centerY - cy)
            return da < db
        }
    }
}

/// Euclidean distance between two descriptors (dlib's comparison; lower is more alike).
public func descriptorDistance(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "descriptors of different sizes")
    var sum: Float = 0
    for i in 0..<a.count { let d = a[i] - b[i]; sum += d * d }
    return sum.squareRoot()
}
