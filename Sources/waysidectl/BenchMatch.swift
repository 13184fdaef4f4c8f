import ArgumentParser
import Dispatch
import Foundation
import WaysideFace
import WaysideMatch

/// `waysidectl bench match`: 1:N search over galleries of 10k to 1M templates, against
/// numpy (BLAS float32 matrix-vector product plus argpartition, on the same bytes) and
/// against the memory-bandwidth floor (bytes scanned / measured copy bandwidth), in one run.
struct BenchMatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "1:N search: queries/s and latency for float32 and int8, vs numpy and the memcpy floor.",
        discussion: """
            Galleries hold one real LFW template per identity, padded to size with synthetic unit vectors drawn \
            around the LFW mean with LFW's per-dimension spread (so padding competes with the real templates instead \
            of sitting orthogonal to them). Queries are other LFW images of people in the gallery. Galleries are \
            written to <cache>/match-bench/ and memory-mapped; numpy reads the float32 section of the same file.
            """)

    @Option(help: "Gallery sizes, comma-separated.")
    var sizes = "10000,100000,1000000"

    @Option(help: "Queries per size.")
    var queries = 100

    @Option(help: "Candidates returned per query.")
    var k = 10

    @Option(help: "int8 candidates re-scored in float32.")
    var rerank = 32

    @Flag(help: "Scan on one thread instead of every core.")
    var sequential = false

    @Option(help: "Folder with lfw/ (default: ../shared/data from the project root).")
    var data: String?

    @Option(help: "Python with numpy; when it lacks numpy a venv is made under the cache and numpy installed there.")
    var python = "python3"

    @Flag(help: "Skip the numpy peer.")
    var noNumpy = false

    @Option(help: "Whose LFW templates fill the galleries and queries: dlib (the kiosk's engine) or sface.")
    var engine: FaceEngineKind = .dlib

    @Option(help: "Calibrated comparison back-end timed against the raw search in the same run, trained on the same engine (default: the engine's file in Models/; skipped when absent).")
    var backend: String?

    func run() throws {
        let sizeList = try sizes.split(separator: ",").map { text -> Int in
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw ValidationError("--sizes wants positive integers separated by commas, got '\(text)'")
            }
            return n
        }
        guard queries > 0, k > 0 else { throw ValidationError("--queries and --k must be positive") }
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let cache = FaceModelFiles.cacheDirectory()
        let lfw = try LFWTemplates.load(dataRoot: data ?? Eval.defaultDataRoot(), cacheDirectory: cache, engine: engine)
        let model = engine.templateModel, backend = self.backend ?? ComparisonCommands.defaultBackend(engine)
        let (galleryReal, probeEntries) = Self.split(lfw, queries: queries)
        let probes = probeEntries.map(\.template)
        print("LFW: \(lfw.entries.count) templates; gallery takes \(galleryReal.count) (one per identity), \(probes.count) queries of other images of them")
        let numpy = noNumpy ? nil : try NumpyPeer.prepare(python: python, cache: cache)
        var calibrated: CalibratedBench?
        if FileManager.default.fileExists(atPath: backend) {
            calibrated = try CalibratedBench(backendFile: backend, model: model, real: galleryReal.map(\.template), probes: probes)
        } else {
            print("no \(backend): the calibrated back-end is not timed (run 'waysidectl train comparison --engine \(engine.rawValue)')")
        }
        print("scan: \(sequential ? "one thread" : "\(threads) cores, chunks of 16384 rows"); k = \(k); int8 re-scores the best \(rerank) in float32; machine shared: figures are noisy")
        let search = GallerySearch(parallel: !sequential)
        // Also timed on one thread: on a machine shared with other work the second core may be
        // busy, and the one-thread figure shows what the scan does when it cannot help.
        let oneThread = GallerySearch(parallel: false)
        let directory = cache + "/match-bench"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var summary: [String] = []
        for size in sizeList {
            guard size >= galleryReal.count else {
                throw ValidationError("gallery size \(size) is smaller than the \(galleryReal.count) real templates")
            }
            let path = "\(directory)/gallery-\(size)\(engine == .dlib ? "" : "-" + engine.rawValue).wgal"
            let padding = SyntheticTemplates(fittedTo: galleryReal.map(\.template), seed: UInt64(size))
            try GalleryFile.write(model: model, capacity: size, count: size, to: path) { slot in
                if slot < galleryReal.count { return (galleryReal[slot].id, galleryReal[slot].template) }
                return (UUID(), try padding.template(slot))
            }
            let gallery = try MappedGallery(path: path)
            let exact = try probes.map { try search.topK($0, k: k, in: gallery, precision: .float32) }
            let f32 = try Self.time(probes) { try search.topK($0, k: k, in: gallery, precision: .float32) }
            let i8 = try Self.time(probes) { try search.topK($0, k: k, in: gallery, precision: .int8(rerank: rerank)) }
            let i8one = try Self.time(probes) { try oneThread.topK($0, k: k, in: gallery, precision: .int8(rerank: rerank)) }
            let i8raw = try probes.map { try search.topK($0, k: 1, in: gallery, precision: .int8(rerank: 0)) }
            let i8results = try probes.map { try search.topK($0, k: k, in: gallery, precision: .int8(rerank: rerank)) }
            let agreeI8 = zip(exact, i8results).filter { $0.first?.slot == $1.first?.slot }.count
            let agreeRaw = zip(exact, i8raw).filter { $0.first?.slot == $1.first?.slot }.count
            let realHit = zip(probeEntries, exact).filter { probe, found in
                guard let slot = found.first?.slot, slot < galleryReal.count else { return false }
                return galleryReal[slot].identity == probe.identity
            }.count
            // Measured next to each size's runs: on a shared machine the bandwidth drifts.
            let bandwidth = CopyBandwidth.measure(threads: threads)
            let floorF32 = Double(size * 512) / bandwidth, floorI8 = Double(size * (128 + 4)) / bandwidth
            print("\n== \(size) templates (\(path), \(GalleryFile.bytesPerTemplate) B/template on disk) ==")
            print(String(format: "memcpy bandwidth: %.2f GB/s (%d threads, 256 MiB, best of 5); a copy moves each byte twice, a scan once",
                         bandwidth / 1e9, threads))
            print(String(format: "float32 (ours): median %7.3f ms  p95 %7.3f ms  %8.1f queries/s   floor %6.3f ms (%.2fx floor)",
                         f32.median * 1e3, f32.p95 * 1e3, 1 / f32.mean, floorF32 * 1e3, f32.median / floorF32))
            print(String(format: "int8 (ours):    median %7.3f ms  p95 %7.3f ms  %8.1f queries/s   floor %6.3f ms (%.2fx floor)",
                         i8.median * 1e3, i8.p95 * 1e3, 1 / i8.mean, floorI8 * 1e3, i8.median / floorI8))
            print(String(format: "int8 (1 thread): median %6.3f ms  p95 %7.3f ms  %8.1f queries/s", i8one.median * 1e3, i8one.p95 * 1e3, 1 / i8one.mean))
            var line = String(format: "%8d: int8 %.2f ms (%.2fx floor; 1 thread %.2f ms), float32 %.2f ms (%.2fx floor)", size, i8.median * 1e3,
                              i8.median / floorI8, i8one.median * 1e3, f32.median * 1e3, f32.median / floorF32)
            if let numpy {
                // BLAS on every core and BLAS on one: on a busy machine OpenBLAS's thread wake-ups
                // can cost more than the product, and the peer should get its better figure.
                let threaded = try numpy.run(galleryPath: path, offset: gallery.floatSectionOffset, rows: size,
                                             queries: probes, k: k, scratch: directory, blasThreads: nil)
                let single = try numpy.run(galleryPath: path, offset: gallery.floatSectionOffset, rows: size,
                                           queries: probes, k: k, scratch: directory, blasThreads: 1)
                for (label, run) in [("numpy (BLAS all)", threaded), ("numpy (BLAS 1)", single)] {
                    let agree = zip(exact, run.top1).filter { $0.first?.slot == $1 }.count
                    print(String(format: "%@: median %7.3f ms  p95 %7.3f ms  %8.1f queries/s   (top-1 = ours float32: %d/%d)",
                                 label.padding(toLength: 16, withPad: " ", startingAt: 0), run.median * 1e3, run.p95 * 1e3,
                                 1 / run.mean, agree, probes.count))
                }
                let peer = threaded.median <= single.median ? threaded : single
                print(String(format: "ratios vs numpy's better (%.3f ms): int8 %.2fx faster (1 thread %.2fx), float32 %.2fx faster",
                             peer.median * 1e3, peer.median / i8.median, peer.median / i8one.median, peer.median / f32.median))
                line += String(format: ", numpy %.2f ms: int8 %.2fx numpy", peer.median * 1e3, peer.median / i8.median)
            }
            print("top-1 same as exact float32: int8+rerank \(agreeI8)/\(probes.count), int8 alone \(agreeRaw)/\(probes.count); "
                  + "exact top-1 is the query's own identity in \(realHit)/\(probes.count)")
            print("memory per template: scanned \(128 + 4) B int8 / 512 B float32; in RAM (\(GalleryFile.bytesPerTemplate) B file, mapped)")
            if let calibrated {
                line += try calibrated.run(size: size, directory: directory, galleryReal: galleryReal, padding: padding,
                                           rawGallery: gallery, search: search, k: k, rerank: rerank)
            }
            summary.append(line + ", top-1 agreement \(agreeI8)/\(probes.count)")
        }
        print("\nsummary (goal at 1M: <= 10 ms, >= 3x numpy, within 2x of the floor, same top-1; calibrated/raw < 1.5x):")
        for line in summary { print(line) }
    }

    /// One template per identity for the gallery (the first image); later images of those
    /// identities become the queries, spread over identities.
    static func split(_ lfw: LFWTemplates, queries: Int)
        -> ([(id: UUID, identity: String, template: MatchTemplate)], [(identity: String, template: MatchTemplate)]) {
        var gallery: [(id: UUID, identity: String, template: MatchTemplate)] = [], seen: Set<String> = []
        var spare: [(identity: String, template: MatchTemplate)] = []
        for e in lfw.entries {
            if seen.insert(e.identity).inserted { gallery.append((UUID(), e.identity, e.template)) } else { spare.append((e.identity, e.template)) }
        }
        let step = max(1, spare.count / queries)
        return (gallery, stride(from: 0, to: spare.count, by: step).prefix(queries).map { spare[$0] })
    }

    /// Median, 95th percentile and mean wall time of one query, after two warm-up rounds.
    static func time(_ probes: [MatchTemplate], _ body: (MatchTemplate) throws -> [Candidate]) throws -> (median: Double, p95: Double, mean: Double) {
        for p in probes.prefix(2) { _ = try body(p) }
        var seconds: [Double] = []
        let clock = ContinuousClock()
        for p in probes {
            let start = clock.now
            _ = try body(p)
            seconds.append((clock.now - start).seconds)
        }
        return LatencyFigures.summarise(seconds)
    }
}

