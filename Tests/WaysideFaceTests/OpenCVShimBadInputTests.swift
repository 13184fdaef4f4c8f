import CFaceOpenCV
import CFaceShim
import Foundation
import Testing
import WaysideCore
import WaysideFace

/// The OpenCV engine's C boundary must turn every bad input into a status, never a
/// crash: OpenCV reports misuse by throwing cv::Exception, which must not escape.
@Suite(.enabled(if: Fixtures.openCVModelsPresent, Comment(rawValue: Fixtures.openCVModelsMissing)))
struct OpenCVShimBadInputTests {
    let engine: OpenCVFaceEngine

    init() throws { engine = try OpenCVFaceEngine(models: Fixtures.models) }

    /// A raw handle for the C-level cases; closed by the caller.
    static func rawEngine() throws -> OpaquePointer {
        var error = [CChar](repeating: 0, count: 256)
        var raw: OpaquePointer?
        #expect(wf_cv_open(Fixtures.models.yunet, Fixtures.models.sface, &raw, &error, 256) == WF_OK)
        return try #require(raw)
    }

    @Test func nullEngineAndNullPixelsAreArgumentErrors() {
        var faces = [wf_face](repeating: wf_face(), count: 4)
        var count: Int32 = 7
        var error = [CChar](repeating: 0, count: 256)
        #expect(wf_cv_detect(nil, nil, 10, 10, 30, 3, 0, 0.9, 0.3, &faces, 4, &count, &error, 256) == WF_ERR_ARGUMENT)
        #expect(count == 0)
        var feature = [Float](repeating: 0, count: 128)
        var face = wf_face()
        #expect(wf_cv_feature(nil, nil, 0, 0, 0, &face, &feature, nil, &error, 256) == WF_ERR_ARGUMENT)
        var out: OpaquePointer?
        #expect(wf_cv_open(nil, nil, &out, &error, 256) == WF_ERR_ARGUMENT)
        wf_cv_close(nil)
    }

    @Test(arguments: Fixtures.inconsistentGeometries)
    func inconsistentGeometryIsRejected(width: Int, height: Int, stride: Int) throws {
        let bytes = [UInt8](repeating: 128, count: 64)
        var faces = [wf_face](repeating: wf_face(), count: 4)
        var count: Int32 = 0
        var error = [CChar](repeating: 0, count: 256)
        let raw = try Self.rawEngine()
        defer { wf_cv_close(raw) }
        let status = wf_cv_detect(raw, bytes, Int32(width), Int32(height), Int32(stride), 3, 0, 0.9, 0.3,
                                  &faces, 4, &count, &error, 256)
        #expect(status == WF_ERR_ARGUMENT)
        #expect(String(cString: error).contains("geometry"))
    }

    @Test(arguments: [(Float(-0.1), Float(0.3), Int32(0)), (1.5, 0.3, 0), (.nan, 0.3, 0), (0.9, 0, 0),
                      (0.9, 0.3, 16), (0.9, 0.3, -1), (0.9, 0.3, 100_000)])
    func outOfRangeSettingsAreRejected(score: Float, nms: Float, maxSide: Int32) throws {
        let pixels = [UInt8](repeating: 100, count: 64 * 64 * 3)
        var faces = [wf_face](repeating: wf_face(), count: 4)
        var count: Int32 = 0
        var error = [CChar](repeating: 0, count: 256)
        let raw = try Self.rawEngine()
        defer { wf_cv_close(raw) }
        #expect(wf_cv_detect(raw, pixels, 64, 64, 192, 3, maxSide, score, nms, &faces, 4, &count, &error, 256) == WF_ERR_ARGUMENT)
    }

    @Test func emptyFrameThrowsBadInput() {
        Fixtures.expectBadInputForEmptyFrame { try engine.detect(in: $0) }
    }

