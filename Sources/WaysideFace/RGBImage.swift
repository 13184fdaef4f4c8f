import CFaceShim
import WaysideCore

/// A tightly packed 8-bit RGB image: the form the engines read.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// `width * height * 3` bytes, R G B, row after row.
    public var pixels: [UInt8]

    /// An image from packed RGB bytes; nil when the count does not match.
    public init?(width: Int, height: Int, pixels: [UInt8]) {
        guard width > 0, height > 0, pixels.count == width * height * 3 else { return nil }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Decodes a JPEG or PNG file (through dlib's loaders).
    public init(contentsOfFile path: String) throws {
        var buffer: UnsafeMutablePointer<UInt8>?
        var w: Int32 = 0, h: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = wf_load_image_rgb(path, &buffer, &w, &h, &message, message.count)
        defer { wf_free(buffer) }
        if let error = FaceEngineError.from(status, operation: "load image", file: path, buffer: message) { throw error }
        guard let buffer else {
            throw FaceEngineError(code: .imageUnreadable, operation: "load image", file: path, detail: "no pixels")
        }
        self.width = Int(w)
        self.height = Int(h)
        self.pixels = Array(UnsafeBufferPointer(start: buffer, count: Int(w) * Int(h) * 3))
    }

    /// Converts a camera frame: gray, RGB, YUYV (BT.601 limited range) or MJPEG.
    public init(frame: Frame) throws {
        guard frame.isWellFormed else {
            throw FaceEngineError(code: .badInput, operation: "convert frame",
                                  detail: "frame \(frame.width)x\(frame.height) \(frame.format.rawValue) with \(frame.bytes.count) bytes")
        }
        width = frame.width
        height = frame.height
        var out = [UInt8](repeating: 0, count: frame.width * frame.height * 3)
        let (w, h, stride) = (frame.width, frame.height, frame.bytesPerRow)
        switch frame.format {
        case .gray8:
            for y in 0..<h { for x in 0..<w {
                let v = frame.bytes[y * stride + x]
                let o = (y * w + x) * 3
                out[o] = v; out[o + 1] = v; out[o + 2] = v
            } }
        case .rgb24:
            for y in 0..<h {
                let src = y * stride, dst = y * w * 3
                out.replaceSubrange(dst..<(dst + w * 3), with: frame.bytes[src..<(src + w * 3)])
            }
        case .yuyv:
            for y in 0..<h { for x in 0..<w {
                let pair = y * stride + (x & ~1) * 2
                let luma = Int(frame.bytes[pair + (x & 1) * 2])
                let u = Int(frame.bytes[pair + 1]) - 128, v = Int(frame.bytes[pair + 3]) - 128
                let c = 298 * (luma - 16)
                let o = (y * w + x) * 3
                out[o] = clampByte((c + 409 * v + 128) >> 8)
                out[o + 1] = clampByte((c - 100 * u - 208 * v + 128) >> 8)
                out[o + 2] = clampByte((c + 516 * u + 128) >> 8)
            } }
        case .mjpeg:
            self = try RGBImage(jpeg: frame.bytes)
            return
        }
        pixels = out
    }

    /// Decodes a JPEG held in memory.
    public init(jpeg: [UInt8]) throws {
        var buffer: UnsafeMutablePointer<UInt8>?
        var w: Int32 = 0, h: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = jpeg.withUnsafeBufferPointer { bytes in
            wf_decode_jpeg_rgb(bytes.baseAddress, bytes.count, &buffer, &w, &h, &message, message.count)
        }
        defer { wf_free(buffer) }
        if let error = FaceEngineError.from(status, operation: "decode jpeg", buffer: message) { throw error }
        guard let buffer else {
            throw FaceEngineError(code: .imageUnreadable, operation: "decode jpeg", detail: "no pixels")
        }
        width = Int(w)
        height = Int(h)
        pixels = Array(UnsafeBufferPointer(start: buffer, count: Int(w) * Int(h) * 3))
    }

    /// Luma (BT.601 weights), one byte per pixel.
    public func luma() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<(width * height) {
                let r = UInt32(p[3 * i]), g = UInt32(p[3 * i + 1]), b = UInt32(p[3 * i + 2])
                out[i] = UInt8((r * 77 + g * 150 + b * 29) >> 8)
            }
        }
        return out
    }

    /// This image with `margin` pixels of repeated edge on every side.
    ///
    /// Tight crops (UTKFace) leave the HOG window no context around the face;
    /// repeating the edge adds it without inventing a background.
    public func padded(by margin: Int) -> RGBImage {
        let w = width + 2 * margin, h = height + 2 * margin
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let sy = min(max(y - margin, 0), height - 1)
            for x in 0..<w {
                let sx = min(max(x - margin, 0), width - 1)
                let s = (sy * width + sx) * 3, d = (y * w + x) * 3
                out[d] = pixels[s]; out[d + 1] = pixels[s + 1]; out[d + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: w, height: h, pixels: out)!
    }
}

@inline(__always)
func clampByte(_ v: Int) -> UInt8 { UInt8(min(max(v, 0), 255)) }
