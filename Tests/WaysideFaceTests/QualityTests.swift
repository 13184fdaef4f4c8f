import Foundation
import Testing
import WaysideCore
import WaysideFace

/// The gate's advice on synthetic faces whose geometry and light are known.
struct QualityTests {
    static let width = 640, height = 480

    /// A frontal face centred in the frame with inter-eye distance `ied`, rolled by `roll` degrees.
    static func face(ied: Double = 80, roll: Double = 0, noseShift: Double = 0, dx: Double = 0) -> DetectedFace {
        let cx = 320.0 + dx, cy = 220.0
        let r = roll * .pi / 180
        func rotated(_ x: Double, _ y: Double) -> Point2 {
            Point2(x: cx + x * cos(r) - y * sin(r), y: cy + x * sin(r) + y * cos(r))
        }
        let half = ied / 2, corner = ied * 0.2
        let landmarks = [rotated(half + corner, 0), rotated(half - corner, 0),
                         rotated(-half - corner, 0), rotated(-half + corner, 0),
                         rotated(noseShift * ied, 0.7 * ied)]
        let side = Int(ied * 2.2)
        return DetectedFace(box: PixelRect(x: Int(cx) - side / 2, y: Int(cy) - side / 3, width: side, height: side),
                            confidence: 1, landmarks: landmarks)
    }

    /// A textured luma image: a checkerboard of `base +- amplitude`.
    static func luma(base: Int, amplitude: Int = 40, cell: Int = 3) -> [UInt8] {
        (0..<(width * height)).map { i in
            let x = i % width, y = i / width
            return UInt8(clamping: ((x / cell + y / cell) % 2 == 0) ? base + amplitude : base - amplitude)
        }
    }

    func assess(_ face: DetectedFace, luma: [UInt8], count: Int = 1, previous: DetectedFace? = nil) -> QualityAssessment {
        QualityGate.kiosk.assess(face: face, faceCount: count, luma: luma, width: Self.width, height: Self.height, previous: previous)
    }

    @Test func aGoodFacePasses() {
        let a = assess(Self.face(), luma: Self.luma(base: 128))
        #expect(a.passed, "\(a.guidance)")
        #expect(a.measures.allSatisfy { (0...100).contains($0.score) })
        #expect(abs(a.measure(.roll)!.raw) < 0.5)
        #expect(abs(a.measure(.yaw)!.raw) < 0.5)
        #expect(abs(a.measure(.interEyeDistance)!.raw - 80) < 0.5)
    }

    @Test func smallFaceAsksToComeCloser() {
        #expect(assess(Self.face(ied: 20), luma: Self.luma(base: 128)).guidance.contains(.comeCloser))
    }

    @Test func rolledOrTurnedFaceAsksToFaceTheCamera() {
        let rolled = assess(Self.face(roll: 35), luma: Self.luma(base: 128))
        #expect(rolled.guidance.contains(.faceTheCamera))
        #expect(abs(rolled.measure(.roll)!.raw - 35) < 1)
        let turned = assess(Self.face(noseShift: 0.45), luma: Self.luma(base: 128))
        #expect(turned.guidance.contains(.faceTheCamera))
        #expect(turned.measure(.yaw)!.raw > 30)
    }

    @Test func darkFaceAsksForMoreLightAndBrightForLess() {
        let dark = assess(Self.face(), luma: Self.luma(base: 15, amplitude: 8))
        #expect(dark.guidance.contains(.moreLight))
        #expect(!dark.guidance.contains(.lessLight))
        let bright = assess(Self.face(), luma: Self.luma(base: 245, amplitude: 8))
        #expect(bright.guidance.contains(.lessLight))
    }

    @Test func flatOrMovingFaceAsksToHoldStill() {
        let flat = assess(Self.face(), luma: [UInt8](repeating: 128, count: Self.width * Self.height))
        #expect(flat.guidance.contains(.holdStill))
        let moved = assess(Self.face(dx: 40), luma: Self.luma(base: 128), previous: Self.face())
        #expect(moved.guidance.contains(.holdStill))
        let steady = assess(Self.face(dx: 2), luma: Self.luma(base: 128), previous: Self.face())
        #expect(!steady.guidance.contains(.holdStill))
    }

    @Test func twoFacesAskForOneAtATime() {
        #expect(assess(Self.face(), luma: Self.luma(base: 128), count: 2).guidance.first == .oneAtATime)
    }

    @Test func meteringBoxIsInsideTheFaceAndTheFrame() {
        let f = Self.face(dx: 300)
        let a = assess(f, luma: Self.luma(base: 128))
        let m = a.meteringBox
        #expect(m.x >= f.box.x && m.x + m.width <= min(Self.width, f.box.x + f.box.width))
        #expect(m.area > 0)
        #expect(a.guidance.contains(.moveToCentre))
    }

    @Test func nearestCentreBeatsLargest() {
        let big = DetectedFace(box: PixelRect(x: 0, y: 0, width: 300, height: 300), confidence: 2)
        let central = DetectedFace(box: PixelRect(x: 280, y: 200, width: 80, height: 80), confidence: 1)
        #expect(FaceChoice.nearestCentre([big, central], width: 640, height: 480) == central)
        #expect(FaceChoice.nearestCentre([], width: 640, height: 480) == nil)
    }

    @Test func yuyvGreyBecomesGreyRGB() throws {
        // Y=126 with neutral chroma is mid grey in BT.601 limited range: (126-16)*255/219 = 128.
        let frame = Frame(width: 4, height: 2, format: .yuyv, bytes: [UInt8](repeating: 0, count: 16).enumerated().map { $0.offset % 2 == 0 ? 126 : 128 })
        let image = try RGBImage(frame: frame)
        #expect(image.pixels.allSatisfy { abs(Int($0) - 128) <= 1 })
    }

    @Test func paddingRepeatsTheEdge() throws {
        let image = try #require(RGBImage(width: 2, height: 1, pixels: [10, 10, 10, 200, 200, 200]))
        let padded = image.padded(by: 2)
        #expect(padded.width == 6 && padded.height == 5)
        #expect(padded.pixels[0] == 10 && padded.pixels[(6 * 5 - 1) * 3] == 200)
    }
}
