import Foundation
import Testing
import WaysideCore
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

    /// (width, height, row stride in bytes) of RGB buffers no shim may read: empty, zero
    /// height, rows shorter than their pixels, negative, absurdly wide.
    static let inconsistentGeometries = [(0, 0, 0), (10, 0, 30), (10, 10, 5), (-3, 10, 30), (100_000, 10, 300_000)]

    /// Frames no detector should find a face in: uniform grey, and seeded RGB noise.
    static func facelessFrames() -> [Frame] {
        var state: UInt32 = 12345
        let noise = (0..<(320 * 240 * 3)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        return [Frame(width: 640, height: 480, format: .gray8, bytes: [UInt8](repeating: 90, count: 640 * 480)),
                Frame(width: 320, height: 240, format: .rgb24, bytes: noise)]
    }

    /// Checks that a frame without pixels is refused as bad input, not crashed on.
    static func expectBadInputForEmptyFrame(_ detect: (Frame) throws -> [DetectedFace]) {
        let frame = Frame(width: 640, height: 480, format: .rgb24, bytes: [])
        do {
            _ = try detect(frame)
            Issue.record("an empty frame was accepted")
        } catch let e as FaceEngineError { #expect(e.code == .badInput) } catch { Issue.record("unexpected \(error)") }
    }

    /// One portrait tiled 3 x 2 (`tile` pixels a side): six faces in one image.
    static func mosaic(of name: String, tile: Int) throws -> RGBImage {
        let face = try RGBImage(contentsOfFile: samples + "/" + name)
        let small = try #require(resized(face, to: tile))
        var pixels = [UInt8](repeating: 0, count: tile * 3 * tile * 2 * 3)
        for ty in 0..<2 { for tx in 0..<3 { for y in 0..<tile {
            let src = y * tile * 3, dst = ((ty * tile + y) * tile * 3 + tx * tile) * 3
            pixels.replaceSubrange(dst..<(dst + tile * 3), with: small.pixels[src..<(src + tile * 3)])
        } } }
        return try #require(RGBImage(width: tile * 3, height: tile * 2, pixels: pixels))
    }

    /// Nearest-neighbour resize to a square side (test helper, not for quality).
    static func resized(_ image: RGBImage, to side: Int) -> RGBImage? {
        var out = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side { for x in 0..<side {
            let sx = x * image.width / side, sy = y * image.height / side
            for c in 0..<3 { out[(y * side + x) * 3 + c] = image.pixels[(sy * image.width + sx) * 3 + c] }
        } }
        return RGBImage(width: side, height: side, pixels: out)
    }

    /// Checks that the two faces of `two_people.jpg` are found and the one nearer the
    /// centre is the kiosk's choice.
    static func expectCentralOfTwoPeople(_ detect: (RGBImage) throws -> [DetectedFace]) throws {
        let image = try RGBImage(contentsOfFile: samples + "/two_people.jpg")
        let faces = try detect(image)
        #expect(faces.count == 2)
        let chosen = try #require(FaceChoice.nearestCentre(faces, width: image.width, height: image.height))
        let cx = Double(image.width) / 2
        for f in faces { #expect(abs(chosen.box.centerX - cx) <= abs(f.box.centerX - cx)) }
    }
}