/// Median, p95 and mean of a list of durations in seconds.
enum LatencyFigures {
    static func summarise(_ seconds: [Double]) -> (median: Double, p95: Double, mean: Double) {
        let s = seconds.sorted()
        guard !s.isEmpty else { return (0, 0, 0) }
        return (s[s.count / 2], s[min(s.count - 1, Int(Double(s.count) * 0.95))], s.reduce(0, +) / Double(s.count))
    }
}

/// Unit vectors drawn from a normal distribution with the per-dimension mean and spread of
/// real templates: stand-ins for more people, deterministic for a seed.
struct SyntheticTemplates {
    let mean: [Float]
    let spread: [Float]
    let seed: UInt64
    /// The real templates' model, which the stand-ins take so they share one gallery.
    let model: TemplateModel

    init(fittedTo real: [MatchTemplate], seed: UInt64) {
        model = real.first?.model ?? LFWTemplates.model
        let d = MatchTemplate.dimension, n = Float(max(1, real.count))
        var mean = [Float](repeating: 0, count: d), square = [Float](repeating: 0, count: d)
        for t in real { for i in 0..<d { mean[i] += t.unit[i] / n; square[i] += t.unit[i] * t.unit[i] / n } }
        self.mean = mean
        self.spread = (0..<d).map { max(0, square[$0] - mean[$0] * mean[$0]).squareRoot() }
        self.seed = seed
    }

