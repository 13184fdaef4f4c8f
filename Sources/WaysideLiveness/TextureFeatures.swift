import Foundation
import WaysideCore

/// An 8-bit grey image: what the texture features read.
public struct LumaImage: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// `width * height` bytes, row after row.
    public var pixels: [UInt8]

    /// An image; throws when the byte count does not match the size.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height else {
            throw LivenessError(code: .badInput, operation: "luma image",
                                detail: "\(width)x\(height) needs \(max(0, width * height)) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A square of side `max(box) * scale` centred on the box, resampled
    /// bilinearly to `size` x `size` (edges repeated where it leaves the image).
    public func crop(around box: PixelRect, scale: Double, size: Int) throws -> [Float] {
        guard box.width > 0, box.height > 0, scale > 0, size >= 8 else {
            throw LivenessError(code: .badInput, operation: "face crop",
                                detail: "box \(box.width)x\(box.height), scale \(scale), size \(size)")
        }
        let side = Double(max(box.width, box.height)) * scale
        let x0 = box.centerX - side / 2, y0 = box.centerY - side / 2
        let step = side / Double(size)
        var out = [Float](repeating: 0, count: size * size)
        pixels.withUnsafeBufferPointer { p in
            for j in 0..<size {
                let sy = min(max(y0 + (Double(j) + 0.5) * step - 0.5, 0), Double(height - 1))
                let iy = min(Int(sy), height - 2 < 0 ? 0 : height - 2), fy = Float(sy - Double(iy))
                let iy1 = min(iy + 1, height - 1)
                for i in 0..<size {
                    let sx = min(max(x0 + (Double(i) + 0.5) * step - 0.5, 0), Double(width - 1))
                    let ix = min(Int(sx), width - 2 < 0 ? 0 : width - 2), fx = Float(sx - Double(ix))
                    let ix1 = min(ix + 1, width - 1)
                    let a = Float(p[iy * width + ix]), b = Float(p[iy * width + ix1])
                    let c = Float(p[iy1 * width + ix]), d = Float(p[iy1 * width + ix1])
                    out[j * size + i] = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
                }
            }
        }
        return out
    }
}

/// Texture and frequency cues of a printed or replayed face, from the face
/// crop's luma only.
///
/// - Uniform local binary patterns (Ojala, Pietikainen and Maenpaa, TPAMI
///   2002), radius 1 on a 3x3 grid of cells and radius 2 over the whole
///   crop: paper grain, print dots and flattened shading change the
///   micro-texture (Maatta, Hadid and Pietikainen, IJCB 2011).
/// - Radial bands of the Fourier power spectrum: a recaptured print has lost
///   high frequencies and a screen adds moire peaks (Li et al., SPIE 2004).
///
/// Colour is left out on purpose: chroma statistics separate prints from
/// skin partly by skin tone, which would make false rejects depend on it.
public enum TextureFeatures {
    /// Changes whenever the features do: names caches and is stored with the weights.
    public static let version = "lbp8u2-g3r1-r2-fft128b24-v1"
    /// Side of the LBP crop.
    public static let lbpSize = 64
    /// Side of the spectrum crop (a power of two).
    public static let spectrumSize = 128
    /// Radial bands of the spectrum.
    public static let spectrumBands = 24
    /// Crop side relative to the detector's box.
    public static let cropScale = 1.0
    /// Length of the feature vector.
    public static let count = 9 * 59 + 59 + spectrumBands

    /// The feature vector of the face in `box`.
    public static func extract(from image: LumaImage, box: PixelRect) throws -> [Double] {
        let small = try image.crop(around: box, scale: cropScale, size: lbpSize)
        let large = try image.crop(around: box, scale: cropScale, size: spectrumSize)
        var features: [Double] = []
        features.reserveCapacity(count)
        let cell = lbpSize / 3
        for cy in 0..<3 {
            for cx in 0..<3 {
                features += lbpHistogram(small, size: lbpSize, radius: 1,
                                         region: (cx * cell, cy * cell, cell, cell))
            }
        }
        features += lbpHistogram(small, size: lbpSize, radius: 2, region: (0, 0, lbpSize, lbpSize))
        features += spectrumBandsOf(large, size: spectrumSize, bands: spectrumBands)
        return features
    }

