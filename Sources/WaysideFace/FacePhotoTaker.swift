import Foundation
import WaysideCore
import WaysideDevices
import WaysideLiveness

/// A ``PhotoTaker`` with a face engine: finds the face in the camera's frames, guides the
/// person until the quality gate passes, meters a V4L2 camera's exposure on the face, and
/// returns the photo with its template and face box.
///
/// Guidance is spoken through catalog keys (`capture.closer`, ...), once each time it
/// changes, so a person hears what to do, not the same sentence ten times a second.
///
/// With ``liveness`` set, the photo is returned only after the person has also passed a
/// random head-movement challenge (docs/liveness.md) with the same face as the photo's;
/// a failed challenge fails the attempt like any other, and the flow retries or offers help.
public struct FacePhotoTaker: PhotoTaker {
    /// How long one attempt may take before the flow is told it failed (it then retries
    /// or moves on without a photo; the person is never stuck in front of the camera).
    public var attemptTimeout: Duration
    /// The quality gate a face must pass.
    public var gate: QualityGate
    /// The liveness check after the gate; nil for none.
    public var liveness: LivenessOptions?
    private let engine: SharedFaceEngine

    /// Takes the engine (models loaded once, at start); `attemptTimeout` bounds each
    /// attempt, the liveness challenge included.
    public init(engine: DlibFaceEngine, gate: QualityGate = .kiosk, attemptTimeout: Duration = .seconds(20),
                liveness: LivenessOptions? = nil) {
        self.engine = SharedFaceEngine(engine)
        self.gate = gate
        self.attemptTimeout = attemptTimeout
        self.liveness = liveness
    }

    /// The catalog key that tells a person how to fix `advice`.
    public static func catalogKey(for advice: QualityGuidance) -> String {
        switch advice {
        case .oneAtATime: "capture.oneFace"
        case .comeCloser: "capture.closer"
        case .moveToCentre: "capture.lookHere"
        case .faceTheCamera: "capture.faceCamera"
        case .moreLight: "capture.moreLight"
        case .lessLight: "capture.lessLight"
        case .holdStill: "capture.holdStill"
        }
    }

    /// What one frame says: a photo, or the guidance key for the person.
    enum FrameVerdict: Equatable {
        case photo(CapturedPhoto, metering: PixelRect)
        case guidance(String, metering: PixelRect?)
    }

