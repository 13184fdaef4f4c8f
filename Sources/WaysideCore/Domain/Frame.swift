/// How the bytes of a ``Frame`` are laid out.
public enum PixelFormat: String, Sendable, Equatable, CaseIterable {
    /// One byte of luma per pixel.
    case gray8
    /// Three bytes per pixel, R then G then B.
    case rgb24
    /// Packed 4:2:2, Y0 U Y1 V (V4L2_PIX_FMT_YUYV).
    case yuyv
    /// A whole JPEG image (V4L2_PIX_FMT_MJPEG); `bytesPerRow` is 0.
    case mjpeg

    /// Bytes per pixel for uncompressed formats, nil for compressed ones.
    public var bytesPerPixel: Int? {
        switch self {
        case .gray8: 1
        case .rgb24: 3
        case .yuyv: 2
        case .mjpeg: nil
        }
    }
}

/// One picture from a ``FrameSource``, with the capture time and sequence number
/// the source gave it so that dropped frames can be counted.
public struct Frame: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var format: PixelFormat
    public var bytesPerRow: Int
    public var bytes: [UInt8]
    /// The source's sequence number; a gap means frames were dropped.
    public var sequence: UInt64
    /// Monotonic capture time (CLOCK_MONOTONIC for V4L2), since an arbitrary origin.
    public var timestamp: Duration

    public init(width: Int, height: Int, format: PixelFormat, bytesPerRow: Int? = nil,
                bytes: [UInt8], sequence: UInt64 = 0, timestamp: Duration = .zero) {
        self.width = width
        self.height = height
        self.format = format
        self.bytesPerRow = bytesPerRow ?? (format.bytesPerPixel.map { $0 * width } ?? 0)
        self.bytes = bytes
        self.sequence = sequence
        self.timestamp = timestamp
    }

    /// True when the byte count matches the geometry (compressed frames: non-empty).
    public var isWellFormed: Bool {
        guard width > 0, height > 0 else { return false }
        if format == .mjpeg { return !bytes.isEmpty }
        return bytesPerRow >= width * (format.bytesPerPixel ?? 1) && bytes.count >= bytesPerRow * height
    }
}

/// An axis-aligned rectangle in pixel coordinates of a frame.
public struct PixelRect: Sendable, Equatable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var centerX: Double { Double(x) + Double(width) / 2 }
    public var centerY: Double { Double(y) + Double(height) / 2 }
    public var area: Int { max(0, width) * max(0, height) }

    /// This rectangle clipped to a `width` x `height` image.
    public func clipped(width imageWidth: Int, height imageHeight: Int) -> PixelRect {
        let left = min(max(0, x), imageWidth)
        let top = min(max(0, y), imageHeight)
        let right = min(max(left, x + width), imageWidth)
        let bottom = min(max(top, y + height), imageHeight)
        return PixelRect(x: left, y: top, width: right - left, height: bottom - top)
    }
}

extension Frame {
    /// The head and shoulders around `face`: the box grown to `margin` times its size,
    /// kept inside the frame. What a review screen shows, so the person sees their face,
    /// not the room. Nil for a packed (MJPEG) frame.
    public func portrait(around face: PixelRect, margin: Double = 2.2) -> Frame? {
        guard isWellFormed, let bpp = format.bytesPerPixel, format != .yuyv else { return nil }
        let side = Int(Double(max(face.width, face.height)) * margin)
        let w = min(width, side), h = min(height, Int(Double(side) * 1.25))
        let cx = face.x + face.width / 2, cy = face.y + face.height / 2
        let x0 = min(max(0, cx - w / 2), width - w), y0 = min(max(0, cy - h / 2), height - h)
        guard w > 0, h > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: w * h * bpp)
        for row in 0..<h {
            let source = (y0 + row) * bytesPerRow + x0 * bpp
            out.replaceSubrange(row * w * bpp..<(row + 1) * w * bpp, with: bytes[source..<(source + w * bpp)])
        }
        return Frame(width: w, height: h, format: format, bytes: out)
    }
}
