import Foundation
import Testing
import WaysideCore
import WaysideFace
import WaysideMatch

/// The calibrated comparison back-end (issue 8): its transform on fixed vectors, refusal of
/// other back-ends' templates, its file, the committed split record, and its threshold on
/// held-out synthetic populations.
struct ComparisonBackendTests {
    static let d = MatchTemplate.dimension

    static func basis(_ i: Int, _ value: Float = 1) -> [Float] {
        var v = [Float](repeating: 0, count: d)
        v[i] = value
        return v
    }

    static func unit(_ v: [Float]) -> [Float] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    /// Fold axis e_0; cohort rows along e_1, e_2, (e_1 + e_2)/√2 and e_3, already folded form.
    static func handMade(topK: Int = 2) throws -> ComparisonBackend {
        let axis = basis(0)
        var cohort: [Float] = []
        for row in [basis(1), basis(2), unit(zip(basis(1), basis(2)).map { $0 + $1 }), basis(3)] {
            cohort += ComparisonBackend.fold(row, axis: axis)
        }
        return try ComparisonBackend(baseModel: Support.model, cohortTopK: topK, foldAxis: axis, cohort: cohort,
                                     meanOffset: 0.25, probeWeight: 0.25)
    }

    @Test func foldKeepsAnglesOffTheAxisAndDropsTheAxis() throws {
        let backend = try Self.handMade()
        var random = Support.Random(state: 11)
        // Vectors with no component on the axis (e_0) keep their cosine exactly.
        let a = Self.unit([0] + (1..<Self.d).map { _ in random.gaussian() })
        let b = Self.unit([0] + (1..<Self.d).map { _ in random.gaussian() })
        let fa = try backend.folded(a), fb = try backend.folded(b)
        #expect(abs(Self.dot(fa, fb) - Self.dot(a, b)) < 1e-5)
        #expect(fa[Self.d - 1] == 0)
        #expect(abs(Self.dot(fa, fa) - 1) < 1e-5)
        // The axis itself has nothing left once folded.
        let axisFolded = try backend.folded(Self.basis(0, 3))
        #expect(axisFolded.allSatisfy { abs($0) < 1e-6 })
        // Bad input is refused, not folded.
        #expect(throws: MatchError.self) { try backend.folded([1, 2, 3]) }
        #expect(throws: MatchError.self) { try backend.folded([Float](repeating: 0, count: Self.d)) }
    }

    @Test func offsetIsTheMeanOfTheNearestCohortFaces() throws {
        let backend = try Self.handMade(topK: 2)
        // A probe along e_1 (folded: the same direction, moved by the reflection exactly as the
        // cohort rows were): similarities to the four rows are 1, 0, 1/√2, 0; the top two average
        // to (1 + 0.7071) / 2.
        let w = try backend.folded(Self.basis(1))
        #expect(abs(backend.offset(ofFolded: w) - (1 + 0.70710678) / 2) < 1e-5)
        let none = try Self.handMade(topK: 0)
        #expect(none.offset(ofFolded: w) == 0)
    }