    /// The template for `slot` (SplitMix64 and Box-Muller: the same slot gives the same vector).
    func template(_ slot: Int) throws -> MatchTemplate {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(slot)
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        var values = [Float](repeating: 0, count: MatchTemplate.dimension)
        for i in 0..<values.count {
            let gaussian = (-2 * log(max(next(), 1e-300))).squareRoot() * cos(2 * .pi * next())
            values[i] = mean[i] + spread[i] * Float(gaussian)
        }
        return try MatchTemplate(model: model, descriptor: values)
    }
}

/// Copy bandwidth of this machine: the best of five 256 MiB memcpy passes, split over the
/// scan threads (a scan that reads N bytes cannot beat N / this).
enum CopyBandwidth {
    static func measure(threads: Int) -> Double {
        let bytes = 256 << 20
        let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { source.deallocate(); target.deallocate() }
        memset(source, 1, bytes)
        memset(target, 2, bytes)
        var best = Double.infinity
        let clock = ContinuousClock()
        let part = bytes / threads
        // Each thread copies its own disjoint part; concurrentPerform returns before the
        // buffers are freed.
        nonisolated(unsafe) let (sharedSource, sharedTarget) = (source, target)
        for _ in 0..<5 {
            let start = clock.now
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                memcpy(sharedTarget + t * part, sharedSource + t * part, part)
            }
            best = min(best, (clock.now - start).seconds)
        }
        return Double(bytes) / best
    }
}

