import WaysideCore

/// YUYV (packed 4:2:2, Y0 U Y1 V) to luma and to RGB.
///
/// The RGB conversion is ITU-R BT.601 with limited ("studio") range, Y 16-235 and
/// Cb/Cr 16-240, which is what V4L2 webcams deliver in YUYV (V4L2_YCBCR_ENC_601,
/// V4L2_QUANTIZATION_LIM_RANGE). Fixed point in 1/256, rounded, as libyuv and
/// libv4lconvert do:
///
///     R = (298 (Y-16)             + 409 (V-128) + 128) >> 8
///     G = (298 (Y-16) - 100 (U-128) - 208 (V-128) + 128) >> 8
///     B = (298 (Y-16) + 516 (U-128)               + 128) >> 8
///
/// The bulk of each row goes 16 pixels at a time through SIMD vectors; the remainder
/// through the same arithmetic one pair at a time (``rgbScalar(_:)`` is the reference).
public enum YUYV {
    /// The luma plane of a YUYV frame as a gray8 frame (timestamp and sequence kept).
    public static func luma(_ frame: Frame) -> Frame? {
        guard frame.format == .yuyv, frame.isWellFormed else { return nil }
        let width = frame.width, height = frame.height, stride = frame.bytesPerRow
        var out = [UInt8](repeating: 0, count: width * height)
        frame.bytes.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                for y in 0..<height {
                    let row = src + y * stride
                    let outRow = dst + y * width
                    var x = 0
                    while x + 16 <= width {
                        let pixels = row.loadUnaligned(fromByteOffset: 2 * x, as: SIMD32<UInt8>.self)
                        outRow.storeBytes(of: pixels.evenHalf, toByteOffset: x, as: SIMD16<UInt8>.self)
                        x += 16
                    }
                    while x < width {
                        outRow.storeBytes(of: row.load(fromByteOffset: 2 * x, as: UInt8.self), toByteOffset: x, as: UInt8.self)
                        x += 1
                    }
                }
            }
        }
        return Frame(width: width, height: height, format: .gray8, bytes: out, sequence: frame.sequence, timestamp: frame.timestamp)
    }

    /// A YUYV frame as RGB24, vectorised.
    public static func rgb(_ frame: Frame) -> Frame? {
        convert(frame, vectorised: true)
    }

    /// The same conversion as ``rgb(_:)``, one pixel pair at a time: the reference the
    /// vectorised path is tested against, and the benchmark's baseline.
    public static func rgbScalar(_ frame: Frame) -> Frame? {
        convert(frame, vectorised: false)
    }

    private static func convert(_ frame: Frame, vectorised: Bool) -> Frame? {
        guard frame.format == .yuyv, frame.isWellFormed else { return nil }
        let width = frame.width, height = frame.height, stride = frame.bytesPerRow
        var out = [UInt8](repeating: 0, count: width * height * 3)
        frame.bytes.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                for y in 0..<height {
                    let row = src + y * stride
                    let outRow = dst + y * width * 3
                    var x = 0
                    if vectorised {
                        while x + 16 <= width {
                            convert16(row + 2 * x, outRow + 3 * x)
                            x += 16
                        }
                    }
                    while x + 2 <= width {
                        convertPair(row + 2 * x, outRow + 3 * x, count: 2)
                        x += 2
                    }
                    if x < width { convertPair(row + 2 * x, outRow + 3 * x, count: 1) }
                }
            }
        }
        return Frame(width: width, height: height, format: .rgb24, bytes: out, sequence: frame.sequence, timestamp: frame.timestamp)
    }

    @inline(__always)
    private static func clamp(_ value: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(max(value, 0), 255))
    }

    /// One Y0 U Y1 V group (or its first pixel, at the odd end of a row).
    @inline(__always)
    private static func convertPair(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, count: Int) {
        let u = Int32(src.load(fromByteOffset: 1, as: UInt8.self)) - 128
        let v = Int32(src.load(fromByteOffset: 3, as: UInt8.self)) - 128
        for i in 0..<count {
            let c = 298 * (Int32(src.load(fromByteOffset: 2 * i, as: UInt8.self)) - 16)
            dst.storeBytes(of: clamp((c + 409 * v + 128) >> 8), toByteOffset: 3 * i, as: UInt8.self)
            dst.storeBytes(of: clamp((c - 100 * u - 208 * v + 128) >> 8), toByteOffset: 3 * i + 1, as: UInt8.self)
            dst.storeBytes(of: clamp((c + 516 * u + 128) >> 8), toByteOffset: 3 * i + 2, as: UInt8.self)
        }
    }

    /// 16 pixels (8 groups, 32 bytes in, 48 out).
    ///
    /// Each Y0 U Y1 V group is one little-endian 32-bit lane, so shifts and masks split the
    /// channels in registers; lane-by-lane shuffles (`evenHalf`) and building the output in
    /// vectors byte by byte made an earlier version 8x slower than the scalar reference.
    @inline(__always)
    private static func convert16(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer) {
        let groups = unsafeBitCast(src.loadUnaligned(as: SIMD32<UInt8>.self), to: SIMD8<UInt32>.self)
        let mask = SIMD8<UInt32>(repeating: 0xFF)
        let y0 = 298 &* (SIMD8<Int32>(truncatingIfNeeded: groups & mask) &- 16)
        let u = SIMD8<Int32>(truncatingIfNeeded: (groups &>> 8) & mask) &- 128
        let y1 = 298 &* (SIMD8<Int32>(truncatingIfNeeded: (groups &>> 16) & mask) &- 16)
        let v = SIMD8<Int32>(truncatingIfNeeded: groups &>> 24) &- 128
        let rOffset = 409 &* v &+ 128
        let gOffset = 128 &- 100 &* u &- 208 &* v
        let bOffset = 516 &* u &+ 128
        let low = SIMD8<Int32>(repeating: 0), high = SIMD8<Int32>(repeating: 255)
        @inline(__always) func channel(_ value: SIMD8<Int32>) -> SIMD8<Int32> {
            (value &>> 8).clamped(lowerBound: low, upperBound: high)
        }
        let r0 = channel(y0 &+ rOffset), g0 = channel(y0 &+ gOffset), b0 = channel(y0 &+ bOffset)
        let r1 = channel(y1 &+ rOffset), g1 = channel(y1 &+ gOffset), b1 = channel(y1 &+ bOffset)
        let out = dst.assumingMemoryBound(to: UInt8.self)
        for i in 0..<8 {
            out[6 * i] = UInt8(truncatingIfNeeded: r0[i])
            out[6 * i + 1] = UInt8(truncatingIfNeeded: g0[i])
            out[6 * i + 2] = UInt8(truncatingIfNeeded: b0[i])
            out[6 * i + 3] = UInt8(truncatingIfNeeded: r1[i])
            out[6 * i + 4] = UInt8(truncatingIfNeeded: g1[i])
            out[6 * i + 5] = UInt8(truncatingIfNeeded: b1[i])
        }
    }
}

