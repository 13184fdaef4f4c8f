/// The inner loops of comparison: dot products over 128 values and top-k scans over
/// contiguous rows.
///
/// Written with Swift's portable SIMD types so the same source vectorises on x86-64
/// (SSE2 baseline) and on the boards' AArch64 (NEON). Nothing here allocates, retains or
/// checks bounds: the callers hand in pointers they have already validated.
enum Kernels {
    /// Dot product of two 128-float rows (unaligned loads).
    @inline(__always)
    static func dotFloat(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        // Two accumulators halve the add dependency chain.
        var offset = 0
        while offset < 512 {
            acc0 += ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: offset + 64, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: offset + 64, as: SIMD16<Float>.self)
            offset += 128
        }
        return (acc0 + acc1).sum()
    }

    /// A query's int8 values widened once to Int16, so each gallery row costs only its
    /// own widening: 8 vectors of 16 lanes cover the 128 values.
    struct WideQuery {
        var q0, q1, q2, q3, q4, q5, q6, q7: SIMD16<Int16>

        init(_ codes: UnsafePointer<Int8>) {
            let raw = UnsafeRawPointer(codes)
            func lane(_ i: Int) -> SIMD16<Int16> {
                SIMD16<Int16>(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 16 * i, as: SIMD16<Int8>.self))
            }
            (q0, q1, q2, q3, q4, q5, q6, q7) = (lane(0), lane(1), lane(2), lane(3), lane(4), lane(5), lane(6), lane(7))
        }
    }

    /// One 16-value step: sign-extend the row's int8 to Int16, multiply (|q| <= 127, so
    /// each product fits Int16), and widen the products into Int32 lanes. LLVM turns the
    /// multiply-and-widen into pmaddwd on x86 and smlal on NEON.
    @inline(__always)
    static func step(_ row: UnsafeRawPointer, _ i: Int, _ q: SIMD16<Int16>) -> SIMD16<Int32> {
        let r = SIMD16<Int16>(truncatingIfNeeded: row.loadUnaligned(fromByteOffset: 16 * i, as: SIMD16<Int8>.self))
        return SIMD16<Int32>(truncatingIfNeeded: r &* q)
    }

    /// Integer dot product of a 128-byte int8 row with a widened query. The sum of 128
    /// products of at most 127 * 127 is below 2^21: Int32 cannot overflow.
    @inline(__always)
    static func dotInt8(_ row: UnsafeRawPointer, _ q: WideQuery) -> Int32 {
        var acc0 = step(row, 0, q.q0) &+ step(row, 1, q.q1)
        var acc1 = step(row, 2, q.q2) &+ step(row, 3, q.q3)
        acc0 = acc0 &+ step(row, 4, q.q4) &+ step(row, 5, q.q5)
        acc1 = acc1 &+ step(row, 6, q.q6) &+ step(row, 7, q.q7)
        return (acc0 &+ acc1).wrappedSum()
    }

    /// Scans float32 rows `range` of `columns` and keeps the best into `best`.
    static func scanFloat(_ columns: GalleryColumns, _ range: Range<Int>, query: UnsafePointer<Float>, into best: inout TopK) {
        var floor = best.floor
        var row = columns.floats + range.lowerBound * MatchTemplate.dimension
        for slot in range {
            let score = dotFloat(row, query)
            if score > floor, columns.isLive(slot) {
                best.insert(score: score, slot: slot)
                floor = best.floor
            }
            row += MatchTemplate.dimension
        }
    }

    /// Scans int8 rows `range` of `columns`; scores are `dot * rowScale` (the query's
    /// own scale is the same for every row and does not change the order, so the caller
    /// applies it once to the survivors).
    static func scanInt8(_ columns: GalleryColumns, _ range: Range<Int>, query: WideQuery, into best: inout TopK) {
        var floor = best.floor
        var row = UnsafeRawPointer(columns.codes + range.lowerBound * MatchTemplate.dimension)
        let scales = columns.scales
        for slot in range {
            let score = Float(dotInt8(row, query)) * scales[slot]
            if score > floor, columns.isLive(slot) {
                best.insert(score: score, slot: slot)
                floor = best.floor
            }
            row += MatchTemplate.dimension
        }
    }
}

/// The `capacity` highest scores seen so far, best first.
///
/// An insertion sort into a small array: after the first few thousand rows almost no row
/// beats ``floor``, so the scan pays one comparison per row and the sort almost never runs.
struct TopK {
    let capacity: Int
    private(set) var scores: [Float] = []
    private(set) var slots: [Int] = []

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        scores.reserveCapacity(self.capacity)
        slots.reserveCapacity(self.capacity)
    }

    /// The score a row must beat to get in.
    var floor: Float { scores.count < capacity ? -.infinity : scores[scores.count - 1] }

    /// Adds a row whose score beats ``floor``; ties keep the lower slot first.
    mutating func insert(score: Float, slot: Int) {
        if scores.count == capacity {
            scores.removeLast()
            slots.removeLast()
        }
        var at = scores.count
        while at > 0, scores[at - 1] < score || (scores[at - 1] == score && slots[at - 1] > slot) { at -= 1 }
        scores.insert(score, at: at)
        slots.insert(slot, at: at)
    }

    /// Adds every entry of `other` that gets in.
    mutating func merge(_ other: TopK) {
        for (score, slot) in zip(other.scores, other.slots) where score > floor {
            insert(score: score, slot: slot)
        }
    }
}
