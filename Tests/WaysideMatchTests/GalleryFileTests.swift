import Foundation
import Testing
import WaysideMatch

struct GalleryFileTests {
    func writeSample(count: Int, capacity: Int? = nil) throws -> (path: String, entries: [(id: UUID, template: MatchTemplate)]) {
        let entries = try Support.randomTemplates(count, seed: 21).map { (id: UUID(), template: $0) }
        let path = Support.temporaryPath("sample.wgal")
        try GalleryFile.write(entries, model: Support.model, capacity: capacity, to: path)
        return (path, entries)
    }

    @Test func writtenGalleryReadsBackAndSearchesLikeTheInMemoryOne() throws {
        let (path, entries) = try writeSample(count: 2_500)
        defer { unlink(path) }
        let mapped = try MappedGallery(path: path)
        #expect(mapped.model == Support.model)
        #expect(mapped.liveCount == entries.count)
        var memory = Gallery(model: Support.model)
        for (slot, entry) in entries.enumerated() {
            try memory.add(entry.template, for: entry.id)
            if slot % 97 == 0 {
                #expect(mapped.id(atSlot: slot) == entry.id)
                #expect(mapped.slot(of: entry.id) == slot)
            }
        }
        let search = GallerySearch(rowsPerChunk: 300)
        for probe in try Support.randomTemplates(10, seed: 22) {
            for precision in [SearchPrecision.float32, .int8(rerank: 32), .int8(rerank: 0)] {
                #expect(try search.topK(probe, k: 5, in: mapped, precision: precision)
                        == search.topK(probe, k: 5, in: memory, precision: precision))
            }
        }
    }

    @Test func addsAndTombstonesPersistWithoutRewriting() throws {
        let (path, entries) = try writeSample(count: 100, capacity: 102)
        defer { unlink(path) }
        let extra = try Support.randomTemplates(3, seed: 23)
        let newcomer = UUID(), late = UUID()
        do {
            let writable = try MappedGallery(path: path, writable: true)
            #expect(try writable.remove(entries[10].id))
            #expect(try !writable.remove(entries[10].id))
            try writable.add(extra[0], for: newcomer)
            try writable.add(extra[1], for: late)
            let error = #expect(throws: MatchError.self) { try writable.add(extra[2], for: UUID()) }
            #expect(error?.code == .galleryFull)
            try writable.sync()
        }
        let reopened = try MappedGallery(path: path)
        #expect(reopened.liveCount == 101)
        #expect(reopened.slot(of: entries[10].id) == nil)
        #expect(try GallerySearch().topK(entries[10].template, k: 1, in: reopened).first?.id != entries[10].id)
        #expect(try GallerySearch().topK(extra[1], k: 1, in: reopened).first?.id == late)
        #expect(try GallerySearch().verify(extra[0], against: newcomer, in: reopened) > 0.9999)
        // A read-only gallery refuses changes instead of faulting on the mapping.
        #expect(throws: MatchError.self) { try reopened.add(extra[2], for: UUID()) }
        #expect(throws: MatchError.self) { try reopened.remove(late) }
    }

    /// Tombstones are skipped by every chunk of a multithreaded scan, in float32 and int8.
    @Test func tombstonedSlotsNeverComeBackFromAChunkedSearch() throws {
        let (path, entries) = try writeSample(count: 5_000)
        defer { unlink(path) }
        let gallery = try MappedGallery(path: path, writable: true)
        var rows: [MatchTemplate?] = entries.map(\.template)
        let probes = try Support.randomTemplates(8, seed: 24)
        // Remove each probe's ten best rows: the ones a scan that ignored tombstones would return.
        for probe in probes {
            for hit in Support.bruteForce(probe, rows: rows, k: 10) {
                #expect(try gallery.remove(entries[hit.slot].id))
                rows[hit.slot] = nil
            }
        }
        let search = GallerySearch(rowsPerChunk: 400)
        for probe in probes {
            let reference = Support.bruteForce(probe, rows: rows, k: 10)
            #expect(try search.topK(probe, k: 10, in: gallery, precision: .float32).map(\.slot) == reference.map(\.slot))
            #expect(try search.topK(probe, k: 10, in: gallery, precision: .int8(rerank: 64)).map(\.slot) == reference.map(\.slot))
        }
        #expect(gallery.liveCount == 5_000 - 80)
    }

    @Test func truncatedFilesSayTheyAreCutShort() throws {
        let (path, _) = try writeSample(count: 50)
        defer { unlink(path) }
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        for length in [0, 7, 255, 256, 4_000, full.count - 1] {
            let cut = Support.temporaryPath("cut.wgal")
            defer { unlink(cut) }
            try full.prefix(length).write(to: URL(fileURLWithPath: cut))
            let error = #expect(throws: MatchError.self) { try MappedGallery(path: cut) }
            #expect(error?.code == .truncated, "length \(length): \(String(describing: error))")
            #expect(error?.description.contains(cut) == true)
        }
    }

    @Test func damagedHeadersAreRefusedWithTheReason() throws {
        let (path, _) = try writeSample(count: 20)
        defer { unlink(path) }
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        func damaged(_ change: (inout Data) -> Void) throws -> MatchError? {
            var bytes = good
            change(&bytes)
            let bad = Support.temporaryPath("bad.wgal")
            defer { unlink(bad) }
            try bytes.write(to: URL(fileURLWithPath: bad))
            return #expect(throws: MatchError.self) { try MappedGallery(path: bad) }
        }
        #expect(try damaged { $0[0] = UInt8(ascii: "X") }?.code == .badFormat)
        #expect(try damaged { $0[8] = 2 }?.code == .badFormat)                       // a future version
        #expect(try damaged { $0[40] ^= 0x20 }?.code == .corrupt)                   // engine name bit flip
        #expect(try damaged { $0[16] = 0xFF; $0[23] = 0x7F }?.code == .corrupt)     // absurd capacity
        #expect(try damaged { $0[24] = 200 }?.code == .corrupt)                     // count above capacity
        // A damaged int8 scale would skew one row's scores: refused at open.
        #expect(try damaged { bytes in
            let layout = GalleryFile.Layout(capacity: 20)!
            for i in 0..<4 { bytes[layout.scales + 4 * 3 + i] = 0xFF }
        }?.code == .corrupt)
        let missing = #expect(throws: MatchError.self) { try MappedGallery(path: "/nonexistent/today.wgal") }
        #expect(missing?.code == .system)
        #expect(missing?.errno == ENOENT)
    }

    @Test func templatesOfAnotherModelAreRefusedByTheFile() throws {
        let foreign = try Support.randomTemplates(2, seed: 1, model: TemplateModel(engine: "sface", version: "2021dec"))
        let path = Support.temporaryPath("mixed.wgal")
        defer { unlink(path) }
        #expect(throws: MatchError.self) {
            try GalleryFile.write(foreign.map { (id: UUID(), template: $0) }, model: Support.model, to: path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        let (sample, _) = try writeSample(count: 5, capacity: 6)
        defer { unlink(sample) }
        let gallery = try MappedGallery(path: sample, writable: true)
        let error = #expect(throws: MatchError.self) { try gallery.add(foreign[0], for: UUID()) }
        #expect(error?.code == .modelMismatch)
        #expect(throws: MatchError.self) { try GallerySearch().topK(foreign[0], k: 1, in: gallery) }
    }
}
