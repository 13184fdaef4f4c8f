import Foundation
import Testing
import WaysideCore
import WaysideDevices
import WaysideFace
import WaysideLiveness

/// Collects the guidance keys a photo attempt reported.
private actor GuidanceLog {
    var keys: [String] = []
    func add(_ key: String) { keys.append(key) }
}

/// A folder with copies of `files`, for a camera that plays exactly those images.
private func folder(with files: [String]) throws -> String {
    let path = NSTemporaryDirectory() + "photo-taker-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    for (index, file) in files.enumerated() {
        try FileManager.default.copyItem(atPath: file, toPath: path + String(format: "/%03d.jpg", index))
    }
    return path
}

/// A grey JPEG with no face in it.
private func blankJPEG() throws -> String {
    let frame = Frame(width: 320, height: 240, format: .gray8, bytes: [UInt8](repeating: 128, count: 320 * 240))
    let path = NSTemporaryDirectory() + "blank-\(UUID().uuidString).jpg"
    try Data(try JPEGCodec().encode(frame)).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite(.enabled(if: Fixtures.modelsPresent, Comment(rawValue: Fixtures.modelsMissing)))
struct FacePhotoTakerTests {
    @Test(.enabled(if: Fixtures.samplesPresent, Comment(rawValue: Fixtures.samplesMissing)))
    func aClearFaceBecomesAPhotoWithATemplateAndABox() async throws {
        let blank = try blankJPEG()
        // An empty frame first: the person hears that no face is seen, then the face passes.
        let images = try folder(with: [blank, Fixtures.samples + "/obama.jpg"])
        defer { try? FileManager.default.removeItem(atPath: images) }
        let camera = ImageFolderCamera(path: images, framesPerSecond: 20, loop: false, clock: ContinuousClock())
        let taker = FacePhotoTaker(engine: try DlibFaceEngine(models: Fixtures.models), attemptTimeout: .seconds(60))
        let log = GuidanceLog()
        let photo = try await taker.takePhoto(from: camera) { await log.add($0) }

        let template = try #require(photo.template)
        #expect(template.values.count == 128)
        #expect(template.engine == "dlib-resnet")
        let box = try #require(photo.faceBox)
        #expect(box.width > 40 && box.height > 40)
        #expect(try JPEGCodec().dimensions(of: [UInt8](photo.jpeg)).width > 0)
        #expect(await log.keys == ["capture.noFace"])

        // The template is the face's: closer to the same person's other photo than to another's.
        let engine = try DlibFaceEngine(models: Fixtures.models, options: .stills)
        func descriptor(_ file: String) throws -> [Float] {
            let image = try RGBImage(contentsOfFile: Fixtures.samples + "/" + file)
            let face = try #require(try engine.detect(in: image).first)
            return try engine.template(of: face, in: image).values
        }
        func distance(_ a: [Float], _ b: [Float]) -> Float { sqrt(zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)) }
        #expect(distance(template.values, try descriptor("obama2.jpg")) < distance(template.values, try descriptor("biden.jpg")))
    }

    @Test func noFaceIsGuidedOnceThenTheAttemptFailsWithoutHanging() async throws {
        let images = try folder(with: [try blankJPEG()])
        defer { try? FileManager.default.removeItem(atPath: images) }
        let camera = ImageFolderCamera(path: images, framesPerSecond: 20, loop: true, clock: ContinuousClock())
        let taker = FacePhotoTaker(engine: try DlibFaceEngine(models: Fixtures.models), attemptTimeout: .seconds(2))
        let log = GuidanceLog()
        await #expect(throws: DeviceFault.self) { try await taker.takePhoto(from: camera) { await log.add($0) } }
        #expect(await log.keys == ["capture.noFace"], "guidance is said when it changes, not on every frame")
    }

    @Test(.enabled(if: Fixtures.samplesPresent, Comment(rawValue: Fixtures.samplesMissing)))
    func aStillPhotoPassesTheGateButFailsTheChallenge() async throws {
        // A photograph held in front of the camera: every frame the same face, never moving.
        let images = try folder(with: [Fixtures.samples + "/obama.jpg"])
        defer { try? FileManager.default.removeItem(atPath: images) }
        let camera = ImageFolderCamera(path: images, framesPerSecond: 15, loop: true, clock: ContinuousClock())
        let taker = FacePhotoTaker(engine: try DlibFaceEngine(models: Fixtures.models), attemptTimeout: .seconds(40),
                                   liveness: LivenessOptions())
        let log = GuidanceLog()
        do {
            _ = try await taker.takePhoto(from: camera) { await log.add($0) }
            Issue.record("a still photo passed the liveness challenge")
        } catch let failure as LivenessCheckFailed {
            // Either it never moved when asked, or (were the photo not frontal) it never faced the camera.
            let reason = try #require(failure.challenge)
            switch reason {
            case .tooSlow, .noFrontalFace: break
            default: Issue.record("unexpected reason \(reason)")
            }
            let keys = await log.keys
            if case .tooSlow(let move) = reason {
                // The person was told to hold still, then what to do.
                #expect(keys.contains("capture.holdStill"))
                #expect(keys.last == LivenessOptions.catalogKey(for: .move(move)))
            }
        }
    }

    @Test func everyChallengeInstructionHasAKeyInEveryCatalog() throws {
        let catalog = try MessageCatalog.bundled()
        let instructions: [ChallengeInstruction] = [.faceCamera, .holdStill, .backToCentre] + ChallengeMove.allCases.map { .move($0) }
        for key in instructions.compactMap(LivenessOptions.catalogKey(for:)) {
            #expect(catalog.referenceKeys.contains(key), "no English text for \(key)")
            for language in catalog.languages {
                #expect(!catalog.missingKeys(in: language.tag).contains(key), "\(language.tag) lacks \(key)")
            }
        }
        #expect(LivenessOptions.catalogKey(for: .passed) == nil)
    }

    @Test func everyAdviceHasAKeyInEveryCatalog() throws {
        let catalog = try MessageCatalog.bundled()
        let keys = QualityGuidance.allCases.map(FacePhotoTaker.catalogKey(for:)) + ["capture.noFace"]
        for key in keys {
            #expect(catalog.referenceKeys.contains(key), "no English text for \(key)")
            for language in catalog.languages {
                #expect(!catalog.missingKeys(in: language.tag).contains(key), "\(language.tag) lacks \(key)")
            }
        }
    }
}