    @Test func calibratedScoreIsCosineMinusHalfOffsetsAndOneToNAgrees() throws {
        let backend = try Self.handMade(topK: 2)
        var random = Support.Random(state: 5)
        let descriptors = (0..<40).map { _ in (0..<Self.d).map { _ in random.gaussian() } }
        var gallery = Gallery(model: backend.model)
        var ids: [UUID] = []
        for desc in descriptors {
            let id = UUID()
            ids.append(id)
            try gallery.add(try backend.galleryTemplate(descriptor: desc, model: Support.model), for: id)
        }
        let probeDescriptor = descriptors[7].enumerated().map { $0.element + 0.3 * Float($0.offset % 3) }
        let probe = try backend.probe(descriptor: probeDescriptor, model: Support.model)
        // Expected by hand from the definition, in Double.
        let wp = try backend.folded(probeDescriptor)
        let betaP = Double(backend.offset(ofFolded: wp))
        var expected: [(id: UUID, score: Double)] = []
        for (desc, id) in zip(descriptors, ids) {
            let wg = try backend.folded(desc)
            let betaG = Double(backend.offset(ofFolded: wg))
            let score = Self.dot(wp, wg) - (betaP - 0.25) / 2 - (betaG - 0.25) / 2
            expected.append((id, score))
            let template = try backend.galleryTemplate(descriptor: desc, model: Support.model)
            #expect(abs(Double(try backend.score(probe, template)) - score) < 1e-5)
        }
        expected.sort { $0.score > $1.score }
        let top = try GallerySearch(parallel: false).topK(probe.template, k: 5, in: gallery, precision: .float32)
        #expect(top.map(\.id) == expected.prefix(5).map(\.id))
        for (found, want) in zip(top, expected) { #expect(abs(Double(found.score - probe.halfOffset) - want.score) < 1e-5) }
    }

    @Test func templatesOfAnotherBackendOrTheRawMatcherAreRefused() throws {
        let k2 = try Self.handMade(topK: 2), k3 = try Self.handMade(topK: 3)
        #expect(k2.model != k3.model)
        let descriptor = (0..<Self.d).map { Float($0 % 7) - 3 }
        let probe = try k2.probe(descriptor: descriptor, model: Support.model)
        let other = try k3.galleryTemplate(descriptor: descriptor, model: Support.model)
        let mismatch = #expect(throws: MatchError.self) { try k2.score(probe, other) }
        #expect(mismatch?.code == .modelMismatch)
        // A raw template cannot enter a back-end's gallery, nor a back-end template a raw one.
        var calibratedGallery = Gallery(model: k2.model)
        #expect(throws: MatchError.self) { try calibratedGallery.add(try MatchTemplate(model: Support.model, descriptor: descriptor), for: UUID()) }
        var rawGallery = Gallery(model: Support.model)
        #expect(throws: MatchError.self) { try rawGallery.add(try k2.galleryTemplate(descriptor: descriptor, model: Support.model), for: UUID()) }
        // Descriptors of another engine are refused at preparation.
        let foreign = TemplateModel(engine: "sface", version: "2021dec")
        #expect(throws: MatchError.self) { try k2.probe(descriptor: descriptor, model: foreign) }
        // A station cannot pair a back-end with thresholds calibrated for raw scores.
        let rawCalibration = try PolicyTests.evenCalibration()
        #expect(throws: MatchError.self) {
            try StationMatcher(gallery: Gallery(model: k2.model), policy: try DecisionPolicy(calibration: rawCalibration), backend: k2)
        }
    }

    @Test func stationDecidesOnCalibratedScores() async throws {
        let backend = try Self.handMade(topK: 2)
        let impostor = (0..<100_000).map { Float($0) / 100_000 - 0.5 }
        let calibration = try MatchCalibration(model: backend.model, genuine: [0.9, 0.95], impostor: impostor, targetFMR: 1e-3,
                                               dataset: "even spread", command: "test")
        var random = Support.Random(state: 21)
        let people = (0..<12).map { _ in (id: UUID(), values: (0..<Self.d).map { _ in random.gaussian() }) }
        let station = try StationMatcher(gallery: Gallery(model: backend.model), policy: try DecisionPolicy(calibration: calibration),
                                         backend: backend, search: GallerySearch(parallel: false))
        for p in people {
            try await station.add(FaceTemplate(engine: Support.model.engine, modelVersion: Support.model.version, values: p.values), for: p.id)
        }
        let capture = people[3].values.map { $0 + 0.05 }
        let decision = try await station.match(FaceTemplate(engine: Support.model.engine, modelVersion: Support.model.version, values: capture),
                                               expected: people[3].id)
        let expected = try backend.score(try backend.probe(descriptor: capture, model: Support.model),
                                         try backend.galleryTemplate(descriptor: people[3].values, model: Support.model))
        #expect(abs(decision.score - Double(expected)) < 1e-5)
        #expect(decision.threshold == calibration.threshold.threshold)
        #expect(decision.modelVersion == backend.model.version)
    }

