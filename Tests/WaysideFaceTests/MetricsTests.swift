import Testing
import WaysideFace

struct MetricsTests {
    @Test func fnmrAtFMRCountsExactly() {
        // 10,000 impostors at 1.000, 1.001, ...; genuine at 0.50 ... 1.49.
        let impostor = (0..<10_000).map { Float(1 + Double($0) / 1000) }
        let genuine = (0..<100).map { Float(0.5 + Double($0) / 100) }
        let m = VerificationMetrics(genuine: genuine, impostor: impostor)
        #expect(m.genuineCount == 100 && m.impostorCount == 10_000)
        #expect(m.atFMR.count == 3)
        // FMR 1e-2: threshold is the 100th impostor (1.100): 100 below -> FMR exactly 1e-2.
        #expect(abs(m.atFMR[0].threshold - 1.1) < 1e-4)
        #expect(abs(m.atFMR[0].fmr - 0.01) < 1e-9)
        // Genuine >= 1.1: 0.50 + k/100 >= 1.10 -> k >= 60 -> 40 of 100.
        #expect(abs(m.atFMR[0].fnmr - 0.40) < 1e-9)
        // FMR 1e-4: one impostor below 1.001; genuine >= 1.001 -> k >= 51 -> 49.
        #expect(abs(m.atFMR[2].fnmr - 0.49) < 1e-9)
        #expect(m.atFMR[2].fmr <= 1e-4)
    }

    @Test func perfectSeparationHasZeroEER() {
        let m = VerificationMetrics(genuine: [0.1, 0.2, 0.3], impostor: [0.8, 0.9, 1.0, 1.1])
        #expect(m.eer.fmr == 0 && m.eer.fnmr == 0)
        #expect(m.atCustomaryThreshold?.fnmr == 0 && m.atCustomaryThreshold?.fmr == 0)
    }

    @Test func identicalDistributionsHaveEERNearHalf() {
        let values = (0..<1000).map { Float($0) / 1000 }
        let m = VerificationMetrics(genuine: values, impostor: values)
        #expect(abs(m.eer.fnmr - 0.5) < 0.01)
        // The DET curve runs from high FMR to low, and FNMR never falls as FMR falls.
        for (a, b) in zip(m.det, m.det.dropFirst()) {
            #expect(b.fmr <= a.fmr)
            #expect(b.fnmr >= a.fnmr)
        }
    }

    @Test func targetsTheImpostorCountCannotResolveAreLeftOut() {
        let m = VerificationMetrics(genuine: [0.1], impostor: (0..<500).map { Float($0) })
        #expect(m.atFMR.map(\.fmr).allSatisfy { $0 >= 1e-3 })
        #expect(m.atFMR.count == 1)
    }

    @Test func crossIdentityDistancesSkipSameIdentityAndMissing() {
        let d: [[Float]?] = [[0, 0], [3, 4], nil, [0, 0]].map { $0.map { $0 + [Float](repeating: 0, count: 126) } }
        let out = Datasets.crossIdentityDistances(descriptors: d, identities: [0, 1, 1, 0])
        // pairs (0,1) and (1,3) differ in identity; 2 is missing; (0,3) share identity.
        #expect(out.sorted() == [5, 5])
    }

    @Test func eerIsFoundBelowZeroForZScores() {
        // A fused score is a z-score: negative where alike. Overlapping negative scores
        // must give their real crossing, not the empty point at 0.
        let genuine = (0..<100).map { Float(-3 + Double($0) * 0.02) }   // -3 ..< -1
        let impostor = (0..<100).map { Float(-1.5 + Double($0) * 0.02) } // -1.5 ..< 0.5
        let m = VerificationMetrics(genuine: genuine, impostor: impostor, customaryThreshold: nil)
        #expect(abs(m.eer.fnmr - 0.125) < 0.02)
        #expect(m.eer.threshold > -1.5 && m.eer.threshold < -1)
        #expect(m.atCustomaryThreshold == nil)
    }

