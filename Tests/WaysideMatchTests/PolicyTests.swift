import Foundation
import Testing
import WaysideCore
import WaysideMatch

struct PolicyTests {
    /// 100,000 impostor scores evenly spread over [-0.5, 0.5) and genuine ones over
    /// [0.3, 1): the thresholds they give can be worked out by hand.
    static func evenCalibration(targetFMR: Double = 1e-3) throws -> MatchCalibration {
        let impostor = (0..<100_000).map { Float($0) / 100_000 - 0.5 }
        let genuine = (0..<1_000).map { 0.3 + Float($0) * 0.0007 }
        return try MatchCalibration(model: Support.model, genuine: genuine, impostor: impostor, targetFMR: targetFMR,
                                    dataset: "even spread", command: "test")
    }

    @Test func thresholdsSitWhereTheImpostorRatesSay() throws {
        let c = try Self.evenCalibration()
        // FMR 1e-3 of 100,000: 100 impostors may pass, the top ones (>= 0.499 - 0.001 * 99).
        #expect(c.threshold.fmr <= 1e-3)
        #expect(c.threshold.fmr >= 0.99e-3)
        #expect(abs(c.threshold.threshold - 0.499) < 0.0011)
        #expect(c.reviewLower.fmr <= 1e-2 && c.reviewLower.fmr > 0.99e-2)
        #expect(c.reviewUpper.fmr <= 1e-4 && c.reviewUpper.fmr > 0.99e-4)
        #expect(c.reviewLower.threshold < c.threshold.threshold && c.threshold.threshold < c.reviewUpper.threshold)
        // Genuine scores below 0.499: (0.499 - 0.3) / 0.0007 = 284.3 -> 285 of 1,000.
        #expect(abs(c.threshold.fnmr - 0.285) < 0.002)
    }

