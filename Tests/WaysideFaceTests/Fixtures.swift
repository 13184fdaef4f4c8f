import Foundation
import WaysideFace

/// Where the shared data and the models are, and whether they are there.
enum Fixtures {
    /// The project root (three levels above this file).
    static let projectRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `../shared/data` from the project root.
    static let dataRoot = URL(fileURLWithPath: projectRoot + "/../shared/data").standardized.path

    static let samples = dataRoot + "/samples/fr_examples/examples"

    static let models = FaceModelFiles.standard()

    static var modelsPresent: Bool { (try? models.checkPresent()) != nil }

    /// YuNet and SFace, converted by scripts/fetch-models.
    static var openCVModelsPresent: Bool { (try? models.checkOpenCVPresent()) != nil }

    static var samplesPresent: Bool { FileManager.default.fileExists(atPath: samples + "/obama.jpg") }

    static var lfwPresent: Bool { FileManager.default.fileExists(atPath: dataRoot + "/lfw/pairs.txt") }

    static let modelsMissing = "face models absent: run scripts/fetch-models (looked in \(models.directory))"
    static let openCVModelsMissing = "YuNet/SFace models absent: run scripts/fetch-models (looked in \(models.directory))"
    static let samplesMissing = "shared samples absent at \(samples): skipping"
    static let lfwMissing = "shared LFW absent at \(dataRoot)/lfw: skipping"
}
