import Foundation
import Testing
import WaysideCore
import WaysideFace
import WaysideLiveness

/// The shipped texture weights on real NUAA frames, end to end: detection,
/// crop, features, score, decision.
@Suite(.enabled(if: Fixtures.modelsPresent, Comment(rawValue: Fixtures.modelsMissing)),
       .enabled(if: Fixtures.nuaaPresent, Comment(rawValue: Fixtures.nuaaMissing)))
struct LivenessTextureFrameTests {    static let weights = Fixtures.projectRoot + "/Models/liveness-texture.json"

    /// The first frame of every sequence of the given subjects: a fixed rule, not a choice of frames.
    static func firstFrames(of subjects: [String]) -> [NUAAFrame] {
        var seen = Set<String>()
        return NUAAFrame.all(root: Fixtures.dataRoot + "/nuaa").filter {
            subjects.contains($0.subject) && seen.insert($0.sequence).inserted
        }
    }

    /// Scores with the shipped weights; nil where no face is found.
    static func scores(_ frames: [NUAAFrame], classifier: TextureClassifier) throws -> [(NUAAFrame, Double)] {
        let engine = try DlibFaceEngine(models: Fixtures.models, options: .live)
        return try frames.compactMap { frame in
            let image = try RGBImage(contentsOfFile: Fixtures.dataRoot + "/nuaa/" + frame.path)
            guard let face = FaceChoice.nearestCentre(try engine.detect(in: image), width: image.width, height: image.height) else { return nil }
            let luma = try LumaImage(width: image.width, height: image.height, pixels: image.luma())
            return (frame, try classifier.attackScore(try TextureFeatures.extract(from: luma, box: face.box)))
        }
    }

    @Test func trainingFramesAreDecidedAsTheWeightsWereFitted() throws {
        let classifier = try TextureClassifier.load(path: Self.weights)
        let scored = try Self.scores(Self.firstFrames(of: LivenessSplit.trainSubjects), classifier: classifier)
        let bonaFide = scored.filter { !$0.0.isAttack }, attacks = scored.filter { $0.0.isAttack }
        #expect(bonaFide.count >= 10 && attacks.count >= 30)
        let bonaFideRight = bonaFide.filter { $0.1 < classifier.threshold }.count
        let attacksRight = attacks.filter { $0.1 >= classifier.threshold }.count
        // Fitted frames: the model must get nearly all of them; a broken crop,
        // stale features or swapped labels would not.
        #expect(Double(bonaFideRight) >= 0.9 * Double(bonaFide.count), "\(bonaFideRight) of \(bonaFide.count) bona fide passed")
        #expect(Double(attacksRight) >= 0.9 * Double(attacks.count), "\(attacksRight) of \(attacks.count) attacks caught")
    }

    @Test func heldOutSubjectsScoreAttacksAboveThePeople() throws {
        let classifier = try TextureClassifier.load(path: Self.weights)
        let scored = try Self.scores(Self.firstFrames(of: LivenessSplit.testSubjects), classifier: classifier)
        let bonaFide = scored.filter { !$0.0.isAttack }.map(\.1), attacks = scored.filter { $0.0.isAttack }.map(\.1)
        #expect(!bonaFide.isEmpty && !attacks.isEmpty)
        // Unseen people: the score must still rank prints above people on
        // average (a model that learnt the training subjects' identities would not).
        let meanBonaFide = bonaFide.reduce(0, +) / Double(bonaFide.count)
        let meanAttack = attacks.reduce(0, +) / Double(attacks.count)
        #expect(meanAttack > meanBonaFide + 0.3, "mean attack \(meanAttack), mean bona fide \(meanBonaFide)")
    }
}

extension Fixtures {
    static var nuaaPresent: Bool { FileManager.default.fileExists(atPath: dataRoot + "/nuaa/ClientRaw") }
    static let nuaaMissing = "shared NUAA absent at \(dataRoot)/nuaa: skipping"
}
