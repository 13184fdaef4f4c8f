import WaysideCore

/// Which pixel format the board profile prefers.
public enum V4L2FormatPreference: String, Sendable, CaseIterable {
    /// Uncompressed YUYV; MJPEG, then libv4l2's RGB conversion, when the camera lacks it.
    case yuyv
    /// MJPEG (USB 2 webcams need it for 720p at full rate); YUYV, then RGB, as fall-backs.
    case mjpeg
    /// Whatever the camera offers, YUYV first, anything else converted to RGB by libv4l2.
    case any

    /// Formats to try, best first.
    public var candidates: [FourCC] {
        switch self {
        case .yuyv: [.yuyv, .mjpeg, .jpeg, .rgb24, .grey]
        case .mjpeg: [.mjpeg, .jpeg, .yuyv, .rgb24, .grey]
        case .any: [.yuyv, .mjpeg, .jpeg, .grey, .rgb24]
        }
    }
}

/// What a camera is asked for.
public struct V4L2CaptureRequest: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var format: V4L2FormatPreference
    public var framesPerSecond: Int

    public init(width: Int, height: Int, format: V4L2FormatPreference, framesPerSecond: Int) {
        self.width = width
        self.height = height
        self.format = format
        self.framesPerSecond = framesPerSecond
    }
}

/// Chooses a format and size from what a device enumerates.
public enum V4L2Negotiation {
    /// The first of the request's candidate formats that the device offers, at the offered
    /// size nearest to the request (the smallest that is at least as large, else the largest).
    ///
    /// Throws a ``V4L2Error`` for "negotiate" (an ``DeviceFault/Code/unsupported`` fault)
    /// that lists what the device does offer, when none of the candidates is there.
    public static func choose(_ request: V4L2CaptureRequest, from formats: [V4L2FormatDescription],
                              device: String) throws(V4L2Error) -> (fourcc: FourCC, width: Int, height: Int) {
        for candidate in request.format.candidates {
            guard let offered = formats.first(where: { $0.fourcc == candidate }) else { continue }
            guard !offered.sizes.isEmpty else {
                // Drivers without ENUM_FRAMESIZES (capture cards, vivid's HDMI input) take the
                // request as is and S_FMT adjusts it.
                return (candidate, request.width, request.height)
            }
            let sizes = offered.sizes.map { $0.nearest(width: request.width, height: request.height) }
            let requestArea = request.width * request.height
            let large = sizes.filter { $0.width >= request.width && $0.height >= request.height }
            let best = large.min { $0.width * $0.height < $1.width * $1.height }
                ?? sizes.min { abs($0.width * $0.height - requestArea) < abs($1.width * $1.height - requestArea) }
            if let best { return (candidate, best.width, best.height) }
        }
        let offered = formats.map { "\($0.fourcc)" }.joined(separator: ", ")
        throw V4L2Error(operation: "negotiate", device: device,
                        detail: "asked for \(request.format.rawValue) \(request.width)x\(request.height); the device offers \(offered.isEmpty ? "no capture formats" : offered)")
    }
}
