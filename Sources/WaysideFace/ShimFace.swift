import CFaceShim
import WaysideCore

/// Both C shims report faces as `wf_face`; these turn one into the other.
extension DetectedFace {
    /// The face a shim reported; `layout` says which detector's five points it carries.
    init(shim raw: wf_face, layout: LandmarkLayout) {
        var points: [Point2] = []
        withUnsafeBytes(of: raw.landmarks) { bytes in
            let f = bytes.bindMemory(to: Float.self)
            for p in 0..<5 { points.append(Point2(x: Double(f[2 * p]), y: Double(f[2 * p + 1]))) }
        }
        self.init(box: PixelRect(x: Int(raw.left), y: Int(raw.top), width: Int(raw.width), height: Int(raw.height)),
                  confidence: raw.confidence, landmarks: points, layout: layout)
    }
}

extension wf_face {
    /// The record a shim reads: box, confidence and the first five landmarks.
    init(_ face: DetectedFace) {
        self.init()
        left = Int32(clamping: face.box.x)
        top = Int32(clamping: face.box.y)
        width = Int32(clamping: face.box.width)
        height = Int32(clamping: face.box.height)
        confidence = face.confidence
        withUnsafeMutableBytes(of: &landmarks) { bytes in
            let f = bytes.bindMemory(to: Float.self)
            for (p, point) in face.landmarks.prefix(5).enumerated() {
                f[2 * p] = Float(point.x)
                f[2 * p + 1] = Float(point.y)
            }
        }
    }
}
