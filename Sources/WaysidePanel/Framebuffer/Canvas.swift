import CPanelLinux
import WaysideCore

/// An RGB picture in memory, 0x00RRGGBB per pixel: what the screen draws into before it is
/// copied to the framebuffer, and what a screenshot encodes.
public struct Canvas: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt32]

    public init(width: Int, height: Int, fill: UInt32 = 0xFFFFFF) {
        self.width = max(1, width)
        self.height = max(1, height)
        self.pixels = [UInt32](repeating: fill, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> UInt32 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Fills `rect` (clipped to the canvas) with `color`.
    public mutating func fill(_ rect: PixelRect, _ color: UInt32) {
        let x0 = max(0, rect.x), y0 = max(0, rect.y)
        let x1 = min(width, rect.x + rect.width), y1 = min(height, rect.y + rect.height)
        guard x0 < x1, y0 < y1 else { return }
        pixels.withUnsafeMutableBufferPointer { buffer in
            for y in y0..<y1 {
                let row = y * width
                for x in x0..<x1 { buffer[row + x] = color }
            }
        }
    }

    /// The outline of `rect`, `thickness` pixels wide, inside the rectangle.
    public mutating func stroke(_ rect: PixelRect, _ color: UInt32, thickness: Int) {
        fill(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: thickness), color)
        fill(PixelRect(x: rect.x, y: rect.y + rect.height - thickness, width: rect.width, height: thickness), color)
        fill(PixelRect(x: rect.x, y: rect.y, width: thickness, height: rect.height), color)
        fill(PixelRect(x: rect.x + rect.width - thickness, y: rect.y, width: thickness, height: rect.height), color)
    }

    /// Blends an 8-bit coverage mask (a rendered glyph) in `color` with its top-left at (x, y).
    mutating func blend(mask: [UInt8], maskWidth: Int, maskHeight: Int, x: Int, y: Int, color: UInt32) {
        let fr = (color >> 16) & 0xFF, fg = (color >> 8) & 0xFF, fb = color & 0xFF
        let width = self.width, height = self.height
        pixels.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<maskHeight {
                let py = y + row
                guard py >= 0, py < height else { continue }
                for column in 0..<maskWidth {
                    let px = x + column
                    guard px >= 0, px < width else { continue }
                    let a = UInt32(mask[row * maskWidth + column])
                    if a == 0 { continue }
                    let index = py * width + px
                    if a == 255 { buffer[index] = color; continue }
                    let bg = buffer[index]
                    let r = (fr * a + ((bg >> 16) & 0xFF) * (255 - a)) / 255
                    let g = (fg * a + ((bg >> 8) & 0xFF) * (255 - a)) / 255
                    let b = (fb * a + (bg & 0xFF) * (255 - a)) / 255
                    buffer[index] = (r << 16) | (g << 8) | b
                }
            }
        }
    }

    /// A straight line `thickness` pixels wide (square brush), for the guidance arrow.
    public mutating func line(from start: (x: Int, y: Int), to end: (x: Int, y: Int), _ color: UInt32, thickness: Int) {
        let steps = max(abs(end.x - start.x), abs(end.y - start.y), 1)
        for step in 0...steps {
            let x = start.x + (end.x - start.x) * step / steps
            let y = start.y + (end.y - start.y) * step / steps
            fill(PixelRect(x: x - thickness / 2, y: y - thickness / 2, width: thickness, height: thickness), color)
        }
    }

    /// The share of pixels in `rect` that differ from `background`: how much ink is there.
    public func inkCoverage(in rect: PixelRect, background: UInt32 = 0xFFFFFF) -> Double {
        let x0 = max(0, rect.x), y0 = max(0, rect.y)
        let x1 = min(width, rect.x + rect.width), y1 = min(height, rect.y + rect.height)
        guard x0 < x1, y0 < y1 else { return 0 }
        var ink = 0
        for y in y0..<y1 { for x in x0..<x1 where self[x, y] != background { ink += 1 } }
        return Double(ink) / Double((x1 - x0) * (y1 - y0))
    }

    /// The leftmost and rightmost columns in rows `rows` holding a pixel that is not `background`.
    public func inkExtent(rows: Range<Int>, background: UInt32 = 0xFFFFFF) -> ClosedRange<Int>? {
        var low = Int.max, high = Int.min
        for y in rows.clamped(to: 0..<height) {
            for x in 0..<width where self[x, y] != background {
                low = min(low, x)
                high = max(high, x)
            }
        }
        return low <= high ? low...high : nil
    }
}

/// PNG (ISO/IEC 15948) of a ``Canvas``: 8-bit RGB, filter 0 on every row, one IDAT
/// compressed with zlib. Small on purpose: screenshots for tests and the docs, not a codec.
public enum PNGEncoder {
    public static func encode(_ canvas: Canvas) -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity((canvas.width * 3 + 1) * canvas.height)
        for y in 0..<canvas.height {
            raw.append(0)
            for x in 0..<canvas.width {
                let p = canvas[x, y]
                raw.append(UInt8((p >> 16) & 0xFF))
                raw.append(UInt8((p >> 8) & 0xFF))
                raw.append(UInt8(p & 0xFF))
            }
        }
        var bound = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(bound))
        let status = compressed.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &bound, input.baseAddress, uLong(raw.count), 6)
            }
        }
        // compress2 fails only when out of memory or the bound is wrong; neither is recoverable
        // here, and an empty screenshot is a clear failure for the caller's checks.
        guard status == Z_OK else { return [] }
        compressed.removeSubrange(Int(bound)...)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(canvas.width)) + bigEndian(UInt32(canvas.height))
        header += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
        png += chunk("IHDR", header)
        png += chunk("IDAT", compressed)
        png += chunk("IEND", [])
        return png
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        let crc = typed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc)
    }
}
