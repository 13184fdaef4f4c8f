import Foundation
import WaysideCore

/// Head rotation in degrees, from the person's point of view.
///
/// `yaw` is positive when the person turns to their own left (the nose moves to
/// the image's +x in an unmirrored camera frame); `pitch` is positive when they
/// look up; `roll` is the tilt of the eye line, positive clockwise in the image.
public struct HeadPose: Sendable, Equatable, Codable {
    /// Degrees, + to the person's left.
    public var yaw: Double
    /// Degrees, + up.
    public var pitch: Double
    /// Degrees, + clockwise in the image.
    public var roll: Double

    /// Makes a pose.
    public init(yaw: Double, pitch: Double, roll: Double = 0) {
        self.yaw = yaw
        self.pitch = pitch
        self.roll = roll
    }
}

/// The geometry of dlib's five landmarks that head pose is read from.
///
/// The five points are both corners of both eyes and the base of the nose
/// (shape_predictor_5 order: image-right eye outer, inner; image-left eye
/// outer, inner; nose). Four of them lie nearly on one line, so the pose comes
/// from where the nose sits against that line, in units of the eye distance,
/// which makes it independent of the distance to the camera.
public struct LandmarkGeometry: Sendable, Equatable, Codable {
    /// Nose offset along the eye line from the eyes' midpoint, in eye distances.
    public var noseAlong: Double
    /// Nose offset across the eye line (below it is +), in eye distances.
    public var noseAcross: Double
    /// Eye distance in pixels (between the eye centres).
    public var eyeDistance: Double
    /// Angle of the eye line in degrees, clockwise in the image.
    public var roll: Double

    /// Reads the geometry; throws ``LivenessError`` when there are not five
    /// finite landmarks or the eyes coincide.
    public init(landmarks: [Point2]) throws {
        guard landmarks.count == 5 else {
            throw LivenessError(code: .badInput, operation: "head pose",
                                detail: "needs dlib's 5 landmarks, got \(landmarks.count)")
        }
        guard landmarks.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
            throw LivenessError(code: .badInput, operation: "head pose", detail: "a landmark is not finite")
        }
        let rightEye = Point2(x: (landmarks[0].x + landmarks[1].x) / 2, y: (landmarks[0].y + landmarks[1].y) / 2)
        let leftEye = Point2(x: (landmarks[2].x + landmarks[3].x) / 2, y: (landmarks[2].y + landmarks[3].y) / 2)
        // Eye line from the image-left eye to the image-right eye.
        let ex = rightEye.x - leftEye.x, ey = rightEye.y - leftEye.y
        let distance = (ex * ex + ey * ey).squareRoot()
        guard distance > 1e-6 else {
            throw LivenessError(code: .badInput, operation: "head pose", detail: "the two eyes coincide")
        }
        let ux = ex / distance, uy = ey / distance
        let mid = Point2(x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2)
        let nx = landmarks[4].x - mid.x, ny = landmarks[4].y - mid.y
        noseAlong = (nx * ux + ny * uy) / distance
        // The normal (-uy, ux) points down the image when the face is upright.
        noseAcross = (-nx * uy + ny * ux) / distance
        eyeDistance = distance
        roll = atan2(ey, ex) * 180 / .pi
    }
}

/// Head pose from the five landmarks, relative to the same person's own
/// frontal geometry.
///
/// A generic face model would misread faces whose nose sits lower or higher
/// than the model's (and that varies across people and groups), so the pose is
/// measured against a baseline taken while the person faces the camera: the
/// challenge records it before asking for any movement.
///
/// The model: the base of the nose sits `noseDepth` eye distances in front of
/// the eyes. Turning by yaw moves it sideways by `noseDepth * sin(yaw)` while
/// the eye distance shrinks by `cos(yaw)`; tilting by pitch moves it along
/// `H cos(pitch) - D sin(pitch)`.
public struct HeadPoseEstimator: Sendable, Equatable, Codable {
    /// Depth of the nose base in front of the eye corners, in eye distances
    /// (about 2 cm against 6.3 cm between eye centres in adults).
    public var noseDepth: Double
    /// The person's frontal geometry.
    public var baseline: LandmarkGeometry

    /// An estimator for one person, from a frontal frame's landmarks.
    public init(frontal: LandmarkGeometry, noseDepth: Double = 0.32) {
        self.baseline = frontal
        self.noseDepth = noseDepth
    }

    /// The pose of a frame of the same person.
    ///
    /// Pitch down is weakly observed: the drop `H cos(p) - D sin(p)` peaks at
    /// `p = -atan(D/H)` (about 24 degrees down), so a deeper nod reads smaller.
    public func pose(of g: LandmarkGeometry) -> HeadPose {
        // Yaw: sideways nose offset relative to the (foreshortened) eye distance.
        let along = g.noseAlong - baseline.noseAlong
        let yaw = atan(along / noseDepth) * 180 / .pi
        // Pitch: the nose-below-eyes drop, scaled back by cos(yaw) foreshortening
        // of the eye distance it is measured in, against H cos(p) - D sin(p).
        let cosYaw = cos(yaw * .pi / 180)
        let drop = g.noseAcross * cosYaw
        let h = baseline.noseAcross, d = noseDepth
        let radius = (h * h + d * d).squareRoot()
        let ratio = min(1, max(-1, drop / radius))
        let pitch = (acos(ratio) - atan2(d, h)) * 180 / .pi
        return HeadPose(yaw: yaw, pitch: pitch, roll: g.roll - baseline.roll)
    }

    /// The pose of a frame's five landmarks.
    public func pose(of landmarks: [Point2]) throws -> HeadPose {
        pose(of: try LandmarkGeometry(landmarks: landmarks))
    }
}

/// What went wrong in the liveness check's own inputs.
public struct LivenessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Kinds of failure.
    public enum Code: String, Sendable {
        /// The caller passed something unusable (wrong landmark count, NaN, ...).
        case badInput
        /// Points are degenerate for the fit (too few, collinear, coincident).
        case degenerate
        /// A weights or data file could not be read or does not fit.
        case badFile
    }

    /// What kind.
    public var code: Code
    /// What was being done.
    public var operation: String
    /// The file concerned, if any.
    public var file: String?
    /// What exactly.
    public var detail: String

    /// Makes an error.
    public init(code: Code, operation: String, file: String? = nil, detail: String) {
        self.code = code
        self.operation = operation
        self.file = file
        self.detail = detail
    }

    /// "head pose: needs dlib's 5 landmarks, got 3".
    public var description: String {
        "\(operation)\(file.map { " (\($0))" } ?? ""): \(detail)"
    }
}
