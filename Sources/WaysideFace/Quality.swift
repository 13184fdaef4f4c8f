import Foundation
import WaysideCore

/// The quality components measured on a face, after ISO/IEC 29794-5 (face
/// image quality; OFIQ is its reference implementation). Ours are simpler
/// estimates from 5 landmarks and the luma of the face box.
public enum QualityComponent: String, Sendable, Codable, CaseIterable {
    /// Number of faces found (29794-5 "single face present").
    case faceCount
    /// Distance between the eye centres in pixels.
    case interEyeDistance
    /// Face box height over frame height.
    case headSize
    /// Smallest margin between face box and frame edge, over the box width.
    case cropMargin
    /// Head yaw in degrees, estimated from the nose offset along the eye line.
    case yaw
    /// Head pitch in degrees, estimated from the nose drop below the eye line.
    case pitch
    /// Head roll in degrees: the eye line's angle.
    case roll
    /// Variance of the Laplacian of the face region, resampled to a fixed scale.
    case sharpness
    /// Mean luma of the face region (0-255).
    case luminanceMean
    /// Standard deviation of the face region's luma.
    case luminanceSpread
    /// Fraction of face pixels at or below 25 (under-exposure).
    case underExposure
    /// Fraction of face pixels at or above 245 (over-exposure).
    case overExposure
    /// Entropy of the face region's luma histogram in bits (0-8): dynamic range.
    case dynamicRange
    /// Eye-centre movement since the previous frame, over the inter-eye distance.
    case motion
}

/// One measured component: the raw value and a 0-100 score (100 best).
public struct QualityMeasure: Sendable, Equatable, Codable {
    /// Which component.
    public var component: QualityComponent
    /// The measured value, in the component's unit.
    public var raw: Double
    /// 0 (useless) to 100 (ideal), as 29794-5 asks of every quality component.
    public var score: Int

    /// Makes a measure.
    public init(component: QualityComponent, raw: Double, score: Int) {
        self.component = component
        self.raw = raw
        self.score = score
    }
}

/// What the kiosk tells the person so that the next frame is better.
public enum QualityGuidance: String, Sendable, Codable, CaseIterable {
    /// Only one person in front of the camera.
    case oneAtATime = "one person at a time"
    /// The face is too small.
    case comeCloser = "come closer"
    /// The face is cut off by the frame edge.
    case moveToCentre = "move to the centre"
    /// The head is turned or tilted.
    case faceTheCamera = "face the camera"
    /// The face is too dark.
    case moreLight = "more light"
    /// The face is washed out.
    case lessLight = "less light"
    /// The face is blurred or moving.
    case holdStill = "hold still"
}

/// All measures of one face, the advice, and the box that should meter exposure.
public struct QualityAssessment: Sendable, Equatable {
    /// Every measure taken.
    public var measures: [QualityMeasure]
    /// What to tell the person, most important first; empty when the face passes.
    public var guidance: [QualityGuidance]
    /// The face region for the camera's exposure metering (clipped to the frame).
    public var meteringBox: PixelRect
    /// True when nothing needs to change.
    public var passed: Bool { guidance.isEmpty }

    /// The measure of `component`, if taken.
    public func measure(_ component: QualityComponent) -> QualityMeasure? {
        measures.first { $0.component == component }
    }
}

/// Measures face quality from luma and landmarks.
public enum QualityMeasures {
    /// Typical drop of dlib's 5-point nose point below the eye line, over the
    /// inter-eye distance, on frontal faces. Why a constant: pitch from two
    /// eyes and a nose has no absolute reference; this is the population norm
    /// of dlib's own 5-point mean shape (nose base about 0.7 IED below the eyes).
    public static let frontalNoseDrop = 0.70

