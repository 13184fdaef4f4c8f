import Foundation

/// Raw column pointers of a gallery's storage, valid only inside the `withColumns` call
/// that hands them out. Columns, not rows of structs, so a float32 scan and an int8 scan
/// each read only their own bytes. Opaque outside this module.
public struct GalleryColumns {
    /// Slots in use (removed ones included until reused).
    var slotCount: Int
    /// `slotCount x 128` unit-length float32 values.
    var floats: UnsafePointer<Float>
    /// `slotCount x 128` int8 values.
    var codes: UnsafePointer<Int8>
    /// `slotCount` int8 step sizes.
    var scales: UnsafePointer<Float>
    /// `slotCount` flags, 1 live and 0 removed; nil when every slot is live.
    var live: UnsafePointer<UInt8>?

    @inline(__always)
    func isLive(_ slot: Int) -> Bool { live.map { $0[slot] != 0 } ?? true }
}

/// A set of templates that 1:N search can scan: the in-memory ``Gallery`` or a
/// ``MappedGallery`` file.
public protocol SearchableGallery {
    /// The model every template in it was made with.
    var model: TemplateModel { get }
    /// Templates that searches can return.
    var liveCount: Int { get }
    /// The slot holding `id`, if it is live.
    func slot(of id: UUID) -> Int?
    /// The person in `slot`.
    func id(atSlot slot: Int) -> UUID
    /// Lends the storage for the duration of `body`.
    func withColumns<R>(_ body: (GalleryColumns) throws -> R) rethrows -> R
}

/// Templates in memory, keyed by person. Adding and removing cost O(1) and never rebuild
/// anything: a removal moves the last template into the hole (swap-remove) and fixes the
/// moved one's entry in the index map.
public struct Gallery: SearchableGallery, Sendable {
    /// The model every template must come from.
    public let model: TemplateModel
    private var ids: [UUID] = []
    private var floats: [Float] = []
    private var codes: [Int8] = []
    private var scales: [Float] = []
    private var index: [UUID: Int] = [:]

    /// An empty gallery for templates of `model`.
    public init(model: TemplateModel) {
        self.model = model
    }

    /// Templates held.
    public var liveCount: Int { ids.count }
    /// Everyone in it, in slot order.
    public var people: [UUID] { ids }

    /// Adds or replaces `id`'s template; another model's template throws
    /// ``MatchError/Code/modelMismatch``.
    public mutating func add(_ template: MatchTemplate, for id: UUID) throws {
        try model.requireSame(as: template.model, operation: "add to gallery")
        let d = MatchTemplate.dimension
        if let slot = index[id] {
            floats.replaceSubrange(slot * d..<(slot + 1) * d, with: template.unit)
            codes.replaceSubrange(slot * d..<(slot + 1) * d, with: template.quantized)
            scales[slot] = template.scale
            return
        }
        index[id] = ids.count
        ids.append(id)
        floats.append(contentsOf: template.unit)
        codes.append(contentsOf: template.quantized)
        scales.append(template.scale)
    }

    /// Removes `id`'s template; returns false when it was not there.
    @discardableResult
    public mutating func remove(_ id: UUID) -> Bool {
        guard let slot = index.removeValue(forKey: id) else { return false }
        let last = ids.count - 1, d = MatchTemplate.dimension
        if slot != last {
            ids[slot] = ids[last]
            index[ids[slot]] = slot
            for k in 0..<d {
                floats[slot * d + k] = floats[last * d + k]
                codes[slot * d + k] = codes[last * d + k]
            }
            scales[slot] = scales[last]
        }
        ids.removeLast()
        floats.removeLast(d)
        codes.removeLast(d)
        scales.removeLast()
        return true
    }

    /// The slot holding `id`.
    public func slot(of id: UUID) -> Int? { index[id] }
    /// The person in `slot`.
    public func id(atSlot slot: Int) -> UUID { ids[slot] }

    /// Lends the columns.
    public func withColumns<R>(_ body: (GalleryColumns) throws -> R) rethrows -> R {
        try floats.withUnsafeBufferPointer { f in
            try codes.withUnsafeBufferPointer { c in
                try scales.withUnsafeBufferPointer { s in
                    // An empty array may have no base address; a dummy keeps the pointers valid
                    // for a scan of zero rows.
                    var none: Float = 0
                    var noCode: Int8 = 0
                    return try withUnsafePointer(to: &none) { zero in
                        try withUnsafePointer(to: &noCode) { zeroCode in
                            try body(GalleryColumns(slotCount: ids.count, floats: f.baseAddress ?? zero,
                                                    codes: c.baseAddress ?? zeroCode, scales: s.baseAddress ?? zero, live: nil))
                        }
                    }
                }
            }
        }
    }
}
