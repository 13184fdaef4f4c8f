import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The on-disk gallery: a header and five column sections, memory-mapped so that a
/// million templates are searchable without reading them into the heap first.
///
/// Format version 1 (all integers little-endian; every section starts on a 64-byte
/// boundary so SIMD loads never straddle a cache line needlessly):
///
///     offset  size  field
///          0     8  magic "WAYGALRY"
///          8     4  u32 format version (1)
///         12     4  u32 dimension (128)
///         16     8  u64 capacity: slots allocated in every section
///         24     8  u64 count: slots in use (removed ones included), <= capacity
///         32     4  u32 engine name length (<= 64)
///         36    64  engine name, UTF-8, zero-padded
///        100     4  u32 model version length (<= 120)
///        104   120  model version, UTF-8, zero-padded
///        224     8  u64 FNV-1a 64 of bytes 0..<24 and 32..<224 (all but count)
///        232    24  zero
///        256        ids     capacity x 16 bytes (UUID)
///                   live    capacity x 1 byte (1 live, 0 removed or unused)
///                   scales  capacity x f32 (int8 step size)
///                   codes   capacity x 128 x i8
///                   floats  capacity x 128 x f32 (unit length)
///
/// Adding writes a free slot and only then bumps `count`; removing clears the slot's live
/// byte (a tombstone). Neither rewrites the file, and a power cut between the two writes
/// of an add leaves the slot invisible rather than half-written.
public enum GalleryFile {
    /// "WAYGALRY".
    static let magic: [UInt8] = Array("WAYGALRY".utf8)
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1
    static let headerSize = 256
    static let engineField = (offset: 36, capacity: 64)
    static let modelField = (offset: 104, capacity: 120)

    /// Byte offsets of the sections for `capacity` slots, and the total file size.
    public struct Layout: Equatable, Sendable {
        /// Where each section starts, and where the file ends.
        public var ids, live, scales, codes, floats, fileSize: Int

        /// The layout for `capacity` slots; nil when the sizes would overflow.
        public init?(capacity: Int) {
            func align(_ n: Int) -> Int { (n + 63) & ~63 }
            let d = MatchTemplate.dimension
            // Refuse capacities whose sizes would overflow (a corrupt header must not trap).
            guard capacity >= 0, capacity < Int.max / (4 * d * 2) else { return nil }
            ids = GalleryFile.headerSize
            live = align(ids + capacity * 16)
            scales = align(live + capacity)
            codes = align(scales + capacity * 4)
            floats = align(codes + capacity * d)
            fileSize = floats + capacity * d * 4
        }
    }

    /// Bytes of file per slot (ids, flag, scale, int8 and float32 values), without padding.
    public static let bytesPerTemplate = 16 + 1 + 4 + MatchTemplate.dimension + 4 * MatchTemplate.dimension

    /// Writes a new gallery file at `path` (atomically: a temporary file renamed over it)
    /// with room for `capacity` templates, holding `entries`.
    public static func write(_ entries: [(id: UUID, template: MatchTemplate)], model: TemplateModel,
                             capacity: Int? = nil, to path: String) throws {
        let capacity = max(capacity ?? entries.count, entries.count)
        try write(model: model, capacity: capacity, count: entries.count, to: path) { slot in
            (entries[slot].id, entries[slot].template)
        }
    }