    @Test func fileRoundTripsAndBadFilesNameThemselves() throws {
        let trained = try Self.syntheticTraining(seed: 3, identities: 200)
        let path = Support.temporaryPath("backend.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trained.file.write(to: path)
        let (file, backend) = try ComparisonBackendFile.load(from: path, for: Support.model)
        #expect(file == trained.file)
        #expect(backend == trained.backend)
        let missing = #expect(throws: MatchError.self) { try ComparisonBackendFile.load(from: path + ".absent", for: Support.model) }
        #expect(missing?.file == path + ".absent")
        #expect(missing?.detail.contains("waysidectl train comparison") == true)
        try Data("{\"formatVersion\": 1}".utf8).write(to: URL(fileURLWithPath: path))
        let garbage = #expect(throws: MatchError.self) { try ComparisonBackendFile.load(from: path, for: Support.model) }
        #expect(garbage?.code == .badFormat)
        #expect(garbage?.file == path)
        // An edited parameter no longer hashes to the recorded template model.
        var edited = trained.file
        edited.meanOffset += 0.01
        try edited.write(to: path)
        let corrupt = #expect(throws: MatchError.self) { try ComparisonBackendFile.load(from: path, for: Support.model) }
        #expect(corrupt?.code == .corrupt)
        // Another engine's back-end is refused.
        try trained.file.write(to: path)
        #expect(throws: MatchError.self) {
            try ComparisonBackendFile.load(from: path, for: TemplateModel(engine: "sface", version: "2021dec"))
        }
    }

    /// Each committed back-end file and the engine whose descriptors trained it.
    static let committed: [(engine: FaceEngineKind, path: String)] = [
        (.dlib, Support.projectRoot + "/Models/comparison-backend.json"),
        (.sface, Support.projectRoot + "/Models/comparison-backend-sface.json"),
    ]

    @Test(arguments: committed.map(\.engine))
    func committedBackendNeverTrainedOnReportIdentities(_ engine: FaceEngineKind) throws {
        let path = Self.committed.first { $0.engine == engine }!.path
        let (file, backend) = try ComparisonBackendFile.load(from: path, for: engine.templateModel)
        #expect(!file.split.trainIdentities.isEmpty)
        #expect(!file.split.reportIdentities.isEmpty)
        #expect(file.split.overlap.isEmpty)
        let train = Set(file.split.trainIdentities), report = Set(file.split.reportIdentities)
        #expect(file.cohortSources.allSatisfy { train.contains($0) })
        #expect(!file.cohortSources.contains { report.contains($0) })
        // Every data set contributes to both sides, as the rules say.
        for source in ["lfw:", "nuaa:", "utkface:"] {
            #expect(train.contains { $0.hasPrefix(source) }, "no training identity from \(source)")
            #expect(report.contains { $0.hasPrefix(source) }, "no report identity from \(source)")
        }
        #expect(file.calibration.model == backend.model)
        #expect(file.calibration.threshold.targetFMR == 1e-4)
        #expect(file.candidates.contains { $0.cohortTopK == backend.cohortTopK })
    }

