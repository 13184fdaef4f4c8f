import Dispatch
import Foundation

/// Which stored form a 1:N scan reads.
public enum SearchPrecision: Sendable, Equatable {
    /// Exact: 512 bytes per template.
    case float32
    /// 132 bytes per template (values and scale); the best `rerank` candidates are then
    /// re-scored in float32, so the order returned is the exact one whenever the true
    /// top-k are among them. `rerank: 0` returns the int8 scores as they are.
    case int8(rerank: Int)
}

/// One candidate of a 1:N search.
public struct Candidate: Sendable, Equatable {
    /// Who.
    public var id: UUID
    /// Where in the gallery (stable until the next removal).
    public var slot: Int
    /// Cosine similarity to the query; higher is more alike.
    public var score: Float
}

/// 1:1 verification and 1:N top-k identification over any ``SearchableGallery``.
///
/// 1:N splits the gallery into small contiguous chunks, scans them on all cores
/// (`DispatchQueue.concurrentPerform` hands them out as threads free up), keeps a top-k per
/// chunk and merges them: the
/// result is exactly that of one sequential scan, because chunks are merged in slot order
/// and ties keep the lower slot.
public struct GallerySearch: Sendable {
    /// Scan chunks on every core (libdispatch sizes the pool); false scans on the calling
    /// thread only.
    public var parallel: Bool
    /// Rows per chunk. Small on purpose: chunks are handed out one at a time, so when a core
    /// is taken by another process (a shared board, a build) the other cores take over its
    /// share, and the straggler holds the query back by one small chunk, not a quarter of
    /// the gallery. Galleries under two chunks are scanned on the calling thread.
    public var rowsPerChunk: Int

    /// Makes a searcher.
    public init(parallel: Bool = true, rowsPerChunk: Int = 16_384) {
        self.parallel = parallel
        self.rowsPerChunk = max(1, rowsPerChunk)
    }

    /// 1:1: the similarity of `probe` to `id`'s template.
    public func verify<G: SearchableGallery>(_ probe: MatchTemplate, against id: UUID, in gallery: G) throws -> Float {
        try gallery.model.requireSame(as: probe.model, operation: "verify")
        guard let slot = gallery.slot(of: id) else {
            throw MatchError(code: .notInGallery, operation: "verify",
                             detail: "no template for \(id) in today's gallery; check in with documents")
        }
        return exactScore(probe, slot: slot, in: gallery)
    }

    /// The float32 similarity of `probe` to the template in `slot`.
    func exactScore<G: SearchableGallery>(_ probe: MatchTemplate, slot: Int, in gallery: G) -> Float {
        probe.unit.withUnsafeBufferPointer { q in
            gallery.withColumns { c in Kernels.dotFloat(c.floats + slot * MatchTemplate.dimension, q.baseAddress!) }
        }
    }

    /// 1:N: the `k` most similar live templates, best first.
    public func topK<G: SearchableGallery>(_ probe: MatchTemplate, k: Int, in gallery: G,
                                          precision: SearchPrecision = .int8(rerank: 32)) throws -> [Candidate] {
        try gallery.model.requireSame(as: probe.model, operation: "search gallery")
        guard k >= 1 else {
            throw MatchError(code: .badArgument, operation: "search gallery", detail: "k must be at least 1, was \(k)")
        }
        switch precision {
        case .float32:
            let best = scan(probe, keep: k, in: gallery, int8: false)
            return zip(best.scores, best.slots).map { Candidate(id: gallery.id(atSlot: $1), slot: $1, score: $0) }
        case .int8(let rerank):
            let shortlist = scan(probe, keep: max(k, rerank), in: gallery, int8: true)
            if rerank == 0 {
                // The query's scale was left out of the scan (it ranks nothing); put it back.
                return zip(shortlist.scores, shortlist.slots).prefix(k).map {
                    Candidate(id: gallery.id(atSlot: $1), slot: $1, score: $0 * probe.probeScale)
                }
            }
            var exact = TopK(capacity: k)
            for slot in shortlist.slots.sorted() {
                let score = exactScore(probe, slot: slot, in: gallery)
                if score > exact.floor { exact.insert(score: score, slot: slot) }
            }
            return zip(exact.scores, exact.slots).map { Candidate(id: gallery.id(atSlot: $1), slot: $1, score: $0) }
        }
    }

    /// The per-chunk scans and their merge.
    private func scan<G: SearchableGallery>(_ probe: MatchTemplate, keep: Int, in gallery: G, int8: Bool) -> TopK {
        probe.unit.withUnsafeBufferPointer { floatQuery in
            probe.probeCodes.withUnsafeBufferPointer { codeQuery in
                gallery.withColumns { columns -> TopK in
                    let rows = columns.slotCount
                    let wide = Kernels.WideQuery(codeQuery.baseAddress!)
                    let q = floatQuery.baseAddress!
                    let chunks = !parallel || rows < 2 * rowsPerChunk ? 1 : (rows + rowsPerChunk - 1) / rowsPerChunk
                    if chunks == 1 {
                        var best = TopK(capacity: keep)
                        if int8 {
                            Kernels.scanInt8(columns, 0..<rows, query: wide, into: &best)
                        } else {
                            Kernels.scanFloat(columns, 0..<rows, query: q, into: &best)
                        }
                        return best
                    }
                    let results = UnsafeMutableBufferPointer<TopK>.allocate(capacity: chunks)
                    defer {
                        _ = results.deinitialize()
                        results.deallocate()
                    }
                    let perChunk = (rows + chunks - 1) / chunks
                    // The worker closure is @Sendable and these are raw pointers. Sharing them is
                    // sound here, and only here: the gallery and the query are only read,
                    // concurrentPerform returns after the last iteration (nothing outlives the
                    // borrow), and each iteration writes only its own result slot.
                    nonisolated(unsafe) let sharedColumns = columns, sharedQuery = q, sharedResults = results
                    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                        let start = min(rows, chunk * perChunk)
                        let range = start..<min(rows, start + perChunk)
                        var best = TopK(capacity: keep)
                        if int8 {
                            Kernels.scanInt8(sharedColumns, range, query: wide, into: &best)
                        } else {
                            Kernels.scanFloat(sharedColumns, range, query: sharedQuery, into: &best)
                        }
                        (sharedResults.baseAddress! + chunk).initialize(to: best)
                    }
                    var merged = TopK(capacity: keep)
                    for chunk in 0..<chunks { merged.merge(results[chunk]) }
                    return merged
                }
            }
        }
    }
}