    @Test func cosineDistanceAndFusionOfWhatIsThere() {
        let a: [Float] = [1, 0], b: [Float] = [0, 1]
        let d = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in DescriptorMetric.cosine.distance(x, y) } }
        #expect(d == 1)
        #expect(DescriptorMetric.cosine.customaryThreshold == 1 - 0.363)
        let fusion = ScoreFusion(dlibMean: 0.8, dlibSD: 0.1, sfaceMean: 0.9, sfaceSD: 0.2)
        #expect(abs(fusion.fuse(dlib: 0.6, sface: 0.3)! - (-2 + -3) / 2) < 1e-5)
        // One engine failed to enrol: the other's z-score alone.
        #expect(abs(fusion.fuse(dlib: nil, sface: 0.7)! - -1) < 1e-5)
        #expect(fusion.fuse(dlib: nil, sface: nil) == nil)
    }

    @Test func fusedProtocolEnrolsWhatEitherEngineEnrols() {
        func records(_ values: [[Float]?]) -> [String: ImageRecord] {
            Dictionary(uniqueKeysWithValues: values.enumerated().map { i, v in
                ("\(i)", ImageRecord(faces: v == nil ? 0 : 1, descriptor: v.map { $0 + [Float](repeating: 0, count: 126) }))
            })
        }
        let p = PairProtocol(dataset: "t", images: ["0", "1", "2", "3"], identities: [0, 0, 1, 1],
                             genuine: [(0, 1), (2, 3)], listed: [])
        let dlib = records([[0, 0], [0.1, 0], nil, [3, 0]])
        let sface = records([[1, 0], nil, [0, 1], [0, 1]])
        #expect(p.result(records: dlib, metric: .euclidean).failedToEnrol == 1)
        let alone = p.result(records: dlib, metric: .euclidean)
        #expect(alone.genuinePairsDropped == 1)
        // The one compared genuine pair matches at every target; the dropped one counts as a miss.
        #expect(alone.fnmrCountingDropped == alone.metrics.atFMR.map { _ in 0.5 })
        let (fused, _) = p.fusedResult(dlib: dlib, sface: sface)
        #expect(fused.failedToEnrol == 0)
        #expect(fused.genuinePairsDropped == 0)
        // Of the 4 cross-identity pairs, (1, 2) has a dlib template on one side and an SFace
        // one on the other: nothing to compare.
        #expect(fused.metrics.impostorCount == 3)
    }

    @Test func lfwPairsParseFoldsAndSlices() throws {
        let text = "2\t2\nA\t1\t2\nB\t1\t3\nA\t1\tC\t1\nB\t2\tD\t1\nE\t1\t2\nF\t1\t2\nE\t1\tF\t1\nG\t1\tH\t4\n"
        let all = try Datasets.lfwPairs(text)
        #expect(all.same.count == 4 && all.different.count == 4)
        #expect(all.images.contains("images/H/H_0004.jpg"))
        let slice = try Datasets.lfwPairs(text, folds: 1, pairsPerFold: 1)
        #expect(slice.same.count == 1 && slice.different.count == 1)
        #expect(slice.identities.sorted() == ["A", "A", "C"])
        #expect(throws: FaceEngineError.self) { try Datasets.lfwPairs("nonsense") }
    }

    @Test func chartsAreWellFormedSVG() {
        let m = VerificationMetrics(genuine: [0.3, 0.5, 0.7], impostor: (0..<2000).map { Float($0) / 1000 })
        let det = Charts.det([("x & y", m.det)], title: "t")
        #expect(det.hasPrefix("<svg") && det.hasSuffix("</svg>\n"))
        #expect(det.contains("x &amp; y"))
        #expect(det.contains("<polyline"))
        let bars = Charts.bars(["a", "b"], rates: [("miss", [0.01, 0.02])], title: "t")
        #expect(bars.components(separatedBy: "<rect").count - 1 == 1 + 2 + 1)
    }
}