    /// Writes a gallery of `count` templates produced one slot at a time by `entry` (so a
    /// million-template gallery never exists twice in memory).
    public static func write(model: TemplateModel, capacity: Int, count: Int, to path: String,
                             entry: (Int) throws -> (UUID, MatchTemplate)) throws {
        let op = "write gallery"
        guard count <= capacity, let layout = Layout(capacity: capacity) else {
            throw MatchError(code: .badArgument, operation: op, file: path, detail: "capacity \(capacity) cannot hold \(count) templates")
        }
        let engine = Array(model.engine.utf8), version = Array(model.version.utf8)
        guard engine.count <= engineField.capacity, version.count <= modelField.capacity else {
            throw MatchError(code: .badArgument, operation: op, file: path,
                             detail: "engine or model name too long for the header (64 and 120 bytes)")
        }
        let temporary = path + ".tmp-\(getpid())"
        let map = try MappedFile(creating: temporary, size: layout.fileSize)
        var completed = false
        defer { if !completed { unlink(temporary) } }
        let base = map.base
        // Header.
        base.copyMemory(from: magic, byteCount: 8)
        store(UInt32(formatVersion), at: 8, in: base)
        store(UInt32(MatchTemplate.dimension), at: 12, in: base)
        store(UInt64(capacity), at: 16, in: base)
        store(UInt64(count), at: 24, in: base)
        store(UInt32(engine.count), at: 32, in: base)
        (base + engineField.offset).copyMemory(from: engine, byteCount: engine.count)
        store(UInt32(version.count), at: 100, in: base)
        (base + modelField.offset).copyMemory(from: version, byteCount: version.count)
        store(headerChecksum(UnsafeRawPointer(base)), at: 224, in: base)
        // Sections.
        for slot in 0..<count {
            let (id, template) = try entry(slot)
            try model.requireSame(as: template.model, operation: op)
            writeSlot(slot, id: id, template: template, base: base, layout: layout)
            base.storeBytes(of: 1, toByteOffset: layout.live + slot, as: UInt8.self)
        }
        try map.sync(path: temporary)
        map.unmap()
        guard rename(temporary, path) == 0 else {
            throw MatchError(code: .system, operation: op, file: path, errno: errno, detail: "could not rename the finished file into place")
        }
        completed = true
    }

    static func writeSlot(_ slot: Int, id: UUID, template: MatchTemplate, base: UnsafeMutableRawPointer, layout: Layout) {
        let d = MatchTemplate.dimension
        withUnsafeBytes(of: id.uuid) { (base + layout.ids + slot * 16).copyMemory(from: $0.baseAddress!, byteCount: 16) }
        base.storeBytes(of: template.scale.bitPattern.littleEndian, toByteOffset: layout.scales + slot * 4, as: UInt32.self)
        template.quantized.withUnsafeBytes { (base + layout.codes + slot * d).copyMemory(from: $0.baseAddress!, byteCount: d) }
        template.unit.withUnsafeBytes { (base + layout.floats + slot * d * 4).copyMemory(from: $0.baseAddress!, byteCount: d * 4) }
    }

    static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in base: UnsafeMutableRawPointer) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }

    static func load<T: FixedWidthInteger>(_: T.Type, at offset: Int, in base: UnsafeRawPointer) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// FNV-1a 64 over the header without the count field (which changes on every add).
    static func headerChecksum(_ base: UnsafeRawPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for offset in Array(0..<24) + Array(32..<224) {
            hash = (hash ^ UInt64(base.load(fromByteOffset: offset, as: UInt8.self))) &* 0x100_0000_01b3
        }
        return hash
    }
}

/// A gallery file opened for search (and, when writable, for adding and removing).
///
/// Owns the mapping and unmaps it on deinit. Not `Sendable`: it hands out raw pointers
/// into the mapping, so one owner (an actor or a thread) keeps it.
///
/// The sizes are checked once, at open. Like any mapped file, one that another process
/// truncates while it is open faults (SIGBUS) on the next read of the lost pages: replace a
/// gallery by writing a new file and renaming it over the old one (as ``GalleryFile/write``
/// does), never by truncating it in place.
public final class MappedGallery: SearchableGallery {
    /// The model of every template in the file.
    public let model: TemplateModel
    /// Slots allocated in the file.
    public let capacity: Int
    /// The file.
    public let path: String
    private let map: MappedFile
    private let layout: GalleryFile.Layout
    private var lazyIndex: [UUID: Int]?