    public func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void) async throws -> CapturedPhoto {
        try await takePhoto(from: camera, guidance: guidance, preview: { _, _ in })
    }

    public func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void,
                          preview: @escaping @Sendable (Frame, PixelRect?) async -> Void) async throws -> CapturedPhoto {
        let engine = engine, gate = gate, timeout = attemptTimeout, liveness = liveness
        return try await withThrowingTaskGroup(of: CapturedPhoto?.self) { group in
            group.addTask {
                var lastKey: String?
                var previous: DetectedFace?
                var pending: (photo: CapturedPhoto, check: LivenessRun)?
                let codec = try JPEGCodec()
                for await event in camera.events() {
                    guard case .frame(let frame) = event, frame.isWellFormed else { continue }
                    if var current = pending {
                        // The photo is taken; the challenge runs on the frames after it.
                        guard let seen = try? engine.observe(frame, descriptor: current.check.wantsDescriptor,
                                                             texture: current.check.options.texture) else { continue }
                        switch current.check.step(seen) {
                        case .passed: return current.photo
                        case .failed(let failure): throw failure
                        case .say(let key):
                            pending = current
                            if let key { await guidance(key) }
                        }
                        continue
                    }
                    // A frame the engine cannot read is skipped: the next one may be fine.
                    var shown: Frame?
                    guard let verdict = try? engine.judge(frame, gate: gate, previous: &previous, codec: codec, shown: &shown) else { continue }
                    // The person sees what the camera sees, with the face the gate judged.
                    if let shown { await preview(shown, previous?.box) }
                    switch verdict {
                    case .photo(let photo, let box):
                        if let v4l2 = camera as? V4L2Camera { await v4l2.meter(on: box, of: frame) }
                        guard let liveness else { return photo }
                        pending = (photo, LivenessRun(options: liveness, reference: photo.template?.values))
                    case .guidance(let key, let box):
                        if let box, let v4l2 = camera as? V4L2Camera { await v4l2.meter(on: box, of: frame) }
                        if key != lastKey {
                            lastKey = key
                            await guidance(key)
                        }
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            if let photo = try await group.next() ?? nil { return photo }
            throw DeviceFault(.stalled, device: camera.name, operation: "capture",
                              detail: "no face passed the quality gate within \(timeout)")
        }
    }
}

/// The dlib engine behind a lock: its models are not thread-safe, and the photo taker's
/// task may run on any thread of the pool, one attempt at a time.
final class SharedFaceEngine: @unchecked Sendable {
    private let engine: DlibFaceEngine
    private let lock = NSLock()

    init(_ engine: DlibFaceEngine) { self.engine = engine }

    /// Detects, gates and, when the face passes, makes the template and the JPEG.
    /// `shown` receives the frame as the screen can draw it: the frame itself, or its
    /// decoded pixels when it came as MJPEG (decoded here anyway, so not twice).
    func judge(_ frame: Frame, gate: QualityGate, previous: inout DetectedFace?, codec: JPEGCodec,
               shown: inout Frame?) throws -> FacePhotoTaker.FrameVerdict {
        lock.lock()
        defer { lock.unlock() }
        let image = try RGBImage(frame: frame)
        shown = frame.format == .mjpeg ? Frame(width: image.width, height: image.height, format: .rgb24, bytes: image.pixels) : frame
        let faces = try engine.detect(in: image)
        // The kiosk's person stands in front of it: the face nearest the centre, not the
        // largest (someone leaning in behind them may be closer to the camera).
        guard let face = FaceChoice.nearestCentre(faces, width: image.width, height: image.height) else {
            previous = nil
            return .guidance("capture.noFace", metering: nil)
        }
        let luma = Self.luma(image)
        let assessment = gate.assess(face: face, faceCount: faces.count, luma: luma,
                                     width: image.width, height: image.height, previous: previous)
        previous = face
        if let first = assessment.guidance.first {
            return .guidance(FacePhotoTaker.catalogKey(for: first), metering: assessment.meteringBox)
        }
        let template = try engine.template(of: face, in: image)
        let rgb = Frame(width: image.width, height: image.height, format: .rgb24, bytes: image.pixels)
        let jpeg = frame.format == .mjpeg ? Data(frame.bytes) : Data(try codec.encode(rgb))
        return .photo(CapturedPhoto(jpeg: jpeg, template: template, faceBox: face.box, picture: rgb), metering: assessment.meteringBox)
    }

    /// What the liveness check needs from one frame.
    struct LivenessObservation: Equatable {
        var landmarks: [Point2]?
        var descriptor: [Float]?
        var textureScore: Double?
    }

    /// Detects the person's face and reads what the liveness check needs from it.
    func observe(_ frame: Frame, descriptor: Bool, texture: TextureClassifier?) throws -> LivenessObservation {
        lock.lock()
        defer { lock.unlock() }
        let image = try RGBImage(frame: frame)
        guard let face = FaceChoice.nearestCentre(try engine.detect(in: image), width: image.width, height: image.height) else {
            return LivenessObservation()
        }
        var seen = LivenessObservation(landmarks: face.landmarks)
        if descriptor { seen.descriptor = try engine.descriptor(of: face, in: image).values }
        if let texture {
            let luma = try LumaImage(width: image.width, height: image.height, pixels: Self.luma(image))
            seen.textureScore = try texture.attackScore(try TextureFeatures.extract(from: luma, box: face.box))
        }
        return seen
    }

    /// BT.601 luma of an RGB image, for the gate's exposure measures.
    static func luma(_ image: RGBImage) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { rgb in
            for i in 0..<out.count {
                let r = Int(rgb[3 * i]), g = Int(rgb[3 * i + 1]), b = Int(rgb[3 * i + 2])
                out[i] = UInt8((77 * r + 150 * g + 29 * b + 128) >> 8)
            }
        }
        return out
    }
}
