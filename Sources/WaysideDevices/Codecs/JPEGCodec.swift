import CJPEG
import Foundation
import WaysideCore

/// Why a JPEG could not be decoded or encoded.
public struct JPEGError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TurboJPEG call that failed.
    public var operation: String
    public var detail: String
    public var description: String { "JPEG \(operation): \(detail)" }
}

/// JPEG decode and encode with libjpeg-turbo's TurboJPEG API.
///
/// Owns its TurboJPEG handles; not thread-safe (one codec per task), hence not `Sendable`.
/// Corrupt or truncated data becomes a ``JPEGError``; a warning-level problem (a truncated
/// MJPEG frame that still decodes) is accepted, as camera streams often end early.
public final class JPEGCodec {
    private let decoder: tjhandle
    private let encoder: tjhandle

    public init() throws {
        guard let decoder = tjInitDecompress() else { throw JPEGError(operation: "tjInitDecompress", detail: "out of memory") }
        guard let encoder = tjInitCompress() else {
            tjDestroy(decoder)
            throw JPEGError(operation: "tjInitCompress", detail: "out of memory")
        }
        self.decoder = decoder
        self.encoder = encoder
    }

    deinit {
        tjDestroy(decoder)
        tjDestroy(encoder)
    }

    /// Width and height of a JPEG without decoding it.
    public func dimensions(of jpeg: [UInt8]) throws -> (width: Int, height: Int) {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = jpeg.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(decoder, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        guard status == 0, width > 0, height > 0 else { throw error("tjDecompressHeader3", decoder) }
        return (Int(width), Int(height))
    }

    /// Decodes `jpeg` to `format` (``PixelFormat/rgb24`` or ``PixelFormat/gray8``).
    ///
    /// With `maxWidth`, the decoder scales by the largest of libjpeg's factors (1/8 steps)
    /// that keeps the width at least `maxWidth`: a scaled decode skips most of the IDCT work.
    public func decode(_ jpeg: [UInt8], to format: PixelFormat, maxWidth: Int? = nil) throws -> Frame {
        let (width, height) = try dimensions(of: jpeg)
        var (outWidth, outHeight) = (width, height)
        if let maxWidth, maxWidth < width {
            var count: Int32 = 0
            if let factors = tjGetScalingFactors(&count) {
                var best = (width, height)
                for index in 0..<Int(count) {
                    let factor = factors[index]
                    let scaledWidth = (width * Int(factor.num) + Int(factor.denom) - 1) / Int(factor.denom)
                    let scaledHeight = (height * Int(factor.num) + Int(factor.denom) - 1) / Int(factor.denom)
                    if scaledWidth >= maxWidth, scaledWidth < best.0 { best = (scaledWidth, scaledHeight) }
                }
                (outWidth, outHeight) = best
            }
        }
        let pixelFormat: TJPF
        switch format {
        case .rgb24: pixelFormat = TJPF_RGB
        case .gray8: pixelFormat = TJPF_GRAY
        default: throw JPEGError(operation: "decode", detail: "cannot decode to \(format.rawValue)")
        }
        let channels = format == .rgb24 ? 3 : 1
        var pixels = [UInt8](repeating: 0, count: outWidth * outHeight * channels)
        let status = jpeg.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                tjDecompress2(decoder, source.baseAddress, UInt(source.count), target.baseAddress,
                              Int32(outWidth), Int32(outWidth * channels), Int32(outHeight),
                              Int32(pixelFormat.rawValue), TJFLAG_FASTDCT)
            }
        }
        // TJERR_WARNING: the data was damaged but a picture came out (e.g. a truncated frame).
        if status != 0, tjGetErrorCode(decoder) != Int32(TJERR_WARNING.rawValue) {
            throw error("tjDecompress2", decoder)
        }
        return Frame(width: outWidth, height: outHeight, format: format, bytes: pixels)
    }

    /// Encodes an RGB or gray frame as JPEG at `quality` (1-100).
    public func encode(_ frame: Frame, quality: Int = 90) throws -> [UInt8] {
        let pixelFormat: TJPF
        let subsampling: TJSAMP
        switch frame.format {
        case .rgb24: (pixelFormat, subsampling) = (TJPF_RGB, TJSAMP_420)
        case .gray8: (pixelFormat, subsampling) = (TJPF_GRAY, TJSAMP_GRAY)
        default: throw JPEGError(operation: "encode", detail: "cannot encode \(frame.format.rawValue)")
        }
        guard frame.isWellFormed else { throw JPEGError(operation: "encode", detail: "frame bytes do not match its size") }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = frame.bytes.withUnsafeBufferPointer { source in
            tjCompress2(encoder, source.baseAddress, Int32(frame.width), Int32(frame.bytesPerRow), Int32(frame.height),
                        Int32(pixelFormat.rawValue), &output, &size, Int32(subsampling.rawValue), Int32(min(100, max(1, quality))), TJFLAG_FASTDCT)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else { throw error("tjCompress2", encoder) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    private func error(_ operation: String, _ handle: tjhandle) -> JPEGError {
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        return JPEGError(operation: operation, detail: message)
    }
}
