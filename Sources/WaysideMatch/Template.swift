import Foundation
import WaysideCore

/// The engine and model version that made a template: templates are comparable only
/// when these are equal.
public struct TemplateModel: Sendable, Hashable, Codable, CustomStringConvertible {
    /// e.g. "dlib-resnet".
    public var engine: String
    /// e.g. "dlib_face_recognition_resnet_model_v1".
    public var version: String

    /// Makes a model identity.
    public init(engine: String, version: String) {
        self.engine = engine
        self.version = version
    }

    /// "dlib-resnet/dlib_face_recognition_resnet_model_v1".
    public var description: String { "\(engine)/\(version)" }

    /// Throws ``MatchError/Code/modelMismatch`` unless `other` is the same model.
    public func requireSame(as other: TemplateModel, operation: String) throws {
        guard self == other else {
            throw MatchError(code: .modelMismatch, operation: operation,
                             detail: "templates from \(self) cannot be compared with templates from \(other); "
                                 + "re-enrol with one engine or rebuild the gallery with the station's model")
        }
    }
}

/// A face template ready for comparison: the descriptor scaled to unit length (so a dot
/// product is the cosine similarity) plus its int8 form for fast 1:N scans.
///
/// The int8 form keeps one scale per template (the largest magnitude over 127), so the
/// rounding error is about 0.4% of that template's largest component rather than of a
/// global range: a gallery mixing well- and poorly-lit captures loses nothing to the other.
public struct MatchTemplate: Sendable, Equatable {
    /// Length of every descriptor this build compares (dlib's ResNet: 128).
    public static let dimension = 128

    /// Who made it.
    public var model: TemplateModel
    /// Unit-length float32 descriptor, ``dimension`` values (or a back-end's prepared form,
    /// see ``init(model:prepared:)``).
    public private(set) var unit: [Float]
    /// The same descriptor as int8, `unit[i] ~= quantized[i] * scale`.
    public private(set) var quantized: [Int8]
    /// The int8 step size.
    public private(set) var scale: Float
    /// The descriptor as 7-bit codes (-63...63), `unit[i] ~= probeCodes[i] * probeScale`: the
    /// form a probe takes in an int8 scan. With one factor below 64, two 16-value steps of
    /// products still fit an Int16 lane (2 x 2 x 127 x 63 = 32004), which halves the
    /// widening work per gallery row. The gallery side keeps its full 8 bits.
    public private(set) var probeCodes: [Int8]
    /// The 7-bit step size.
    public private(set) var probeScale: Float

    /// A template from an engine's descriptor: checks the length and values, scales to
    /// unit length and quantises.
    public init(model: TemplateModel, descriptor: [Float]) throws {
        guard descriptor.count == Self.dimension else {
            throw MatchError(code: .badTemplate, operation: "make template",
                             detail: "descriptor has \(descriptor.count) values, this matcher compares \(Self.dimension)")
        }
        guard descriptor.allSatisfy(\.isFinite) else {
            throw MatchError(code: .badTemplate, operation: "make template", detail: "descriptor holds NaN or infinity")
        }
        var squares: Float = 0
        for v in descriptor { squares += v * v }
        let norm = squares.squareRoot()
        guard norm > 1e-12 else {
            throw MatchError(code: .badTemplate, operation: "make template", detail: "descriptor is all zeros")
        }
        self.model = model
        self.unit = descriptor.map { $0 / norm }
        (self.quantized, self.scale) = Self.quantize(unit, largestCode: 127)
        (self.probeCodes, self.probeScale) = Self.quantize(unit, largestCode: 63)
    }

    /// A template whose values a ``ComparisonBackend`` has already prepared (a projected,
    /// offset-carrying form whose length is not 1): kept as given, only checked and
    /// quantised, so a dot product with another prepared form is the back-end's score.
    public init(model: TemplateModel, prepared values: [Float]) throws {
        guard values.count == Self.dimension else {
            throw MatchError(code: .badTemplate, operation: "make template",
                             detail: "prepared form has \(values.count) values, this matcher compares \(Self.dimension)")
        }
        guard values.allSatisfy(\.isFinite), values.contains(where: { $0 != 0 }) else {
            throw MatchError(code: .badTemplate, operation: "make template", detail: "prepared form holds NaN, infinity or only zeros")
        }
        self.model = model
        self.unit = values
        (self.quantized, self.scale) = Self.quantize(unit, largestCode: 127)
        (self.probeCodes, self.probeScale) = Self.quantize(unit, largestCode: 63)
    }

    /// A template from the domain type the flow carries.
    public init(_ template: FaceTemplate) throws {
        try self.init(model: TemplateModel(engine: template.engine, version: template.modelVersion), descriptor: template.values)
    }

    /// Symmetric per-vector quantisation: the largest magnitude maps to `largestCode`.
    static func quantize(_ unit: [Float], largestCode: Int) -> ([Int8], Float) {
        var largest: Float = 0
        for v in unit { largest = max(largest, abs(v)) }
        let scale = largest / Float(largestCode)
        let values = unit.map { Int8(clamping: max(-largestCode, min(largestCode, Int(($0 / scale).rounded())))) }
        return (values, scale)
    }

