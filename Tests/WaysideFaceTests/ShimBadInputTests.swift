import CFaceShim
import Foundation
import Testing
import WaysideCore
import WaysideFace

/// The C boundary must turn every bad input into a status, never a crash.
@Suite(.enabled(if: Fixtures.modelsPresent, Comment(rawValue: Fixtures.modelsMissing)))
struct ShimBadInputTests {
    let engine: DlibFaceEngine

    init() throws { engine = try DlibFaceEngine(models: Fixtures.models) }

    @Test func nullEngineAndNullPixelsAreArgumentErrors() {
        var faces = [wf_face](repeating: wf_face(), count: 4)
        var count: Int32 = 7
        var error = [CChar](repeating: 0, count: 256)
        #expect(wf_dlib_detect(nil, nil, 10, 10, 10, 1, 0, 0, &faces, 4, &count, &error, 256) == WF_ERR_ARGUMENT)
        #expect(count == 0)
        var descriptor = [Float](repeating: 0, count: 128)
        var face = wf_face()
        #expect(wf_dlib_descriptor(nil, nil, 0, 0, 0, &face, &descriptor, nil, &error, 256) == WF_ERR_ARGUMENT)
        wf_dlib_close(nil)
    }

    @Test(arguments: Fixtures.inconsistentGeometries)
    func inconsistentGeometryIsRejected(width: Int, height: Int, stride: Int) throws {
        let bytes = [UInt8](repeating: 128, count: 64)
        var faces = [wf_face](repeating: wf_face(), count: 4)
        var count: Int32 = 0
        var error = [CChar](repeating: 0, count: 256)
        var raw: OpaquePointer?
        #expect(wf_dlib_open(Fixtures.models.shapePredictor, Fixtures.models.resnet, nil, &raw, &error, 256) == WF_OK)
        defer { wf_dlib_close(raw) }
        let status = wf_dlib_detect(try #require(raw), bytes, Int32(width), Int32(height),
                                    Int32(stride), 3, 0, 0, &faces, 4, &count, &error, 256)
        #expect(status == WF_ERR_ARGUMENT)
        #expect(String(cString: error).contains("geometry"))
    }

    @Test func emptyFrameThrowsBadInput() {
        Fixtures.expectBadInputForEmptyFrame { try engine.detect(in: $0) }
    }

    @Test func blankAndNoiseFramesHaveNoFace() throws {
        for frame in Fixtures.facelessFrames() { #expect(try engine.detect(in: frame).isEmpty) }
    }

    @Test func upsampleOutOfRangeIsRejected() throws {
        let image = try #require(RGBImage(width: 32, height: 32, pixels: [UInt8](repeating: 0, count: 32 * 32 * 3)))
        #expect(throws: FaceEngineError.self) { try engine.detect(in: image, upsample: 9) }
    }

    @Test func descriptorWithoutLandmarksOrWithAbsurdOnesFails() throws {
        let image = try #require(RGBImage(width: 200, height: 200, pixels: [UInt8](repeating: 100, count: 200 * 200 * 3)))
        let bare = DetectedFace(box: PixelRect(x: 10, y: 10, width: 80, height: 80), confidence: 1)
        #expect(throws: FaceEngineError.self) { try engine.descriptor(of: bare, in: image) }
        let wild = DetectedFace(box: PixelRect(x: 10, y: 10, width: 80, height: 80), confidence: 1,
                                landmarks: Array(repeating: Point2(x: 1e9, y: -1e9), count: 5))
        #expect(throws: FaceEngineError.self) { try engine.descriptor(of: wild, in: image) }
        let empty = DetectedFace(box: PixelRect(x: 10, y: 10, width: 0, height: 80), confidence: 1,
                                 landmarks: Array(repeating: Point2(x: 50, y: 50), count: 5))
        #expect(throws: FaceEngineError.self) { try engine.descriptor(of: empty, in: image) }
    }

    @Test func corruptJPEGIsAnImageError() {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0x42, count: 300)
        bytes[100] = 0xFF
        #expect(throws: FaceEngineError.self) { try RGBImage(jpeg: bytes) }
        #expect(throws: FaceEngineError.self) { try RGBImage(jpeg: []) }
        #expect(throws: FaceEngineError.self) { try RGBImage(contentsOfFile: "/nonexistent/face.jpg") }
    }

    @Test(.enabled(if: Fixtures.samplesPresent, Comment(rawValue: Fixtures.samplesMissing)))
    func manyFacesAreAllReportedWithLandmarks() throws {
        // Tile one portrait 3 x 2: six faces, each with five landmarks inside its tile.
        let mosaic = try Fixtures.mosaic(of: "obama.jpg", tile: 240)
        let faces = try engine.detect(in: mosaic, upsample: 1)
        #expect(faces.count == 6)
        for f in faces {
            #expect(f.landmarks.count == 5)
            #expect(f.landmarks.allSatisfy { $0.x >= Double(f.box.x - 20) && $0.x <= Double(f.box.x + f.box.width + 20) })
        }
    }

    @Test func missingModelNamesTheFileAndTheFetchCommand() {
        let models = FaceModelFiles(directory: "/nonexistent/models")
        do {
            _ = try DlibFaceEngine(models: models)
            Issue.record("engine loaded from a missing folder")
        } catch let e as FaceEngineError {
            #expect(e.code == .modelMissing)
            #expect(e.description.contains("shape_predictor_5_face_landmarks.dat"))
            #expect(e.description.contains("scripts/fetch-models"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func corruptModelIsACleanError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wf-corrupt-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = Fixtures.models
        try FileManager.default.copyItem(atPath: good.shapePredictor, toPath: dir + "/shape_predictor_5_face_landmarks.dat")
        try Data("this is not a dlib network".utf8).write(to: URL(fileURLWithPath: dir + "/dlib_face_recognition_resnet_model_v1.dat"))
        do {
            _ = try DlibFaceEngine(models: FaceModelFiles(directory: dir))
            Issue.record("engine loaded a corrupt model")
        } catch let e as FaceEngineError {
            #expect(e.code == .modelCorrupt)
            #expect(e.description.contains("dlib_face_recognition_resnet_model_v1.dat"))
            #expect(e.description.contains("scripts/fetch-models"))
        } catch { Issue.record("unexpected \(error)") }
    }
}