    /// Opens and checks `path`: a file that is not a gallery, of another version, cut
    /// short or with a damaged header throws a ``MatchError`` naming the file and the
    /// problem; nothing in it can crash the process.
    public init(path: String, writable: Bool = false) throws {
        let op = "open gallery"
        self.path = path
        map = try MappedFile(opening: path, writable: writable)
        let size = map.size, base = UnsafeRawPointer(map.base)
        guard size >= GalleryFile.headerSize else {
            throw MatchError(code: .truncated, operation: op, file: path,
                             detail: "\(size) bytes is shorter than the \(GalleryFile.headerSize)-byte header; copy the gallery again")
        }
        guard (0..<8).allSatisfy({ base.load(fromByteOffset: $0, as: UInt8.self) == GalleryFile.magic[$0] }) else {
            throw MatchError(code: .badFormat, operation: op, file: path, detail: "not a Wayside gallery (magic is not WAYGALRY)")
        }
        let version = GalleryFile.load(UInt32.self, at: 8, in: base)
        guard version == GalleryFile.formatVersion else {
            throw MatchError(code: .badFormat, operation: op, file: path,
                             detail: "gallery format version \(version); this build reads version \(GalleryFile.formatVersion)")
        }
        guard GalleryFile.load(UInt64.self, at: 224, in: base) == GalleryFile.headerChecksum(base) else {
            throw MatchError(code: .corrupt, operation: op, file: path, detail: "header checksum mismatch; fetch the gallery again")
        }
        let dimension = GalleryFile.load(UInt32.self, at: 12, in: base)
        guard dimension == MatchTemplate.dimension else {
            throw MatchError(code: .badTemplate, operation: op, file: path,
                             detail: "templates of \(dimension) values; this matcher compares \(MatchTemplate.dimension)")
        }
        let capacity64 = GalleryFile.load(UInt64.self, at: 16, in: base)
        let count64 = GalleryFile.load(UInt64.self, at: 24, in: base)
        guard capacity64 < UInt64(Int.max), let layout = GalleryFile.Layout(capacity: Int(capacity64)), count64 <= capacity64 else {
            throw MatchError(code: .corrupt, operation: op, file: path, detail: "count \(count64) / capacity \(capacity64) impossible")
        }
        guard size >= layout.fileSize else {
            throw MatchError(code: .truncated, operation: op, file: path,
                             detail: "file is \(size) bytes but its header needs \(layout.fileSize); copy the gallery again")
        }
        func text(_ lengthAt: Int, _ field: (offset: Int, capacity: Int)) throws -> String {
            let n = Int(GalleryFile.load(UInt32.self, at: lengthAt, in: base))
            guard n <= field.capacity,
                  let s = String(bytes: UnsafeRawBufferPointer(start: base + field.offset, count: n), encoding: .utf8) else {
                throw MatchError(code: .corrupt, operation: op, file: path, detail: "engine or model name unreadable")
            }
            return s
        }
        model = TemplateModel(engine: try text(32, GalleryFile.engineField), version: try text(100, GalleryFile.modelField))
        capacity = Int(capacity64)
        self.layout = layout
        // A damaged scale would poison every score of its row; refuse rather than mis-rank.
        let slots = Int(count64)
        for slot in 0..<slots where base.load(fromByteOffset: layout.live + slot, as: UInt8.self) != 0 {
            let scale = Float(bitPattern: GalleryFile.load(UInt32.self, at: layout.scales + 4 * slot, in: base))
            guard scale.isFinite, scale > 0 else {
                throw MatchError(code: .corrupt, operation: op, file: path, detail: "slot \(slot) has int8 scale \(scale)")
            }
        }
    }

    /// Byte offset of the float32 section: `slotCount x 128` little-endian f32 rows, for
    /// peers that read the same bytes (the benchmark's numpy side).
    public var floatSectionOffset: Int { layout.floats }

    /// Slots in use, removed ones included.
    public var slotCount: Int { Int(GalleryFile.load(UInt64.self, at: 24, in: UnsafeRawPointer(map.base))) }

    /// Live templates (counts the live bytes: O(slots), for reports rather than hot paths).
    public var liveCount: Int {
        let base = UnsafeRawPointer(map.base)
        return (0..<slotCount).reduce(0) { $0 + Int(base.load(fromByteOffset: layout.live + $1, as: UInt8.self) != 0 ? 1 : 0) }
    }

    private var index: [UUID: Int] {
        if let lazyIndex { return lazyIndex }
        var built: [UUID: Int] = [:]
        built.reserveCapacity(slotCount)
        for slot in 0..<slotCount where isLive(slot) { built[id(atSlot: slot)] = slot }
        lazyIndex = built
        return built
    }

    private func isLive(_ slot: Int) -> Bool { map.base.load(fromByteOffset: layout.live + slot, as: UInt8.self) != 0 }

    /// The slot holding `id` (the index map is built on first use).
    public func slot(of id: UUID) -> Int? { index[id] }