/// The numpy side: a Python process that maps the float32 section of the same gallery file,
/// loads it into RAM, and times `G @ q` plus `argpartition` per query.
struct NumpyPeer {
    let python: String

    /// A Python that imports numpy: `python` if it does, else a venv under the cache with
    /// numpy installed by pip (made once).
    static func prepare(python: String, cache: String) throws -> NumpyPeer {
        if let path = python.contains("/") ? python : which(python), try runQuietly(path, ["-c", "import numpy"]) == 0 {
            return NumpyPeer(python: path)
        }
        let venv = cache + "/venv-match"
        let venvPython = venv + "/bin/python3"
        if !FileManager.default.isExecutableFile(atPath: venvPython) {
            print("numpy not found for \(python): making \(venv) and installing numpy with pip")
            guard let system = which("python3"), try runQuietly(system, ["-m", "venv", venv]) == 0 else {
                throw ValidationError("could not make a venv at \(venv); install python3-venv or pass --no-numpy")
            }
        }
        if try runQuietly(venvPython, ["-c", "import numpy"]) != 0 {
            guard try runQuietly(venvPython, ["-m", "pip", "install", "--quiet", "numpy"]) == 0 else {
                throw ValidationError("pip install numpy failed in \(venv); check the network or pass --no-numpy")
            }
        }
        return NumpyPeer(python: venvPython)
    }

    static let script = """
        import json, sys, time
        import numpy as np
        path, offset, rows, qpath, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
        G = np.array(np.memmap(path, dtype='<f4', mode='r', offset=offset, shape=(rows, 128)))
        Q = np.fromfile(qpath, dtype='<f4').reshape(-1, 128)
        def search(q):
            s = G @ q
            idx = np.argpartition(s, -k)[-k:]
            return idx[np.argsort(-s[idx])]
        for q in Q[:2]: search(q)
        times, top1 = [], []
        for q in Q:
            t = time.perf_counter(); idx = search(q); times.append(time.perf_counter() - t); top1.append(int(idx[0]))
        print(json.dumps({"times": times, "top1": top1, "numpy": np.__version__}))
        """

    /// Runs the peer on `rows` float32 rows at `offset` of the gallery file.
    func run(galleryPath: String, offset: Int, rows: Int, queries: [MatchTemplate], k: Int, scratch: String, blasThreads: Int?)
        throws -> (median: Double, p95: Double, mean: Double, top1: [Int]) {
        let queryFile = scratch + "/queries.f32"
        var bytes = Data()
        for q in queries { q.unit.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        try bytes.write(to: URL(fileURLWithPath: queryFile))
        var environment: [String: String] = [:]
        if let blasThreads {
            for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[name] = "\(blasThreads)" }
        }
        let (status, data) = try runCapturingOutput(python, ["-c", Self.script, galleryPath, "\(offset)", "\(rows)", queryFile, "\(k)"],
                                                    environment: environment)
        struct Result: Decodable { var times: [Double]; var top1: [Int] }
        guard status == 0, let result = try? JSONDecoder().decode(Result.self, from: data) else {
            throw ValidationError("the numpy peer failed (status \(status)); rerun with --no-numpy to skip it")
        }
        let figures = LatencyFigures.summarise(result.times)
        return (figures.median, figures.p95, figures.mean, result.top1)
    }
}
