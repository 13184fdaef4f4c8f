#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import WaysideCore
import WaysideDevices
import WaysideFace

/// `waysidectl bench face`: the face engine's stages on 640x480 frames, one engine and two
/// in parallel, with peak RSS, against Python `face_recognition` on the same files in the
/// same run; and the second engine (YuNet + SFace) on the same frames beside dlib.
struct BenchFace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "face",
        abstract: "Face engines' per-stage ms on 640x480 frames and peak RSS, against Python face_recognition.",
        discussion: """
            The frames are the images of --images, each scaled into a 640x480 grey canvas and saved as JPEG once, so \
            that both sides decode the same files. Ours: decode (libjpeg-turbo), detect (HOG, no upsampling, with \
            the 5 landmarks), chip and descriptor for the face nearest the centre; then the second engine (YuNet at \
            640x480 and SFace, when scripts/fetch-models has converted them) on the same frames; then two dlib \
            engines on two threads. \
            The peer: face_recognition.load_image_file, face_locations (its default: upsample once; and without), \
            face_encodings (5-point model, as ours), run by --python. Make that Python with scripts/bench-face-peer \
            (it builds dlib's wheel once, about 15 minutes, and caches it).
            """)

    @Option(help: "A folder of JPEG face images (default: ../shared/data/lfw if present, else the demo images).")
    var images: String?

    @Option(help: "Frames to time.")
    var frames = 40

    @Option(help: "The Python with face_recognition (default: $WAYSIDE_CACHE/venv-pyfr/bin/python).")
    var python: String?

    @Flag(help: "Time only Wayside's engine.")
    var noPeer = false

    func run() async throws {
        let cache = FaceModelFiles.cacheDirectory()
        let source = try imageFolder(cache: cache)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("wayside-bench-face-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let files = try prepareFrames(from: source, into: work)
        print("frames: \(files.count) of 640x480 from \(source) (in \(work))")

        let engine = try DlibFaceEngine(models: .standard(), options: .live)
        let jpegs = try files.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0))) }
        // One warm-up pass: page in the models, size the allocations.
        _ = try timeStages(engine, jpegs.prefix(2), upsample: 0)
        let single = try timeStages(engine, jpegs[...], upsample: 0)
        let singleUp = try timeStages(engine, jpegs[...], upsample: 1)
        print(String(format: "wayside, one engine, no upsampling: decode %.1f, detect+landmarks %.1f, chip+descriptor %.1f ms; %.1f ms/frame end to end (%.2f frames/s), %d faces",
                     single.decode, single.detect, single.descriptor, single.total, 1000 / single.total, single.faces))
        print(String(format: "wayside, one engine, upsample 1:   decode %.1f, detect+landmarks %.1f, chip+descriptor %.1f ms; %.1f ms/frame (%.2f frames/s), %d faces",
                     singleUp.decode, singleUp.detect, singleUp.descriptor, singleUp.total, 1000 / singleUp.total, singleUp.faces))
        let peakOne = Self.peakRSSMiB()
        print(String(format: "peak RSS, one engine loaded and run: %.1f MiB (goal < 120 MiB)", peakOne))
        try timeSecondEngine(jpegs, beside: single)
        let parallel = try timeParallel(jpegs)
        print(String(format: "wayside, two engines on two threads, no upsampling: %.2f frames/s (%.2fx one engine)",
                     parallel, parallel / (1000 / single.total)))
        print(String(format: "peak RSS after the two parallel engines too: %.1f MiB", Self.peakRSSMiB()))

        guard !noPeer else { return }
        let interpreter = python ?? "\(cache)/venv-pyfr/bin/python"
        guard FileManager.default.isExecutableFile(atPath: interpreter) else {
            print("peer: no \(interpreter); run scripts/bench-face-peer to make it (or --no-peer)")
            throw ExitCode(1)
        }
        let peer = try runPeer(interpreter, folder: work)
        print(String(format: "face_recognition, default (upsample 1): %.1f ms/frame (%.2f frames/s), %d faces",
                     peer.defaultMs, 1000 / peer.defaultMs, peer.defaultFaces))
        print(String(format: "face_recognition, no upsampling:        %.1f ms/frame (%.2f frames/s), %d faces",
                     peer.noUpsampleMs, 1000 / peer.noUpsampleMs, peer.noUpsampleFaces))
        print(String(format: "ratio frames/s wayside (kiosk settings, one engine) / face_recognition default = %.2f (goal >= 5)",
                     peer.defaultMs / single.total))
        print(String(format: "ratio frames/s wayside / face_recognition, both without upsampling = %.2f (goal >= 3)",
                     peer.noUpsampleMs / single.total))
        print(String(format: "ratio frames/s wayside / face_recognition, both upsampling once = %.2f",
                     peer.defaultMs / singleUp.total))
    }

    /// YuNet and SFace on the same frames in the same run, beside dlib's kiosk settings;
    /// a note instead when their models are not fetched (the dlib figures still stand).
    func timeSecondEngine(_ jpegs: [[UInt8]], beside dlib: Stages) throws {
        let models = FaceModelFiles.standard()
        guard (try? models.checkOpenCVPresent()) != nil else {
            print("sface: YuNet/SFace models absent in \(models.directory); run scripts/fetch-models to time them")
            return
        }
        let before = Self.peakRSSMiB()
        let engine = try OpenCVFaceEngine(models: models)
        _ = try timeStages(engine, jpegs.prefix(2), upsample: 0)
        let cv = try timeStages(engine, jpegs[...], upsample: 0)
        print(String(format: "sface, one engine (YuNet at 640x480, SFace): decode %.1f, detect+landmarks %.1f, chip+feature %.1f ms; %.1f ms/frame end to end (%.2f frames/s), %d faces",
                     cv.decode, cv.detect, cv.descriptor, cv.total, 1000 / cv.total, cv.faces))
        print(String(format: "ratio frames/s sface / dlib (both one engine, kiosk settings) = %.2f; detect %.2fx, descriptor %.2fx as fast",
                     dlib.total / cv.total, dlib.detect / cv.detect, dlib.descriptor / cv.descriptor))
        print(String(format: "peak RSS with the sface engine loaded and run too: %.1f MiB (was %.1f)", Self.peakRSSMiB(), before))
    }

    /// The process's peak resident set so far (getrusage's ru_maxrss).
    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Mean milliseconds per frame of each stage.
    struct Stages {
        var decode = 0.0, detect = 0.0, descriptor = 0.0, total = 0.0
        var faces = 0
    }

    /// Per-stage means of either engine; `upsample` is HOG's (YuNet has none).
    func timeStages(_ engine: any EvaluatedEngine, _ jpegs: ArraySlice<[UInt8]>, upsample: Int) throws -> Stages {
        let codec = try JPEGCodec()
        let recipe = ImageRecipe(upsample: upsample, fallbackUpsample: nil, pad: 0, descriptor: true, gate: false)
        var sums = Stages()
        for jpeg in jpegs {
            let t0 = ContinuousClock.now
            let frame = try codec.decode(jpeg, to: .rgb24)
            let image = try RGBImage(frame: frame)
            let t1 = ContinuousClock.now
            let faces = try engine.faces(in: image, recipe: recipe)
            let t2 = ContinuousClock.now
            if let face = FaceChoice.nearestCentre(faces, width: image.width, height: image.height) {
                _ = try engine.descriptorValues(of: face, in: image)
                sums.faces += 1
            }
            let t3 = ContinuousClock.now
            sums.decode += (t1 - t0).seconds * 1000
            sums.detect += (t2 - t1).seconds * 1000
            sums.descriptor += (t3 - t2).seconds * 1000
        }
        let n = Double(max(jpegs.count, 1))
        sums.decode /= n
        sums.detect /= n
        sums.descriptor /= n
        sums.total = sums.decode + sums.detect + sums.descriptor
        return sums
    }

    /// Frames/s of two engines, each on a thread of its own (dlib's objects are not
    /// thread-safe: one engine per thread), over the frames split in two.
    func timeParallel(_ jpegs: [[UInt8]]) throws -> Double {
        let halves = [Array(jpegs.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)),
                      Array(jpegs.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))]
        let group = DispatchGroup()
        let ready = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0)
        let failures = FailureBox()
        for half in halves {
            group.enter()
            // Each thread loads its own engine before the clock starts.
            let worker = Thread {
                defer { group.leave() }
                let engine: DlibFaceEngine
                do { engine = try DlibFaceEngine(models: .standard(), options: .live) } catch {
                    failures.record("\(error)")
                    ready.signal()
                    return
                }
                ready.signal()
                go.wait()
                do { _ = try self.timeStages(engine, half[...], upsample: 0) } catch { failures.record("\(error)") }
            }
            worker.start()
        }
        ready.wait()
        ready.wait()
        let start = ContinuousClock.now
        go.signal()
        go.signal()
        group.wait()
        if let failure = failures.first { throw ValidationError("a parallel engine failed: \(failure)") }
        return Double(jpegs.count) / (start.duration(to: .now)).seconds
    }

    /// The peer's figures.
    struct PeerResult {
        var defaultMs: Double, defaultFaces: Int, noUpsampleMs: Double, noUpsampleFaces: Int
    }

    func runPeer(_ interpreter: String, folder: String) throws -> PeerResult {
        let script = """
            import glob, json, sys, time
            import face_recognition
            files = sorted(glob.glob(sys.argv[1] + "/*.jpg"))
            out = {}
            face_recognition.face_encodings(face_recognition.load_image_file(files[0]))  # warm up
            for up in (1, 0):
                start, faces = time.perf_counter(), 0
                for f in files:
                    image = face_recognition.load_image_file(f)
                    locations = face_recognition.face_locations(image, number_of_times_to_upsample=up)
                    faces += len(face_recognition.face_encodings(image, locations))
                out[str(up)] = {"ms": (time.perf_counter() - start) * 1000 / len(files), "faces": faces}
            print(json.dumps(out))
            """
        let (status, data) = try runCapturingOutput(interpreter, ["-c", script, folder])
        guard status == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: Double]],
              let up = json["1"], let none = json["0"] else {
            throw ValidationError("the face_recognition peer failed (exit \(status)): \(String(decoding: data, as: UTF8.self))")
        }
        return PeerResult(defaultMs: up["ms"] ?? .nan, defaultFaces: Int(up["faces"] ?? 0),
                          noUpsampleMs: none["ms"] ?? .nan, noUpsampleFaces: Int(none["faces"] ?? 0))
    }

    func imageFolder(cache: String) throws -> String {
        if let images { return images }
        let shared = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent()
            .appendingPathComponent("shared/data/lfw").path
        if FileManager.default.fileExists(atPath: shared) { return shared }
        return cache + "/demo-images"
    }

    /// The first `frames` JPEGs under `folder` (recursively, in name order), each scaled to
    /// fit a 640x480 grey canvas, centred, saved as JPEG quality 90.
    func prepareFrames(from folder: String, into work: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw ValidationError("cannot read \(folder)")
        }
        let names = walker.compactMap { $0 as? String }.filter { $0.lowercased().hasSuffix(".jpg") }.sorted()
        guard !names.isEmpty else { throw ValidationError("no .jpg files under \(folder)") }
        let codec = try JPEGCodec()
        var files: [String] = []
        for name in names.prefix(frames) {
            let source = try codec.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))), to: .rgb24)
            let canvas = Self.letterbox(source, width: 640, height: 480)
            let path = "\(work)/frame-\(String(format: "%03d", files.count)).jpg"
            try Data(try codec.encode(canvas, quality: 90)).write(to: URL(fileURLWithPath: path))
            files.append(path)
        }
        return files
    }

    /// `frame` scaled (nearest neighbour; up or down) to fit `width` x `height`, centred on grey.
    static func letterbox(_ frame: Frame, width: Int, height: Int) -> Frame {
        let scale = min(Double(width) / Double(frame.width), Double(height) / Double(frame.height))
        let w = max(1, Int(Double(frame.width) * scale)), h = max(1, Int(Double(frame.height) * scale))
        let left = (width - w) / 2, top = (height - h) / 2
        var bytes = [UInt8](repeating: 128, count: width * height * 3)
        let stride = frame.bytesPerRow > 0 ? frame.bytesPerRow : frame.width * 3
        for y in 0..<h {
            let sy = min(frame.height - 1, Int(Double(y) / scale))
            for x in 0..<w {
                let sx = min(frame.width - 1, Int(Double(x) / scale))
                let from = sy * stride + sx * 3, to = ((top + y) * width + left + x) * 3
                bytes[to] = frame.bytes[from]
                bytes[to + 1] = frame.bytes[from + 1]
                bytes[to + 2] = frame.bytes[from + 2]
            }
        }
        return Frame(width: width, height: height, format: .rgb24, bytes: bytes)
    }
}

/// The first error of the parallel workers.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String] = []
    func record(_ failure: String) { lock.withLock { failures.append(failure) } }
    var first: String? { lock.withLock { failures.first } }
}
