import Foundation
import WaysideCore

/// Exposure and gain as a camera's controls take them (driver units).
public struct ExposureSettings: Sendable, Hashable {
    /// V4L2_CID_EXPOSURE_ABSOLUTE (100 µs units on UVC) or the driver's exposure control.
    public var exposure: Int32
    /// V4L2_CID_GAIN; 0 when the camera has none.
    public var gain: Int32

    public init(exposure: Int32, gain: Int32) {
        self.exposure = exposure
        self.gain = gain
    }
}

/// The ranges of a camera's exposure and gain controls.
public struct ExposureLimits: Sendable, Equatable {
    public var exposure: ClosedRange<Int32>
    public var exposureStep: Int32
    /// nil when the camera has no gain control.
    public var gain: ClosedRange<Int32>?
    /// How much the whole gain range multiplies the signal (UVC does not say; 4x, 12 dB, is
    /// typical of webcam sensors and only scales how fast gain moves).
    public var gainSpan: Double

    public init(exposure: ClosedRange<Int32>, exposureStep: Int32 = 1, gain: ClosedRange<Int32>?, gainSpan: Double = 4) {
        self.exposure = exposure
        self.exposureStep = max(1, exposureStep)
        self.gain = gain
        self.gainSpan = max(1, gainSpan)
    }
}

/// Face-metered exposure: one step per frame towards a well-exposed face.
///
/// A camera's own auto exposure averages the whole frame; with a bright window behind a
/// person it exposes for the window and the face, darker skin most of all, falls into the
/// shadows where detection and matching fail. This controller meters only the face box.
///
/// Each step estimates how much more (or less) light the face needs from its mean luma.
/// Luma is gamma-encoded (Rec. 601/709 transfer, about 1/2.2), so a luma ratio r needs a
/// linear exposure change of about r^2.2. The step is damped and clamped so that a noisy
/// measurement cannot make it oscillate, and a dead band around the target stops hunting.
/// Longer exposure is preferred to gain (gain amplifies noise); gain takes over only when
/// exposure reaches its ceiling (``ExposureLimits/exposure``, which the caller keeps within
/// the frame interval so the frame rate does not drop).
public struct FaceExposureController: Sendable, Equatable {
    /// The face luma aimed at (0-255, gamma-encoded).
    public var target: Double
    /// No change while the face is within this many luma levels of the target.
    public var tolerance: Double
    /// The display gamma that relates luma to light.
    public var gamma: Double
    /// Fraction of the needed change (in log terms) applied per step, 0 < damping <= 1.
    public var damping: Double
    /// The largest change of exposure x gain in one step (and its inverse).
    public var maximumStep: Double

    /// The defaults: aim at 115 +- 12, gamma 2.2, 80 % of the change per step, at most 6x.
    public init(target: Double = 115, tolerance: Double = 12, gamma: Double = 2.2, damping: Double = 0.8, maximumStep: Double = 6) {
        self.target = target
        self.tolerance = tolerance
        self.gamma = gamma
        self.damping = damping
        self.maximumStep = maximumStep
    }

    /// The settings for the next frame, or nil when the face is exposed well enough (or the
    /// camera cannot go further in the needed direction).
    public func next(faceMean: Double, current: ExposureSettings, limits: ExposureLimits) -> ExposureSettings? {
        guard abs(faceMean - target) > tolerance else { return nil }
        var ratio: Double
        if faceMean >= 250 {
            ratio = 1 / maximumStep  // clipped: how far over is unknown, so come down fast
        } else {
            ratio = pow(target / max(faceMean, 1), gamma)
        }
        ratio = pow(ratio, damping)
        ratio = min(max(ratio, 1 / maximumStep), maximumStep)

        let light = Double(current.exposure) * gainFactor(current.gain, limits) * ratio
        let low = Double(limits.exposure.lowerBound), high = Double(limits.exposure.upperBound)
        var exposure = min(max(light, max(low, 1)), high)
        var gain = limits.gain?.lowerBound ?? current.gain
        if let range = limits.gain, light > high {
            // Exposure is at its ceiling: the rest from gain.
            let needed = light / high
            let fraction = (needed - 1) / (limits.gainSpan - 1)
            gain = Int32((Double(range.lowerBound) + min(max(fraction, 0), 1) * Double(range.upperBound - range.lowerBound)).rounded())
        }
        exposure = exposure.rounded()
        let step = Double(limits.exposureStep)
        exposure = min(max(low + ((exposure - low) / step).rounded() * step, low), high)
        let next = ExposureSettings(exposure: Int32(exposure), gain: gain)
        return next == current ? nil : next
    }

    /// How much `gain` multiplies the signal, 1 at the bottom of its range.
    private func gainFactor(_ gain: Int32, _ limits: ExposureLimits) -> Double {
        guard let range = limits.gain, range.upperBound > range.lowerBound else { return 1 }
        let fraction = Double(gain - range.lowerBound) / Double(range.upperBound - range.lowerBound)
        return 1 + min(max(fraction, 0), 1) * (limits.gainSpan - 1)
    }

    /// The mean luma of `region` of `frame` (gray8, YUYV, RGB24 or MJPEG), nil when the
    /// region is empty or the frame cannot be read.
    public static func meanLuma(of frame: Frame, in region: PixelRect) -> Double? {
        var frame = frame
        var box = region
        if frame.format == .mjpeg {
            // Metering needs no detail: an eighth-size decode is plenty and cheap.
            guard let codec = try? JPEGCodec(), let small = try? codec.decode(frame.bytes, to: .gray8, maxWidth: max(1, frame.width / 8)) else { return nil }
            let scaleX = Double(small.width) / Double(frame.width), scaleY = Double(small.height) / Double(frame.height)
            box = PixelRect(x: Int(Double(region.x) * scaleX), y: Int(Double(region.y) * scaleY),
                            width: max(1, Int(Double(region.width) * scaleX)), height: max(1, Int(Double(region.height) * scaleY)))
            frame = small
        }
        guard frame.isWellFormed else { return nil }
        let clip = box.clipped(width: frame.width, height: frame.height)
        guard clip.area > 0 else { return nil }
        var sum = 0
        frame.bytes.withUnsafeBufferPointer { bytes in
            for y in clip.y..<(clip.y + clip.height) {
                let row = y * frame.bytesPerRow
                for x in clip.x..<(clip.x + clip.width) {
                    switch frame.format {
                    case .gray8: sum += Int(bytes[row + x])
                    case .yuyv: sum += Int(bytes[row + 2 * x])
                    case .rgb24:
                        // Rec. 601 luma weights, in 1/256.
                        let p = row + 3 * x
                        sum += (77 * Int(bytes[p]) + 150 * Int(bytes[p + 1]) + 29 * Int(bytes[p + 2])) >> 8
                    case .mjpeg: break
                    }
                }
            }
        }
        return Double(sum) / Double(clip.area)
    }
}