    @Test func tooFewImpostorsCannotResolveTheTarget() {
        let error = #expect(throws: MatchError.self) {
            try MatchCalibration(model: Support.model, genuine: [0.9], impostor: [Float](repeating: 0.1, count: 5_000),
                                 targetFMR: 1e-4, dataset: "tiny", command: "test")
        }
        #expect(error?.code == .calibration)
    }

    @Test func bandsFollowTheCalibratedEdges() throws {
        let c = try Self.evenCalibration()
        let policy = try DecisionPolicy(calibration: c)
        let lower = Float(c.reviewLower.threshold), upper = Float(c.reviewUpper.threshold), t = Float(c.threshold.threshold)
        #expect(policy.decide(expectedScore: upper).band == .match)
        #expect(policy.decide(expectedScore: 0.99).band == .match)
        #expect(policy.decide(expectedScore: upper.nextDown).band == .review)
        #expect(policy.decide(expectedScore: t).band == .review)
        #expect(policy.decide(expectedScore: t.nextDown).band == .review)
        #expect(policy.decide(expectedScore: lower).band == .review)
        #expect(policy.decide(expectedScore: lower.nextDown).band == .noMatch)
        #expect(policy.decide(expectedScore: -0.2).band == .noMatch)
        // Every decision carries what it was decided with.
        let d = policy.decide(expectedScore: 0.42)
        #expect(d.score == Double(Float(0.42)))
        #expect(d.threshold == c.threshold.threshold)
        #expect(d.modelVersion == Support.model.version)
        #expect(d.otherCandidate == nil)
    }

    @Test func aBetterHitOnSomeoneElseIsAPossibleMixUp() throws {
        let c = try Self.evenCalibration()
        let policy = try DecisionPolicy(calibration: c)
        let t = Float(c.threshold.threshold), upper = Float(c.reviewUpper.threshold)
        let other = UUID()
        let mixUp = policy.decide(expectedScore: 0.1, bestOther: (other, t))
        #expect(mixUp.band == .possibleMixUp)
        #expect(mixUp.otherCandidate == other)
        #expect(mixUp.score == Double(Float(0.1)))
        // Even a clear match is flagged when someone else scores higher still.
        #expect(policy.decide(expectedScore: upper, bestOther: (other, 0.99)).band == .possibleMixUp)
        // Someone else below the threshold, or below the expected person, is no hit.
        #expect(policy.decide(expectedScore: 0.1, bestOther: (other, t.nextDown)).band == .noMatch)
        #expect(policy.decide(expectedScore: 0.95, bestOther: (other, 0.9)).band == .match)
    }

    @Test func calibrationFilesAreCheckedAgainstTheModel() throws {
        let path = Support.temporaryPath("calibration.json")
        defer { unlink(path) }
        try Self.evenCalibration().write(to: path)
        #expect(try MatchCalibration.load(from: path, for: Support.model) == Self.evenCalibration().withCreated(of: path))
        let wrong = #expect(throws: MatchError.self) {
            try MatchCalibration.load(from: path, for: TemplateModel(engine: "sface", version: "2021dec"))
        }
        #expect(wrong?.code == .calibration)
        #expect(throws: MatchError.self) { try MatchCalibration.load(from: path + ".absent", for: Support.model) }
        var edited = try Self.evenCalibration()
        edited.reviewUpper.threshold = edited.threshold.threshold - 0.1
        try edited.write(to: path)
        #expect(throws: MatchError.self) { try MatchCalibration.load(from: path, for: Support.model) }
        #expect(throws: MatchError.self) { try DecisionPolicy(calibration: edited) }
    }

    /// The committed calibration is the one the station ships with: it must load for the
    /// engine's model and hold thresholds measured on enough comparisons to mean something.
    @Test func committedCalibrationLoadsForTheEngineModel() throws {
        let c = try MatchCalibration.load(from: Support.projectRoot + "/Models/match-calibration.json", for: LFWTemplates.model)
        #expect(c.threshold.targetFMR == 1e-4)
        #expect(c.threshold.fmr <= 1e-4)
        #expect(c.impostorCount >= 1_000_000)
        #expect(c.command.hasPrefix("waysidectl calibrate match"))
    }

    /// The matcher over a gallery file: decisions, a late registration and a removal that
    /// persist in the file.
    @Test func stationMatcherWorksOnAGalleryFile() async throws {
        let rows = try Support.randomTemplates(300, seed: 41)
        let ids = rows.map { _ in UUID() }
        let path = Support.temporaryPath("station.wgal")
        defer { unlink(path) }
        try GalleryFile.write(Array(zip(ids, rows).map { (id: $0, template: $1) }), model: Support.model, capacity: 301, to: path)
        let matcher = try StationMatcher(galleryFile: path, policy: DecisionPolicy(calibration: Self.evenCalibration()))
        func face(_ t: MatchTemplate) -> FaceTemplate {
            FaceTemplate(engine: t.model.engine, modelVersion: t.model.version, values: t.unit)
        }
        // Random 128-d vectors are nearly orthogonal: only the same vector scores near 1.
        let same = try await matcher.match(face(rows[7]), expected: ids[7])
        #expect(same.band == .match)
        let swapped = try await matcher.match(face(rows[7]), expected: ids[8])
        #expect(swapped.band == .possibleMixUp)
        #expect(swapped.otherCandidate == ids[7])
        let late = UUID(), newcomer = try Support.randomTemplates(1, seed: 42)[0]
        try await matcher.add(face(newcomer), for: late)
        #expect(try await matcher.match(face(newcomer), expected: late).band == .match)
        #expect(try await matcher.remove(ids[7]))
        #expect(try await matcher.match(face(rows[7]), expected: ids[8]).band == .noMatch)
        await #expect(throws: MatchError.self) { try await matcher.match(face(rows[7]), expected: ids[7]) }
        // The file itself now holds the change.
        let reopened = try MappedGallery(path: path)
        #expect(reopened.slot(of: ids[7]) == nil)
        #expect(reopened.slot(of: late) == 300)
        // A calibration for another model refuses to start.
        var foreign = try Self.evenCalibration()
        foreign.model = TemplateModel(engine: "sface", version: "2021dec")
        #expect(throws: MatchError.self) { try StationMatcher(galleryFile: path, policy: DecisionPolicy(calibration: foreign)) }
    }

    @Test(.enabled(if: Support.lfwPresent && Support.modelsPresent, Comment(rawValue: Support.lfwMissing)))
    func stationMatcherDecidesOnRealTemplates() async throws {
        let lfw = try Support.lfw.get()
        let calibration = try MatchCalibration.load(from: Support.projectRoot + "/Models/match-calibration.json", for: LFWTemplates.model)
        let policy = try DecisionPolicy(calibration: calibration)
        // Today's gallery: the first image of each identity.
        var gallery = Gallery(model: LFWTemplates.model)
        var person: [String: UUID] = [:], first: [String: MatchTemplate] = [:]
        var later: [(identity: String, template: MatchTemplate)] = []
        for entry in lfw.entries {
            if person[entry.identity] == nil {
                let id = UUID()
                person[entry.identity] = id
                first[entry.identity] = entry.template
                try gallery.add(entry.template, for: id)
            } else {
                later.append((entry.identity, entry.template))
            }
        }
        let matcher = try StationMatcher(gallery: gallery, policy: policy)
        // Another photo of the expected person whose 1:1 score clears the band, and who is also
        // their own best 1:N hit: a match.
        let search = GallerySearch()
        let clear = try later.first { probe in
            let score = try first[probe.identity]!.similarity(to: probe.template)
            let top = try search.topK(probe.template, k: 1, in: gallery, precision: .float32)
            return Double(score) >= calibration.reviewUpper.threshold && top.first?.id == person[probe.identity]
        }
        let genuine = try #require(clear)
        let face = FaceTemplate(engine: LFWTemplates.model.engine, modelVersion: LFWTemplates.model.version, values: genuine.template.unit)
        let decision = try await matcher.match(face, expected: person[genuine.identity]!)
        #expect(decision.band == .match)
        #expect(decision.modelVersion == calibration.model.version)
        #expect(decision.threshold == calibration.threshold.threshold)
        // The same photo presented for someone else expected today: their 1:1 score is low and
        // the gallery's best hit is the real person, so the officer sees a possible mix-up.
        let someoneElse = try #require(person.first { $0.key != genuine.identity }?.value)
        let swapped = try await matcher.match(face, expected: someoneElse)
        #expect(swapped.band == .possibleMixUp)
        #expect(swapped.otherCandidate == person[genuine.identity])
        #expect(swapped.score < calibration.reviewLower.threshold)
        // Once the real person is gone from the gallery, the same capture is only a no-match:
        // it routes to the documents, never to a denial.
        try await matcher.remove(person[genuine.identity]!)
        let alone = try await matcher.match(face, expected: someoneElse)
        #expect(alone.band != .match)
        // A capture from another engine is refused, not scored.
        let foreign = FaceTemplate(engine: "sface", modelVersion: "2021dec", values: genuine.template.unit)
        await #expect(throws: MatchError.self) { try await matcher.match(foreign, expected: someoneElse) }
    }
}

extension MatchCalibration {
    /// This calibration with the creation time of the one stored at `path` (the round-trip
    /// check compares everything else).
    func withCreated(of path: String) throws -> MatchCalibration {
        var copy = self
        copy.created = try JSONDecoder().decode(MatchCalibration.self, from: Data(contentsOf: URL(fileURLWithPath: path))).created
        return copy
    }
}
