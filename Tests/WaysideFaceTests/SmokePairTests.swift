import Foundation
import Testing
import WaysideCore
import WaysideFace

/// Same person must be closer than different people, on the face_recognition examples.
@Suite(.enabled(if: Fixtures.modelsPresent, Comment(rawValue: Fixtures.modelsMissing)),
       .enabled(if: Fixtures.samplesPresent, Comment(rawValue: Fixtures.samplesMissing)))
struct SmokePairTests {
    let engine: DlibFaceEngine

    init() throws { engine = try DlibFaceEngine(models: Fixtures.models, options: .stills) }

    func descriptor(_ name: String) throws -> [Float] {
        let image = try RGBImage(contentsOfFile: Fixtures.samples + "/" + name)
        let faces = try engine.detect(in: image)
        let face = try #require(FaceChoice.nearestCentre(faces, width: image.width, height: image.height), "no face in \(name)")
        return try engine.descriptor(of: face, in: image).values
    }

    @Test func samePersonIsCloserThanDifferentPeople() throws {
        let obama = try descriptor("obama.jpg"), obama2 = try descriptor("obama2.jpg"), biden = try descriptor("biden.jpg")
        let same = descriptorDistance(obama, obama2)
        #expect(same < descriptorDistance(obama, biden))
        #expect(same < descriptorDistance(obama2, biden))
        // dlib's customary threshold separates these two pairs.
        #expect(same < 0.6)
        #expect(descriptorDistance(obama, biden) >= 0.6)
    }

    @Test func resolutionSweepStaysTheSamePerson() throws {
        let reference = try descriptor("obama.jpg"), biden = try descriptor("biden.jpg")
        for name in ["obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg"] {
            let d = try descriptor(name)
            #expect(descriptorDistance(d, reference) < descriptorDistance(d, biden), "\(name)")
        }
    }

    @Test func descriptorIsUnitScaleAnd128Long() throws {
        let d = try descriptor("obama.jpg")
        #expect(d.count == 128)
        let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(norm > 0.2 && norm < 2)
    }

    @Test func twoPeopleFramePicksTheCentralFace() throws {
        try Fixtures.expectCentralOfTwoPeople { try engine.detect(in: $0) }
    }

    @Test func chipIs150SquareRGB() throws {
        let image = try RGBImage(contentsOfFile: Fixtures.samples + "/obama.jpg")
        let face = try #require(try engine.detect(in: image).first)
        let chip = try #require(try engine.descriptor(of: face, in: image, withChip: true).chip)
        #expect(chip.width == 150 && chip.height == 150)
    }

    @Test func templateIsStampedWithEngineAndModel() throws {
        let image = try RGBImage(contentsOfFile: Fixtures.samples + "/obama.jpg")
        let face = try #require(try engine.detect(in: image).first)
        let t = try engine.template(of: face, in: image)
        #expect(t.engine == "dlib-resnet")
        #expect(t.modelVersion == "dlib_face_recognition_resnet_model_v1")
        #expect(t.values.count == 128)
    }
}
