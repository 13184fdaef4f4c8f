import Foundation
import WaysideMatch

/// The calibrated back-end's share of `waysidectl bench match`: the same queries against a
/// gallery of the back-end's templates, timed in the same run as the raw search.
struct CalibratedBench {
    let backend: ComparisonBackend
    /// The real gallery templates' offsets, cycled over the synthetic padding.
    let realOffsets: [Float]
    let probes: [MatchTemplate]
    let prepared: [ComparisonBackend.Probe]
    /// The engine's template model: the back-end must have been trained on its descriptors.
    let model: TemplateModel

    init(backendFile: String, model: TemplateModel, real: [MatchTemplate], probes: [MatchTemplate]) throws {
        (_, backend) = try ComparisonBackendFile.load(from: backendFile, for: model)
        self.model = model
        let b = backend
        realOffsets = try real.map { b.offset(ofFolded: try b.folded($0.unit)) }
        self.probes = probes
        prepared = try probes.map { try b.probe(descriptor: $0.unit, model: $0.model) }
        print("calibrated back-end: \(backend.model) (cohort \(backend.cohortCount) faces, top \(backend.cohortTopK))")
    }

    /// Times 1:N and 1:1 raw against calibrated on galleries of `size`; returns a summary fragment.
    func run(size: Int, directory: String, galleryReal: [(id: UUID, identity: String, template: MatchTemplate)],
             padding: SyntheticTemplates, rawGallery: MappedGallery, search: GallerySearch, k: Int, rerank: Int) throws -> String {
        let b = backend, model = self.model
        let path = "\(directory)/gallery-\(size)-calibrated-\(model.engine).wgal"
        let offsets = realOffsets
        // Padding rows get a real template's offset (cycled): a cohort pass for a million
        // synthetic rows would take minutes and changes nothing the scan does.
        try GalleryFile.write(model: backend.model, capacity: size, count: size, to: path) { slot in
            if slot < galleryReal.count {
                return (galleryReal[slot].id, try b.galleryTemplate(descriptor: galleryReal[slot].template.unit, model: model))
            }
            return (UUID(), try b.galleryTemplate(folded: try b.folded(try padding.template(slot).unit), offset: offsets[slot % offsets.count]))
        }
        let gallery = try MappedGallery(path: path)
        let precision = SearchPrecision.int8(rerank: rerank)
        // 1:N, interleaved query by query so that load from other processes hits both alike.
        var rawTimes: [Double] = [], calTimes: [Double] = [], prepTimes: [Double] = [], rawPrepTimes: [Double] = []
        let clock = ContinuousClock()
        for i in 0..<2 { _ = try search.topK(probes[i % probes.count], k: k, in: rawGallery, precision: precision)
                         _ = try search.topK(prepared[i % prepared.count].template, k: k, in: gallery, precision: precision) }
        for (probe, raw) in zip(prepared, probes) {
            var start = clock.now
            let rawTemplate = try MatchTemplate(model: raw.model, descriptor: raw.unit)
            rawPrepTimes.append((clock.now - start).seconds)
            start = clock.now
            _ = try search.topK(rawTemplate, k: k, in: rawGallery, precision: precision)
            rawTimes.append((clock.now - start).seconds)
            start = clock.now
            let p = try b.probe(descriptor: raw.unit, model: raw.model)
            prepTimes.append((clock.now - start).seconds)
            start = clock.now
            _ = try search.topK(p.template, k: k, in: gallery, precision: precision).map { $0.score - p.halfOffset }
            calTimes.append((clock.now - start).seconds)
            _ = probe
        }
        // 1:1 on prepared templates: the station's verify path (model check, slot lookup, dot)
        // plus, calibrated, one subtraction. Many rounds: one comparison is tens of ns.
        let ids = galleryReal.prefix(probes.count).map(\.id)
        let rounds = 2_000
        var sink: Float = 0
        var start = clock.now
        for _ in 0..<rounds { for (p, id) in zip(probes, ids) { sink += try search.verify(p, against: id, in: rawGallery) } }
        let raw1to1 = (clock.now - start).seconds / Double(rounds * ids.count)
        start = clock.now
        for _ in 0..<rounds { for (p, id) in zip(prepared, ids) { sink += try search.verify(p.template, against: id, in: gallery) - p.halfOffset } }
        let cal1to1 = (clock.now - start).seconds / Double(rounds * ids.count)
        let rawN = LatencyFigures.summarise(rawTimes), calN = LatencyFigures.summarise(calTimes)
        let prep = LatencyFigures.summarise(prepTimes), rawPrep = LatencyFigures.summarise(rawPrepTimes)
        let withPrep = calN.median + prep.median, rawWithPrep = rawN.median + rawPrep.median
        print(String(format: "calibrated 1:N int8: median %7.3f ms (raw in the same loop %7.3f ms): %.3fx; with preparing the probe (%.1f us, raw %.1f us): %.3fx",
                     calN.median * 1e3, rawN.median * 1e3, calN.median / rawN.median, prep.median * 1e6, rawPrep.median * 1e6, withPrep / rawWithPrep))
        print(String(format: "calibrated 1:1 verify: %.1f ns (raw %.1f ns): %.3fx; with preparing the probe: %.1f us against %.1f us, %.1fx (checksum %.1f)",
                     cal1to1 * 1e9, raw1to1 * 1e9, cal1to1 / raw1to1, (cal1to1 + prep.median) * 1e6, (raw1to1 + rawPrep.median) * 1e6,
                     (cal1to1 + prep.median) / (raw1to1 + rawPrep.median), sink))
        try? FileManager.default.removeItem(atPath: path)
        return String(format: "; calibrated 1:N %.2f ms = %.3fx raw (%.3fx with probe preparation), 1:1 %.3fx", calN.median * 1e3,
                      calN.median / rawN.median, withPrep / rawWithPrep, cal1to1 / raw1to1)
    }
}
