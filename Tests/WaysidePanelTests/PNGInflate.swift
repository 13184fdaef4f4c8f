import CPanelLinux

struct InflateError: Error {}

/// The IDAT data of a one-IDAT PNG, inflated with zlib: to check the encoder's pixels.
func inflatePNG(_ png: [UInt8]) throws -> [UInt8] {
    var offset = 8
    while offset + 8 <= png.count {
        let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
        let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
        if type == "IDAT" {
            let data = Array(png[(offset + 8)..<(offset + 8 + length)])
            var out = [UInt8](repeating: 0, count: 1 << 20)
            var outLength = uLong(out.count)
            let status = out.withUnsafeMutableBufferPointer { o in
                data.withUnsafeBufferPointer { i in uncompress(o.baseAddress, &outLength, i.baseAddress, uLong(data.count)) }
            }
            guard status == Z_OK else { throw InflateError() }
            return Array(out.prefix(Int(outLength)))
        }
        offset += 12 + length
    }
    throw InflateError()
}