    @Test func blankNoiseAndTinyImagesHaveNoFace() throws {
        for frame in Fixtures.facelessFrames() { #expect(try engine.detect(in: frame).isEmpty) }
        // Smaller than one 32-pixel cell, and a 1-pixel line: padded, never an OpenCV assertion.
        let tiny = try #require(RGBImage(width: 5, height: 3, pixels: [UInt8](repeating: 200, count: 45)))
        #expect(try engine.detect(in: tiny).isEmpty)
        // Scaled to 640x1, once padded to 640x32 and then OpenCV 4.6 gave NaN heads (phantom
        // faces) in about 1 call of 5: repeated, so that a regression shows.
        let line = try #require(RGBImage(width: 2000, height: 1, pixels: [UInt8](repeating: 7, count: 6000)))
        for _ in 0..<12 { #expect(try engine.detect(in: line).isEmpty) }
    }

    @Test func featureRefusesDlibLandmarksAbsurdOnesAndCoincidentOnes() throws {
        let image = try #require(RGBImage(width: 200, height: 200, pixels: [UInt8](repeating: 100, count: 200 * 200 * 3)))
        let box = PixelRect(x: 10, y: 10, width: 80, height: 80)
        let points = [Point2(x: 30, y: 40), Point2(x: 70, y: 40), Point2(x: 50, y: 60), Point2(x: 35, y: 80), Point2(x: 65, y: 80)]
        // dlib's eye corners and nose base would misalign SFace's chip: refused, not used.
        let dlib = DetectedFace(box: box, confidence: 1, landmarks: points, layout: .dlib5)
        #expect(throws: FaceEngineError.self) { try engine.feature(of: dlib, in: image) }
        let bare = DetectedFace(box: box, confidence: 1, layout: .yunet5)
        #expect(throws: FaceEngineError.self) { try engine.feature(of: bare, in: image) }
        let wild = DetectedFace(box: box, confidence: 1, landmarks: Array(repeating: Point2(x: 1e9, y: -1e9), count: 5), layout: .yunet5)
        #expect(throws: FaceEngineError.self) { try engine.feature(of: wild, in: image) }
        let nan = DetectedFace(box: box, confidence: 1, landmarks: Array(repeating: Point2(x: .nan, y: 5), count: 5), layout: .yunet5)
        #expect(throws: FaceEngineError.self) { try engine.feature(of: nan, in: image) }
        let point = DetectedFace(box: box, confidence: 1, landmarks: Array(repeating: Point2(x: 50, y: 50), count: 5), layout: .yunet5)
        do {
            _ = try engine.feature(of: point, in: image)
            Issue.record("coincident landmarks gave a feature")
        } catch let e as FaceEngineError { #expect(e.code == .badInput) }
        // Landmarks of a plausible face on a flat grey image: a feature, unit length.
        let flat = try engine.feature(of: DetectedFace(box: box, confidence: 1, landmarks: points, layout: .yunet5), in: image)
        #expect(abs(flat.values.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
    }

    @Test(.enabled(if: Fixtures.samplesPresent, Comment(rawValue: Fixtures.samplesMissing)))
    func manyFacesAreAllReportedWithLandmarks() throws {
        // Tile one portrait 3 x 2: six faces, each with its five landmarks inside its box.
        let mosaic = try Fixtures.mosaic(of: "obama.jpg", tile: 200)
        let faces = try engine.detect(in: mosaic)
        #expect(faces.count == 6)
        for f in faces {
            #expect(f.layout == .yunet5 && f.landmarks.count == 5)
            #expect(f.landmarks.allSatisfy { $0.x >= Double(f.box.x) && $0.x <= Double(f.box.x + f.box.width) &&
                                             $0.y >= Double(f.box.y) && $0.y <= Double(f.box.y + f.box.height) })
        }
        // Best score first.
        #expect(zip(faces, faces.dropFirst()).allSatisfy { $0.confidence >= $1.confidence })
    }

    @Test func missingModelNamesTheFileAndTheFetchCommand() {
        do {
            _ = try OpenCVFaceEngine(models: FaceModelFiles(directory: "/nonexistent/models"))
            Issue.record("engine loaded from a missing folder")
        } catch let e as FaceEngineError {
            #expect(e.code == .modelMissing)
            #expect(e.description.contains("face_detection_yunet_2023mar_fp32.onnx"))
            #expect(e.description.contains("scripts/fetch-models"))
        } catch { Issue.record("unexpected \(error)") }
    }

    /// A folder holding `yunet` and `sface` contents under the engine's file names.
    static func folder(yunet: String?, sface: String?, garbage: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cv-models-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let target = FaceModelFiles(directory: dir)
        for (source, name) in [(yunet, target.yunet), (sface, target.sface)] {
            if let source { try FileManager.default.copyItem(atPath: source, toPath: name) } else {
                try Data(garbage.utf8).write(to: URL(fileURLWithPath: name))
            }
        }
        return dir
    }

    @Test func corruptModelIsACleanErrorNamingIt() throws {
        let dir = try Self.folder(yunet: Fixtures.models.yunet, sface: nil, garbage: "this is not an ONNX graph")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try OpenCVFaceEngine(models: FaceModelFiles(directory: dir))
            Issue.record("engine loaded a corrupt model")
        } catch let e as FaceEngineError {
            #expect(e.code == .modelCorrupt)
            #expect(e.description.contains("face_recognition_sface_2021dec_fp32.onnx"))
            #expect(e.description.contains("scripts/fetch-models"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func aValidButWrongNetworkIsRefusedAtLoad() throws {
        // SFace where YuNet belongs parses as ONNX; the dry run at load must catch it.
        let dir = try Self.folder(yunet: Fixtures.models.sface, sface: Fixtures.models.sface, garbage: "")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try OpenCVFaceEngine(models: FaceModelFiles(directory: dir))
            Issue.record("engine loaded SFace as its detector")
        } catch let e as FaceEngineError {
            #expect(e.code == .modelCorrupt)
            #expect(e.description.contains("face_detection_yunet_2023mar_fp32.onnx"))
        } catch { Issue.record("unexpected \(error)") }
    }
}
