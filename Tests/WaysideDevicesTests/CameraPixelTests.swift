import Testing
import WaysideCore
import WaysideDevices

@Suite struct CameraPixels {
    /// One 2-pixel YUYV group repeated to `width` x 1.
    func row(_ y0: UInt8, _ u: UInt8, _ y1: UInt8, _ v: UInt8, width: Int = 2) -> Frame {
        var bytes: [UInt8] = []
        for _ in 0..<(width / 2) { bytes += [y0, u, y1, v] }
        return Frame(width: width, height: 1, format: .yuyv, bytes: bytes)
    }

    /// BT.601 limited-range colour bars (ITU-R BT.601 / SMPTE EG 1 values, 8-bit).
    @Test(arguments: [
        ((UInt8(16), UInt8(128), UInt8(128)), (0, 0, 0)),          // black
        ((235, 128, 128), (255, 255, 255)),                         // white
        ((81, 90, 240), (255, 0, 0)),                               // red
        ((145, 54, 34), (0, 255, 0)),                               // green
        ((41, 240, 110), (0, 0, 255)),                              // blue
        ((210, 16, 146), (255, 255, 0)),                            // yellow
        ((126, 128, 128), (128, 128, 128)),                         // mid grey
    ])
    func colourBarsMatchBT601(yuv: (UInt8, UInt8, UInt8), rgb: (Int, Int, Int)) throws {
        for width in [2, 32] {  // the scalar tail and the SIMD body
            let frame = try #require(YUYV.rgb(row(yuv.0, yuv.1, yuv.0, yuv.2, width: width)))
            for pixel in 0..<width {
                let got = (Int(frame.bytes[3 * pixel]), Int(frame.bytes[3 * pixel + 1]), Int(frame.bytes[3 * pixel + 2]))
                #expect(abs(got.0 - rgb.0) <= 2 && abs(got.1 - rgb.1) <= 2 && abs(got.2 - rgb.2) <= 2,
                        "YUV \(yuv) -> \(got), expected \(rgb) (width \(width), pixel \(pixel))")
            }
        }
    }

    @Test func outOfRangeValuesClampInsteadOfWrapping() throws {
        // Worked by hand from the formula: (255,125,255) and (184,0,237); all-zero gives (0,135,0).
        for width in [2, 32] {
            let frame = try #require(YUYV.rgb(row(255, 255, 0, 255, width: width)))
            #expect(Array(frame.bytes[0..<6]) == [255, 125, 255, 184, 0, 237])
            let dark = try #require(YUYV.rgb(row(0, 0, 0, 0, width: width)))
            #expect(Array(dark.bytes[0..<3]) == [0, 135, 0])
        }
    }

    @Test func vectorisedEqualsScalarOnAwkwardSizesAndPaddedRows() throws {
        var seed: UInt32 = 12345
        func next() -> UInt8 {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: seed >> 24)
        }
        for (width, height, padding) in [(2, 1, 0), (18, 3, 4), (33, 5, 6), (640, 4, 0), (97, 7, 2)] {
            let stride = (width + 1) / 2 * 4 + padding
            let bytes = (0..<(stride * height)).map { _ in next() }
            let frame = Frame(width: width, height: height, format: .yuyv, bytesPerRow: stride, bytes: bytes)
            let fast = try #require(YUYV.rgb(frame))
            let slow = try #require(YUYV.rgbScalar(frame))
            #expect(fast.bytes == slow.bytes, "\(width)x\(height) stride \(stride)")
            #expect(fast.bytes.count == width * height * 3)

            let luma = try #require(YUYV.luma(frame))
            var expected: [UInt8] = []
            for y in 0..<height { for x in 0..<width { expected.append(bytes[y * stride + 2 * x]) } }
            #expect(luma.bytes == expected, "luma of \(width)x\(height)")
            #expect(luma.format == .gray8 && luma.bytesPerRow == width)
        }
    }

    @Test func lumaKeepsSequenceAndTimestamp() throws {
        let frame = Frame(width: 2, height: 1, format: .yuyv, bytes: [10, 128, 20, 128], sequence: 42, timestamp: .seconds(3))
        let luma = try #require(YUYV.luma(frame))
        #expect(luma.bytes == [10, 20] && luma.sequence == 42 && luma.timestamp == .seconds(3))
    }

    @Test func notYUYVOrShortIsRefused() {
        #expect(YUYV.rgb(Frame(width: 2, height: 1, format: .gray8, bytes: [1, 2])) == nil)
        #expect(YUYV.luma(Frame(width: 4, height: 2, format: .yuyv, bytes: [1, 2, 3])) == nil)
    }

    @Test func jpegMarkersSpotTruncation() throws {
        let codec = try JPEGCodec()
        let jpeg = try codec.encode(Frame(width: 16, height: 16, format: .gray8, bytes: [UInt8](repeating: 7, count: 256)))
        #expect(jpeg.withUnsafeBytes { JPEGMarkers.isComplete($0) })
        #expect(!Array(jpeg.dropLast(2)).withUnsafeBytes { JPEGMarkers.isComplete($0) })
        #expect((jpeg + [UInt8](repeating: 0, count: 100)).withUnsafeBytes { JPEGMarkers.isComplete($0) }, "padding after EOI is fine")
        #expect(![UInt8](repeating: 0, count: 100).withUnsafeBytes { JPEGMarkers.isComplete($0) })
    }
}