    /// The person in `slot`.
    public func id(atSlot slot: Int) -> UUID {
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: UnsafeRawBufferPointer(start: map.base + layout.ids + slot * 16, count: 16)) }
        return UUID(uuid: raw)
    }

    /// Lends the mapped columns.
    public func withColumns<R>(_ body: (GalleryColumns) throws -> R) rethrows -> R {
        let base = UnsafeRawPointer(map.base)
        return try body(GalleryColumns(
            slotCount: slotCount,
            floats: (base + layout.floats).assumingMemoryBound(to: Float.self),
            codes: (base + layout.codes).assumingMemoryBound(to: Int8.self),
            scales: (base + layout.scales).assumingMemoryBound(to: Float.self),
            live: (base + layout.live).assumingMemoryBound(to: UInt8.self)))
    }

    /// Adds (or replaces) `id`'s template in place: a free slot is written, then counted.
    public func add(_ template: MatchTemplate, for id: UUID) throws {
        let op = "add to gallery"
        guard map.writable else {
            throw MatchError(code: .badArgument, operation: op, file: path, detail: "gallery was opened read-only")
        }
        try model.requireSame(as: template.model, operation: op)
        try remove(id)
        let slot = slotCount
        guard slot < capacity else {
            throw MatchError(code: .galleryFull, operation: op, file: path,
                             detail: "all \(capacity) slots used; write the gallery again with more capacity")
        }
        GalleryFile.writeSlot(slot, id: id, template: template, base: map.base, layout: layout)
        map.base.storeBytes(of: 1, toByteOffset: layout.live + slot, as: UInt8.self)
        GalleryFile.store(UInt64(slot + 1), at: 24, in: map.base)
        lazyIndex?[id] = slot
    }

    /// Marks `id`'s slot removed (a tombstone); false when it was not there. A gallery
    /// opened read-only throws rather than fault on its read-only mapping.
    @discardableResult
    public func remove(_ id: UUID) throws -> Bool {
        guard map.writable else {
            throw MatchError(code: .badArgument, operation: "remove from gallery", file: path, detail: "gallery was opened read-only")
        }
        guard let slot = slot(of: id) else { return false }
        map.base.storeBytes(of: 0, toByteOffset: layout.live + slot, as: UInt8.self)
        lazyIndex?[id] = nil
        return true
    }

    /// Flushes adds and removals to the file.
    public func sync() throws { try map.sync(path: path) }
}

/// An `mmap`ed file, unmapped on deinit. Every system call goes through here and names
/// itself in the error.
final class MappedFile {
    let base: UnsafeMutableRawPointer
    let size: Int
    let writable: Bool
    private var mapped = true

    /// Creates (or truncates) `path` at `size` bytes and maps it read-write.
    init(creating path: String, size: Int) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw MatchError(code: .system, operation: "create gallery", file: path, errno: errno, detail: "open failed")
        }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw MatchError(code: .system, operation: "create gallery", file: path, errno: errno, detail: "ftruncate failed (disk full?)")
        }
        (base, self.size, writable) = (try Self.map(fd: fd, size: max(size, 1), writable: true, path: path), size, true)
    }

    /// Maps an existing file.
    init(opening path: String, writable: Bool) throws {
        let fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else {
            throw MatchError(code: .system, operation: "open gallery", file: path, errno: errno,
                             detail: "cannot open; check the path and its permissions")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw MatchError(code: .system, operation: "open gallery", file: path, errno: errno, detail: "fstat failed")
        }
        let size = Int(info.st_size)
        // mmap of length 0 fails; a one-byte mapping of an empty file is never read because
        // the header check refuses any file shorter than the header.
        (base, self.size, self.writable) = (try Self.map(fd: fd, size: max(size, 1), writable: writable, path: path), size, writable)
    }

    private static func map(fd: Int32, size: Int, writable: Bool, path: String) throws -> UnsafeMutableRawPointer {
        let protection = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        guard let pointer = mmap(nil, size, protection, MAP_SHARED, fd, 0), pointer != MAP_FAILED else {
            throw MatchError(code: .system, operation: "map gallery", file: path, errno: errno, detail: "mmap failed")
        }
        return pointer
    }

    func sync(path: String) throws {
        guard msync(base, max(size, 1), MS_SYNC) == 0 else {
            throw MatchError(code: .system, operation: "sync gallery", file: path, errno: errno, detail: "msync failed")
        }
    }

    func unmap() {
        if mapped { munmap(base, max(size, 1)) }
        mapped = false
    }

    deinit { unmap() }
}