    /// Cosine similarity in [-1, 1]: higher is more alike. Refuses another model's template.
    public func similarity(to other: MatchTemplate) throws -> Float {
        try model.requireSame(as: other.model, operation: "compare templates")
        return unit.withUnsafeBufferPointer { a in
            other.unit.withUnsafeBufferPointer { b in Kernels.dotFloat(a.baseAddress!, b.baseAddress!) }
        }
    }
}

// MARK: - Serialised form

extension MatchTemplate {
    /// Which values a serialised template carries.
    public enum Encoding: UInt8, Sendable {
        /// 128 little-endian float32 (516 bytes with the header of dlib's names).
        case float32 = 1
        /// A float32 scale and 128 int8 (190 bytes with dlib's names against 570; scores within ~0.005 of float32).
        case int8 = 2
    }

    /// Serialised template format, version 1 (all integers little-endian):
    ///
    ///     "WTPL"  magic, 4 bytes
    ///     u8      format version (1)
    ///     u8      encoding (1 float32, 2 int8)
    ///     u16     dimension (128)
    ///     u8 n, n bytes UTF-8 engine
    ///     u8 n, n bytes UTF-8 model version
    ///     float32: dimension x f32 | int8: f32 scale, dimension x i8
    public static let magic: [UInt8] = Array("WTPL".utf8)
    /// The only format version this build writes and reads.
    public static let formatVersion: UInt8 = 1

    /// The template in the versioned binary form.
    public func serialized(as encoding: Encoding = .float32) -> Data {
        var out = Data(Self.magic)
        out.append(Self.formatVersion)
        out.append(encoding.rawValue)
        out.appendLittleEndian(UInt16(Self.dimension))
        for text in [model.engine, model.version] {
            let bytes = Array(text.utf8.prefix(255))
            out.append(UInt8(bytes.count))
            out.append(contentsOf: bytes)
        }
        switch encoding {
        case .float32:
            for v in unit { out.appendLittleEndian(v.bitPattern) }
        case .int8:
            out.appendLittleEndian(scale.bitPattern)
            out.append(contentsOf: quantized.map { UInt8(bitPattern: $0) })
        }
        return out
    }

    /// Reads the binary form; a wrong magic, version, length or value throws
    /// ``MatchError/Code/badFormat`` or ``MatchError/Code/badTemplate``, never traps.
    public init(serialized data: Data) throws {
        var reader = ByteReader(bytes: [UInt8](data), operation: "read template")
        guard try reader.bytes(4) == Self.magic else {
            throw MatchError(code: .badFormat, operation: "read template", detail: "not a Wayside template (magic is not WTPL)")
        }
        let version = try reader.u8()
        guard version == Self.formatVersion else {
            throw MatchError(code: .badFormat, operation: "read template",
                             detail: "template format version \(version); this build reads version \(Self.formatVersion)")
        }
        guard let encoding = Encoding(rawValue: try reader.u8()) else {
            throw MatchError(code: .badFormat, operation: "read template", detail: "unknown value encoding")
        }
        let dimension = Int(try reader.u16())
        guard dimension == Self.dimension else {
            throw MatchError(code: .badTemplate, operation: "read template",
                             detail: "template has \(dimension) values, this matcher compares \(Self.dimension)")
        }
        let engine = try reader.string(Int(try reader.u8()))
        let version1 = try reader.string(Int(try reader.u8()))
        let model = TemplateModel(engine: engine, version: version1)
        switch encoding {
        case .float32:
            var values = [Float]()
            values.reserveCapacity(dimension)
            for _ in 0..<dimension { values.append(Float(bitPattern: try reader.u32())) }
            try self.init(model: model, descriptor: values)
        case .int8:
            let scale = Float(bitPattern: try reader.u32())
            guard scale.isFinite, scale > 0 else {
                throw MatchError(code: .badTemplate, operation: "read template", detail: "int8 scale is \(scale)")
            }
            let values = try reader.bytes(dimension).map { Float(Int8(bitPattern: $0)) * scale }
            try self.init(model: model, descriptor: values)
        }
        guard reader.remaining == 0 else {
            throw MatchError(code: .badFormat, operation: "read template", detail: "\(reader.remaining) unexpected bytes after the values")
        }
    }
}

extension Data {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// Bounds-checked little-endian reads: running off the end throws instead of trapping.
struct ByteReader {
    let bytes: [UInt8]
    let operation: String
    var offset = 0

    var remaining: Int { bytes.count - offset }

    mutating func bytes(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= remaining else {
            throw MatchError(code: .truncated, operation: operation,
                             detail: "needs \(n) more bytes at offset \(offset), only \(remaining) left")
        }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    mutating func u8() throws -> UInt8 { try bytes(1)[0] }
    mutating func u16() throws -> UInt16 { try bytes(2).reversed().reduce(0) { $0 << 8 | UInt16($1) } }
    mutating func u32() throws -> UInt32 { try bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func string(_ n: Int) throws -> String {
        guard let text = String(bytes: try bytes(n), encoding: .utf8) else {
            throw MatchError(code: .badFormat, operation: operation, detail: "a name is not valid UTF-8")
        }
        return text
    }
}
