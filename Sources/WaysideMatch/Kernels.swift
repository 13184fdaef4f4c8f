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

    /// A probe's 7-bit codes (``MatchTemplate/probeCodes``) split once into the even and odd
    /// elements, each sign-extended to Int16: 4 + 4 vectors of 16 lanes cover the 128 values.
    ///
    /// Why even and odd: a 32-byte load of int8 read as 16 Int16 lanes holds element 2j in
    /// the low byte of lane j and element 2j+1 in the high byte (little-endian, as on x86-64
    /// and AArch64 Linux). Two shifts sign-extend them in place. Swift's
    /// `SIMD16<Int16>(truncatingIfNeeded:)` does the same job but is not inlined (a call per
    /// vector): the shifts made the scan three times faster.
    struct WideQuery {
        var even0, even1, even2, even3, odd0, odd1, odd2, odd3: SIMD16<Int16>

        init(_ codes: UnsafePointer<Int8>) {
            let raw = UnsafeRawPointer(codes)
            func even(_ i: Int) -> SIMD16<Int16> { (raw.loadUnaligned(fromByteOffset: 32 * i, as: SIMD16<Int16>.self) &<< 8) &>> 8 }
            func odd(_ i: Int) -> SIMD16<Int16> { raw.loadUnaligned(fromByteOffset: 32 * i, as: SIMD16<Int16>.self) &>> 8 }
            (even0, even1, even2, even3) = (even(0), even(1), even(2), even(3))
            (odd0, odd1, odd2, odd3) = (odd(0), odd(1), odd(2), odd(3))
        }
    }

    /// Products of one 32-value step, even and odd summed per Int16 lane: at most
    /// 2 x 127 x 63 = 16002 with a 7-bit probe.
    @inline(__always)
    static func products(_ row: UnsafeRawPointer, _ i: Int, _ even: SIMD16<Int16>, _ odd: SIMD16<Int16>) -> SIMD16<Int16> {
        let x = row.loadUnaligned(fromByteOffset: 32 * i, as: SIMD16<Int16>.self)
        return ((x &<< 8) &>> 8) &* even &+ (x &>> 8) &* odd
    }

    /// 16 Int16 sums widened pairwise into 8 Int32 lanes with the same shift trick.
    @inline(__always)
    static func widenPairs(_ sums: SIMD16<Int16>) -> SIMD8<Int32> {
        let pairs = unsafeBitCast(sums, to: SIMD8<Int32>.self)
        return ((pairs &<< 16) &>> 16) &+ (pairs &>> 16)
    }

    /// Integer dot product of a 128-byte int8 row with a split 7-bit probe. Two steps are
    /// summed in Int16 before widening (at most 32004 per lane: no overflow); the total,
    /// at most 128 x 127 x 63, fits Int32 easily.
    @inline(__always)
    static func dotInt8(_ row: UnsafeRawPointer, _ q: WideQuery) -> Int32 {
        let a = widenPairs(products(row, 0, q.even0, q.odd0) &+ products(row, 1, q.even1, q.odd1))
        let b = widenPairs(products(row, 2, q.even2, q.odd2) &+ products(row, 3, q.even3, q.odd3))
        let four = (a &+ b).lowHalf &+ (a &+ b).highHalf
        let two = four.lowHalf &+ four.highHalf
        return two[0] &+ two[1]
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

    /// Scans int8 rows `range` of `columns`; scores are `dot * rowScale` (the probe's
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