    /// The two engines' back-ends never take each other's descriptors or templates: the
    /// template model names the engine, so a dlib threshold can never be applied to SFace
    /// cosines (whose impostors sit near 0, dlib's near 0.9) or the reverse.
    @Test func backendsOfTheTwoEnginesRefuseEachOther() throws {
        let (dlibFile, dlib) = try ComparisonBackendFile.load(from: Self.committed[0].path, for: FaceEngineKind.dlib.templateModel)
        let (sfaceFile, sface) = try ComparisonBackendFile.load(from: Self.committed[1].path, for: FaceEngineKind.sface.templateModel)
        #expect(dlib.model.engine == "dlib-resnet" && sface.model.engine == "sface")
        #expect(sfaceFile.baseModel == FaceEngineKind.sface.templateModel && dlibFile.baseModel == Support.model)
        // Loading one engine's file for the other's descriptors is refused by model.
        let wrongFile = #expect(throws: MatchError.self) {
            try ComparisonBackendFile.load(from: Self.committed[1].path, for: FaceEngineKind.dlib.templateModel)
        }
        #expect(wrongFile?.code == .modelMismatch)
        #expect(throws: MatchError.self) { try ComparisonBackendFile.load(from: Self.committed[0].path, for: FaceEngineKind.sface.templateModel) }
        // Descriptors of the other engine are refused at preparation, both ways.
        let descriptor = (0..<Self.d).map { Float($0 % 5) - 2 }
        for (backend, foreign) in [(dlib, FaceEngineKind.sface.templateModel), (sface, FaceEngineKind.dlib.templateModel)] {
            let refused = #expect(throws: MatchError.self) { try backend.probe(descriptor: descriptor, model: foreign) }
            #expect(refused?.code == .modelMismatch)
            #expect(throws: MatchError.self) { try backend.galleryTemplate(descriptor: descriptor, model: foreign) }
        }
        // Prepared templates of one never score against the other's, and neither gallery takes them.
        let sfaceProbe = try sface.probe(descriptor: descriptor, model: FaceEngineKind.sface.templateModel)
        let dlibTemplate = try dlib.galleryTemplate(descriptor: descriptor, model: FaceEngineKind.dlib.templateModel)
        let crossed = #expect(throws: MatchError.self) { try sface.score(sfaceProbe, dlibTemplate) }
        #expect(crossed?.code == .modelMismatch)
        #expect(throws: MatchError.self) { try dlib.score(sfaceProbe, dlibTemplate) }
        var dlibGallery = Gallery(model: dlib.model)
        #expect(throws: MatchError.self) {
            try dlibGallery.add(try sface.galleryTemplate(descriptor: descriptor, model: FaceEngineKind.sface.templateModel), for: UUID())
        }
        // Nor can a station pair SFace's back-end with dlib's thresholds.
        #expect(throws: MatchError.self) {
            try StationMatcher(gallery: Gallery(model: sface.model), policy: try DecisionPolicy(calibration: dlibFile.calibration), backend: sface)
        }
    }

    /// True when every descriptor cache training reads is on this machine (the shared data
    /// and a first `waysidectl train comparison --engine <engine>` make them).
    static func cachesPresent(_ engine: FaceEngineKind) -> Bool {
        let cache = FaceModelFiles.cacheDirectory()
        let files = [("lfw", EvaluationRun.recipe(.lfw)), ("nuaa", EvaluationRun.recipe(.nuaa)), ("utkface", ComparisonData.utkRecipe)]
            .map { engine.cacheFile(cache, dataset: $0.0, recipe: $0.1) }
        return Support.lfwPresent && files.allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// Training is deterministic on real descriptors: retraining from the cached descriptors
    /// with the recorded command's settings gives the committed file, every parameter, the
    /// split record and the thresholds (only the calibration's creation time differs). For
    /// dlib this also shows that making training engine-aware left the shipped file as it was.
    @Test(arguments: FaceEngineKind.allCases)
    func retrainingReproducesTheCommittedFile(_ engine: FaceEngineKind) throws {
        guard Self.cachesPresent(engine) else {
            print("\(engine.rawValue) descriptor caches absent (run 'waysidectl train comparison --engine \(engine.rawValue)'): skipping")
            return
        }
        let path = Self.committed.first { $0.engine == engine }!.path
        let (committed, _) = try ComparisonBackendFile.load(from: path, for: engine.templateModel)
        let (samples, _) = try ComparisonData.load(dataRoot: Support.dataRoot, cacheDirectory: FaceModelFiles.cacheDirectory(), engine: engine)
        let trainer = ComparisonTrainer(baseModel: engine.templateModel, targetFMR: committed.calibration.threshold.targetFMR)
        var retrained = try trainer.train(samples, command: committed.command)
        retrained.calibration.created = committed.calibration.created
        #expect(retrained.templateModel == committed.templateModel)
        #expect(retrained.split == committed.split)
        #expect(retrained.candidates == committed.candidates)
        #expect(retrained == committed)
    }

    // MARK: - Synthetic populations

    /// Two populations of 128-d faces with two images per identity: "spread" identities point
    /// anywhere; "dense" ones crowd around one direction, so their strangers score far
    /// higher (the way a network separates some people less well). Genuine noise is the same.
    static func population(_ random: inout Support.Random, identities: Int, dense: Bool, source: String,
                           role: (Int) -> SplitRole, first: Int) -> [ComparisonSample] {
        var centre0: [Float] = []
        var seed = Support.Random(state: 99)
        centre0 = unit((0..<d).map { _ in seed.gaussian() })
        var out: [ComparisonSample] = []
        for i in 0..<identities {
            let g = (0..<d).map { _ in random.gaussian() }
            let centre = dense ? unit(zip(centre0, g).map { $0 + 0.088 * $1 }) : unit(g)
            for _ in 0..<2 {
                let x = unit(centre.map { $0 + 0.044 * random.gaussian() })
                out.append(ComparisonSample(source: source, identity: "\(source):\(first + i)", session: nil, groups: [],
                                            descriptor: x, role: role(i)))
            }
        }
        return out
    }

    static func syntheticTraining(seed: UInt64, identities: Int) throws -> (file: ComparisonBackendFile, backend: ComparisonBackend) {
        var random = Support.Random(state: seed)
        let role: (Int) -> SplitRole = { $0 % 4 == 3 ? .validation : .fit }
        let samples = population(&random, identities: identities, dense: false, source: "spread", role: role, first: 0)
            + population(&random, identities: identities, dense: true, source: "dense", role: role, first: 0)
        let trainer = ComparisonTrainer(baseModel: Support.model, targetFMR: 1e-3, selectionFMR: 1e-2, candidateTopK: [10])
        let file = try trainer.train(samples, command: "test")
        return (file, try file.backend())
    }

    @Test func calibratedThresholdHoldsTheTargetOnHeldOutPopulations() throws {
        let target = 1e-3
        let (file, backend) = try Self.syntheticTraining(seed: 1, identities: 800)
        #expect(file.calibration.threshold.targetFMR == target)
        let trainedRaw = try Self.rawThreshold(seed: 1, identities: 800, target: target)
        var random = Support.Random(state: 4242)
        for dense in [false, true] {
            let held = Self.population(&random, identities: 400, dense: dense, source: dense ? "dense" : "spread",
                                       role: { _ in .report }, first: 1_000_000)
            let descriptors = Dictionary(grouping: held, by: \.identity).values.map { $0[0].descriptor }
            let probes = try descriptors.map { try backend.probe(descriptor: $0, model: Support.model) }
            let gallery = try descriptors.map { try backend.galleryTemplate(descriptor: $0, model: Support.model) }
            var calibratedFalse = 0, rawFalse = 0, pairs = 0
            for a in 0..<descriptors.count {
                for b in (a + 1)..<descriptors.count {
                    pairs += 1
                    if Double(try backend.score(probes[a], gallery[b])) >= file.calibration.threshold.threshold { calibratedFalse += 1 }
                    if Self.dot(Self.unit(descriptors[a]), Self.unit(descriptors[b])) >= trainedRaw { rawFalse += 1 }
                }
            }
            let calibrated = Double(calibratedFalse) / Double(pairs), raw = Double(rawFalse) / Double(pairs)
            // 79,800 held-out stranger pairs per population: about 80 expected at the target.
            #expect(calibrated <= 2 * target && calibrated >= target / 2,
                    "\(dense ? "dense" : "spread"): calibrated FMR \(calibrated) for target \(target)")
            if !dense {
                // Without the back-end the spread population sits far below the pooled target
                // (the dense one takes its false matches): the calibration is doing the work.
                #expect(raw < target / 4, "spread: raw FMR \(raw)")
            }
        }
    }

    /// The raw cosine threshold at `target` over the same training pairs (pairs within each population).
    static func rawThreshold(seed: UInt64, identities: Int, target: Double) throws -> Double {
        var random = Support.Random(state: seed)
        let role: (Int) -> SplitRole = { $0 % 4 == 3 ? .validation : .fit }
        var impostor: [Double] = []
        for dense in [false, true] {
            let s = population(&random, identities: identities, dense: dense, source: dense ? "dense" : "spread", role: role, first: 0)
            let units = s.map { unit($0.descriptor) }
            for a in 0..<units.count { for b in (a + 1)..<units.count where s[a].identity != s[b].identity { impostor.append(dot(units[a], units[b])) } }
        }
        impostor.sort(by: >)
        return impostor[Int(target * Double(impostor.count))].nextUp
    }
}
