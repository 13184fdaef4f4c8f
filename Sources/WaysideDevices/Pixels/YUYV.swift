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
    @inline(__always)
    private static func convert16(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer) {
        let bytes = src.loadUnaligned(as: SIMD32<UInt8>.self)
        let ys = bytes.evenHalf          // Y0 Y1 Y0 Y1 ...
        let chroma = bytes.oddHalf       // U V U V ...
        let y0 = 298 &* (SIMD8<Int32>(truncatingIfNeeded: ys.evenHalf) &- 16)
        let y1 = 298 &* (SIMD8<Int32>(truncatingIfNeeded: ys.oddHalf) &- 16)
        let u = SIMD8<Int32>(truncatingIfNeeded: chroma.evenHalf) &- 128
        let v = SIMD8<Int32>(truncatingIfNeeded: chroma.oddHalf) &- 128
        let rOffset = 409 &* v &+ 128
        let gOffset = 128 &- 100 &* u &- 208 &* v
        let bOffset = 516 &* u &+ 128
        let low = SIMD8<Int32>(repeating: 0), high = SIMD8<Int32>(repeating: 255)
        func pack(_ value: SIMD8<Int32>) -> SIMD8<UInt8> {
            SIMD8<UInt8>(truncatingIfNeeded: (value &>> 8).clamped(lowerBound: low, upperBound: high))
        }
        let r0 = pack(y0 &+ rOffset), g0 = pack(y0 &+ gOffset), b0 = pack(y0 &+ bOffset)
        let r1 = pack(y1 &+ rOffset), g1 = pack(y1 &+ gOffset), b1 = pack(y1 &+ bOffset)
        var out = SIMD48Bytes()
        for i in 0..<8 {
            out.store(6 * i, r0[i], g0[i], b0[i], r1[i], g1[i], b1[i])
        }
        out.write(to: dst)
    }
}

/// 48 output bytes gathered in registers and written with three 16-byte stores.
private struct SIMD48Bytes {
    var a = SIMD16<UInt8>(), b = SIMD16<UInt8>(), c = SIMD16<UInt8>()

    @inline(__always)
    mutating func store(_ offset: Int, _ v0: UInt8, _ v1: UInt8, _ v2: UInt8, _ v3: UInt8, _ v4: UInt8, _ v5: UInt8) {
        set(offset, v0); set(offset + 1, v1); set(offset + 2, v2)
        set(offset + 3, v3); set(offset + 4, v4); set(offset + 5, v5)
    }

    @inline(__always)
    mutating func set(_ index: Int, _ value: UInt8) {
        switch index >> 4 {
        case 0: a[index & 15] = value
        case 1: b[index & 15] = value
        default: c[index & 15] = value
        }
    }

    @inline(__always)
    func write(to dst: UnsafeMutableRawPointer) {
        dst.storeBytes(of: a, toByteOffset: 0, as: SIMD16<UInt8>.self)
        dst.storeBytes(of: b, toByteOffset: 16, as: SIMD16<UInt8>.self)
        dst.storeBytes(of: c, toByteOffset: 32, as: SIMD16<UInt8>.self)
    }
}