    /// Measures `face` (one of `faceCount`) in a `width` x `height` luma image.
    public static func measure(face: DetectedFace, faceCount: Int, luma: [UInt8], width: Int, height: Int,
                               previous: DetectedFace? = nil) -> [QualityMeasure] {
        var out: [QualityMeasure] = []
        out.append(.init(component: .faceCount, raw: Double(faceCount), score: faceCount == 1 ? 100 : 0))

        let box = face.box
        let marginPixels = min(box.x, box.y, width - (box.x + box.width), height - (box.y + box.height))
        let margin = Double(marginPixels) / Double(max(1, box.width))
        out.append(.init(component: .cropMargin, raw: margin, score: ramp(margin, from: -0.2, to: 0.1)))
        let headSize = Double(box.height) / Double(max(1, height))
        out.append(.init(component: .headSize, raw: headSize, score: ramp(headSize, from: 0.1, to: 0.3)))

        // dlib's layout whatever the detector: the angles below read eye line and nose.
        if face.landmarks.count == 5 {
            let geometry = EyeGeometry(face.dlibLayoutLandmarks)
            // ICAO / 29794-5 ask 90 px between eye centres for enrolment photos;
            // dlib's chip is 150 px wide, so 60 px loses little and 30 px is the floor.
            out.append(.init(component: .interEyeDistance, raw: geometry.ied, score: ramp(geometry.ied, from: 25, to: 60)))
            out.append(.init(component: .yaw, raw: geometry.yaw, score: ramp(-abs(geometry.yaw), from: -40, to: -5)))
            out.append(.init(component: .pitch, raw: geometry.pitch, score: ramp(-abs(geometry.pitch), from: -40, to: -5)))
            out.append(.init(component: .roll, raw: geometry.roll, score: ramp(-abs(geometry.roll), from: -30, to: -5)))
            if let previous, previous.landmarks.count == 5 {
                let before = EyeGeometry(previous.dlibLayoutLandmarks)
                let moved = hypot(geometry.mid.x - before.mid.x, geometry.mid.y - before.mid.y) / max(geometry.ied, 1)
                out.append(.init(component: .motion, raw: moved, score: ramp(-moved, from: -0.3, to: -0.05)))
            }
        }

        let region = faceRegion(face, width: width, height: height)
        guard region.area > 0 else { return out }
        // Sample on a grid that puts about 64 samples across the face, so that
        // sharpness does not grow or shrink with distance to the camera.
        let step = max(1, region.width / 64)
        var histogram = [Int](repeating: 0, count: 256)
        var samples = 0
        var sum = 0.0, sumSquares = 0.0
        var y = region.y
        while y < region.y + region.height {
            var x = region.x
            while x < region.x + region.width {
                let v = Int(luma[y * width + x])
                histogram[v] += 1
                samples += 1
                sum += Double(v)
                sumSquares += Double(v * v)
                x += step
            }
            y += step
        }
        let mean = sum / Double(samples)
        let spread = (max(0, sumSquares / Double(samples) - mean * mean)).squareRoot()
        let under = Double(histogram[0...25].reduce(0, +)) / Double(samples)
        let over = Double(histogram[245...255].reduce(0, +)) / Double(samples)
        var entropy = 0.0
        for count in histogram where count > 0 {
            let p = Double(count) / Double(samples)
            entropy -= p * log2(p)
        }
        out.append(.init(component: .luminanceMean, raw: mean,
                         score: min(ramp(mean, from: 30, to: 90), ramp(-mean, from: -235, to: -190))))
        out.append(.init(component: .luminanceSpread, raw: spread, score: ramp(spread, from: 8, to: 30)))
        out.append(.init(component: .underExposure, raw: under, score: ramp(-under, from: -0.5, to: -0.05)))
        out.append(.init(component: .overExposure, raw: over, score: ramp(-over, from: -0.3, to: -0.02)))
        out.append(.init(component: .dynamicRange, raw: entropy, score: ramp(entropy, from: 4, to: 6.5)))

        let laplacian = laplacianVariance(luma: luma, width: width, region: region, step: step)
        out.append(.init(component: .sharpness, raw: laplacian, score: ramp(log10(max(laplacian, 1)), from: 0.8, to: 2.3)))
        return out
    }

    /// The inner face region (box shrunk to its central 70%): skin, eyes and
    /// mouth rather than hair and background, for luminance and sharpness.
    static func faceRegion(_ face: DetectedFace, width: Int, height: Int) -> PixelRect {
        let b = face.box
        let inset = PixelRect(x: b.x + b.width * 15 / 100, y: b.y + b.height * 15 / 100,
                              width: b.width * 70 / 100, height: b.height * 70 / 100)
        return inset.clipped(width: width, height: height)
    }

    static func laplacianVariance(luma: [UInt8], width: Int, region: PixelRect, step: Int) -> Double {
        var sum = 0.0, sumSquares = 0.0, n = 0.0
        var y = region.y + step
        while y < region.y + region.height - step {
            var x = region.x + step
            while x < region.x + region.width - step {
                let c = Int(luma[y * width + x]) * 4
                let l = c - Int(luma[y * width + x - step]) - Int(luma[y * width + x + step])
                    - Int(luma[(y - step) * width + x]) - Int(luma[(y + step) * width + x])
                sum += Double(l)
                sumSquares += Double(l * l)
                n += 1
                x += step
            }
            y += step
        }
        guard n > 0 else { return 0 }
        return sumSquares / n - (sum / n) * (sum / n)
    }

