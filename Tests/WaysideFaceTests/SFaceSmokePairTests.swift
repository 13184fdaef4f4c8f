import Foundation
import Testing
import WaysideCore
import WaysideFace

/// Same person must score more alike than different people with YuNet and SFace, on
/// the face_recognition examples.
@Suite(.enabled(if: Fixtures.openCVModelsPresent, Comment(rawValue: Fixtures.openCVModelsMissing)),
       .enabled(if: Fixtures.samplesPresent, Comment(rawValue: Fixtures.samplesMissing)))
struct SFaceSmokePairTests {
    let engine: OpenCVFaceEngine

    init() throws { engine = try OpenCVFaceEngine(models: Fixtures.models) }

    func feature(_ name: String) throws -> [Float] {
        let image = try RGBImage(contentsOfFile: Fixtures.samples + "/" + name)
        let faces = try engine.detect(in: image)
        let face = try #require(FaceChoice.nearestCentre(faces, width: image.width, height: image.height), "no face in \(name)")
        return try engine.feature(of: face, in: image).values
    }

    @Test func samePersonIsMoreAlikeThanDifferentPeople() throws {
        let obama = try feature("obama.jpg"), obama2 = try feature("obama2.jpg"), biden = try feature("biden.jpg")
        let same = featureSimilarity(obama, obama2)
        #expect(same > featureSimilarity(obama, biden))
        #expect(same > featureSimilarity(obama2, biden))
        // OpenCV's SFace sample accepts a cosine of 0.363 and above: it separates these pairs.
        #expect(same >= 0.363)
        #expect(featureSimilarity(obama, biden) < 0.363)
    }

    @Test func resolutionSweepStaysTheSamePerson() throws {
        let reference = try feature("obama.jpg"), biden = try feature("biden.jpg")
        for name in ["obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg"] {
            let f = try feature(name)
            #expect(featureSimilarity(f, reference) > featureSimilarity(f, biden), "\(name)")
        }
    }

    @Test func featureIsUnitLengthAnd128Long() throws {
        let f = try feature("obama.jpg")
        #expect(f.count == 128)
        #expect(abs(f.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
    }

    @Test func landmarksSitWhereAFaceHasThem() throws {
        let image = try RGBImage(contentsOfFile: Fixtures.samples + "/obama.jpg")
        let face = try #require(try engine.detect(in: image).first)
        let p = face.landmarks
        // Image-left eye left of the image-right eye, both above the nose, mouth below it.
        #expect(p[0].x < p[1].x)
        #expect(max(p[0].y, p[1].y) < p[2].y && p[2].y < min(p[3].y, p[4].y))
        #expect(p[3].x < p[4].x)
        // dlib's layout for the gate: the image-right eye first, as dlib's model has it.
        let dlib = face.dlibLayoutLandmarks
        #expect(dlib[0] == p[1] && dlib[2] == p[0] && dlib[4] == p[2])
    }

    @Test func twoPeopleFrameFindsBothAndPicksTheCentralFace() throws {
        try Fixtures.expectCentralOfTwoPeople { try engine.detect(in: $0) }
    }

    @Test func chipIs112SquareAndTemplateIsStamped() throws {
        let image = try RGBImage(contentsOfFile: Fixtures.samples + "/obama.jpg")
        let face = try #require(try engine.detect(in: image).first)
        let chip = try #require(try engine.feature(of: face, in: image, withChip: true).chip)
        #expect(chip.width == 112 && chip.height == 112)
        let t = try engine.template(of: face, in: image)
        #expect(t.engine == "sface")
        #expect(t.modelVersion == "face_recognition_sface_2021dec_int8bq")
        #expect(t.values.count == 128)
    }

    @Test(.enabled(if: Fixtures.modelsPresent, Comment(rawValue: Fixtures.modelsMissing)))
    func dlibRefusesYuNetLandmarks() throws {
        let dlib = try DlibFaceEngine(models: Fixtures.models)
        let image = try RGBImage(contentsOfFile: Fixtures.samples + "/obama.jpg")
        let face = try #require(try engine.detect(in: image).first)
        #expect(throws: FaceEngineError.self) { try dlib.descriptor(of: face, in: image) }
    }
}