    /// The 58 uniform patterns of 8 bits (at most two 0/1 transitions around
    /// the circle) each get a bin; every other pattern shares bin 58.
    static let uniformBin: [Int] = {
        var table = [Int](repeating: 58, count: 256)
        var next = 0
        for code in 0..<256 {
            var transitions = 0
            for bit in 0..<8 where ((code >> bit) & 1) != ((code >> ((bit + 1) % 8)) & 1) { transitions += 1 }
            if transitions <= 2 { table[code] = next; next += 1 }
        }
        return table
    }()

    /// A normalised 59-bin uniform LBP histogram of 8 neighbours at `radius`
    /// (square sampling) over `region` of a `size` x `size` crop.
    static func lbpHistogram(_ crop: [Float], size: Int, radius r: Int,
                             region: (x: Int, y: Int, w: Int, h: Int)) -> [Double] {
        var histogram = [Double](repeating: 0, count: 59)
        let offsets = [(-r, -r), (0, -r), (r, -r), (r, 0), (r, r), (0, r), (-r, r), (-r, 0)]
        var total = 0.0
        for y in max(region.y, r)..<min(region.y + region.h, size - r) {
            for x in max(region.x, r)..<min(region.x + region.w, size - r) {
                let centre = crop[y * size + x]
                var code = 0
                for (bit, (dx, dy)) in offsets.enumerated() where crop[(y + dy) * size + x + dx] >= centre {
                    code |= 1 << bit
                }
                histogram[uniformBin[code]] += 1
                total += 1
            }
        }
        return total > 0 ? histogram.map { $0 / total } : histogram
    }

    /// Log share of the (Hann-windowed, mean-removed) power spectrum in each
    /// of `bands` equal-width rings from the centre to the Nyquist radius.
    static func spectrumBandsOf(_ crop: [Float], size n: Int, bands: Int) -> [Double] {
        let mean = crop.reduce(0, +) / Float(crop.count)
        var re = [Double](repeating: 0, count: n * n), im = re
        for y in 0..<n {
            let wy = 0.5 - 0.5 * cos(2 * .pi * Double(y) / Double(n - 1))
            for x in 0..<n {
                let wx = 0.5 - 0.5 * cos(2 * .pi * Double(x) / Double(n - 1))
                re[y * n + x] = Double(crop[y * n + x] - mean) * wx * wy
            }
        }
        FFT.transform2D(&re, &im, size: n)
        var energy = [Double](repeating: 0, count: bands)
        let nyquist = Double(n / 2)
        for v in 0..<n {
            let fy = Double(v <= n / 2 ? v : v - n)
            for u in 0..<n {
                let fx = Double(u <= n / 2 ? u : u - n)
                let radius = (fx * fx + fy * fy).squareRoot()
                guard radius > 0, radius <= nyquist else { continue }
                let band = min(bands - 1, Int(radius / nyquist * Double(bands)))
                energy[band] += re[v * n + u] * re[v * n + u] + im[v * n + u] * im[v * n + u]
            }
        }
        let total = energy.reduce(0, +)
        // log10 of the share, floored so a flat crop gives finite values.
        return energy.map { log10(max($0 / max(total, 1e-12), 1e-12)) }
    }
}

/// An in-place radix-2 fast Fourier transform (Cooley-Tukey).
enum FFT {
    /// Transforms rows then columns of an `n` x `n` complex array; `n` must be a power of two.
    static func transform2D(_ re: inout [Double], _ im: inout [Double], size n: Int) {
        var rowRe = [Double](repeating: 0, count: n), rowIm = rowRe
        for y in 0..<n {
            for x in 0..<n { rowRe[x] = re[y * n + x]; rowIm[x] = im[y * n + x] }
            transform(&rowRe, &rowIm)
            for x in 0..<n { re[y * n + x] = rowRe[x]; im[y * n + x] = rowIm[x] }
        }
        for x in 0..<n {
            for y in 0..<n { rowRe[y] = re[y * n + x]; rowIm[y] = im[y * n + x] }
            transform(&rowRe, &rowIm)
            for y in 0..<n { re[y * n + x] = rowRe[y]; im[y * n + x] = rowIm[y] }
        }
    }

    /// One 1-D transform of a power-of-two length.
    static func transform(_ re: inout [Double], _ im: inout [Double]) {
        let n = re.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { re.swapAt(i, j); im.swapAt(i, j) }
        }
        var length = 2
        while length <= n {
            let angle = -2 * Double.pi / Double(length)
            for start in stride(from: 0, to: n, by: length) {
                for k in 0..<(length / 2) {
                    let wr = cos(angle * Double(k)), wi = sin(angle * Double(k))
                    let a = start + k, b = a + length / 2
                    let tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                }
            }
            length <<= 1
        }
    }
}