    /// Linear 0-100 between `from` (0) and `to` (100), clamped.
    static func ramp(_ value: Double, from low: Double, to high: Double) -> Int {
        guard value.isFinite else { return 0 }
        let t = (value - low) / (high - low)
        return Int((min(max(t, 0), 1) * 100).rounded())
    }
}

/// Eye centres, their distance and the head angles estimated from 5 landmarks.
struct EyeGeometry {
    var mid: (x: Double, y: Double)
    var ied: Double
    var yaw: Double
    var pitch: Double
    var roll: Double

    init(_ p: [Point2]) {
        // Points 0-1 and 2-3 are the two eyes' corners; order the eyes left to
        // right in the image so that angles do not depend on the model's order.
        var a = (x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2)
        var b = (x: (p[2].x + p[3].x) / 2, y: (p[2].y + p[3].y) / 2)
        if a.x > b.x { swap(&a, &b) }
        let dx = b.x - a.x, dy = b.y - a.y
        ied = max(hypot(dx, dy), 1e-6)
        mid = (x: (a.x + b.x) / 2, y: (a.y + b.y) / 2)
        roll = atan2(dy, dx) * 180 / .pi
        let ux = dx / ied, uy = dy / ied
        let nx = p[4].x - mid.x, ny = p[4].y - mid.y
        // Along the eye line: the nose swings sideways with yaw; across it, it
        // rises or drops with pitch. The nose tip stands about 0.6 IED in front
        // of the eye plane, which turns offsets into angles.
        let along = (nx * ux + ny * uy) / ied
        let across = (-nx * uy + ny * ux) / ied
        yaw = asin(min(max(along / 0.6, -1), 1)) * 180 / .pi
        pitch = asin(min(max((QualityMeasures.frontalNoseDrop - across) / 0.6, -1), 1)) * 180 / .pi
    }
}

/// Turns measures into guidance: the minimum score each component needs.
public struct QualityGate: Sendable, Equatable {
    /// Minimum score per component; components not listed never block.
    public var minimumScores: [QualityComponent: Int]

    /// The kiosk defaults: deliberately lenient (a score of 40 is a usable
    /// face), since a rejected face costs a person a retry, not a false match.
    public static let kiosk = QualityGate(minimumScores: [
        .faceCount: 100, .interEyeDistance: 40, .cropMargin: 40,
        .yaw: 40, .pitch: 30, .roll: 40,
        .luminanceMean: 40, .underExposure: 30, .overExposure: 30,
        // Provisional: no labelled blur data yet. Laplacian variance of about 14
        // (score 25) is where faces look smeared; resized web crops sit near 45.
        .sharpness: 25, .motion: 40,
    ])

    /// Makes a gate.
    public init(minimumScores: [QualityComponent: Int]) {
        self.minimumScores = minimumScores
    }

    /// Measures `face` and says what, if anything, the person should change.
    public func assess(face: DetectedFace, faceCount: Int, luma: [UInt8], width: Int, height: Int,
                       previous: DetectedFace? = nil) -> QualityAssessment {
        let measures = QualityMeasures.measure(face: face, faceCount: faceCount, luma: luma,
                                               width: width, height: height, previous: previous)
        var advice: [QualityGuidance] = []
        func failing(_ c: QualityComponent) -> QualityMeasure? {
            guard let m = measures.first(where: { $0.component == c }), let need = minimumScores[c] else { return nil }
            return m.score < need ? m : nil
        }
        if failing(.faceCount) != nil { advice.append(.oneAtATime) }
        if failing(.interEyeDistance) != nil { advice.append(.comeCloser) }
        if failing(.cropMargin) != nil { advice.append(.moveToCentre) }
        if failing(.yaw) != nil || failing(.pitch) != nil || failing(.roll) != nil { advice.append(.faceTheCamera) }
        let dark = failing(.underExposure) != nil || (failing(.luminanceMean).map { $0.raw < 128 } ?? false)
        let bright = failing(.overExposure) != nil || (failing(.luminanceMean).map { $0.raw >= 128 } ?? false)
        if dark { advice.append(.moreLight) } else if bright { advice.append(.lessLight) }
        if failing(.sharpness) != nil || failing(.motion) != nil { advice.append(.holdStill) }
        return QualityAssessment(measures: measures, guidance: advice,
                                 meteringBox: QualityMeasures.faceRegion(face, width: width, height: height))
    }
}
