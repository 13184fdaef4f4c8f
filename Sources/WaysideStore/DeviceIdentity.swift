import Crypto
import Foundation
import WaysideWire

/// The device's own keys: an Ed25519 key that signs every request and an X25519 key that
/// port galleries are sealed to. Made once at enrolment and kept in the state directory in
/// one file of mode 0600 inside a directory of mode 0700; a key file that others can read is
/// refused, because the key must then be treated as leaked.
public struct DeviceIdentity: Sendable {
    /// File name of the key file in the state directory.
    public static let keyFileName = "device.key"
    /// The device id the intake knows this device by.
    public let deviceID: String
    /// Signs requests (RFC 8032 Ed25519).
    public let signingKey: Curve25519.Signing.PrivateKey
    /// Opens galleries sealed to this station (RFC 7748 X25519).
    public let sealingKey: Curve25519.KeyAgreement.PrivateKey

    /// Wraps existing keys (for tests and in-process use).
    public init(deviceID: String, signingKey: Curve25519.Signing.PrivateKey, sealingKey: Curve25519.KeyAgreement.PrivateKey) {
        self.deviceID = deviceID
        self.signingKey = signingKey
        self.sealingKey = sealingKey
    }

    /// Makes new keys for `deviceID` and writes them durably to `directory`.
    /// - Throws: ``StoreError`` `.alreadyEnrolled` if a key file is already there: an existing
    ///   identity is never overwritten.
    public static func create(deviceID: String, in directory: String) throws -> DeviceIdentity {
        try FileIO.makePrivateDirectory(directory)
        let path = directory + "/" + keyFileName
        if FileIO.exists(path) {
            throw StoreError(.alreadyEnrolled, operation: "create", path: path,
                             detail: "this device already has a key; remove the state directory first to enrol it anew")
        }
        let identity = DeviceIdentity(deviceID: deviceID, signingKey: .init(), sealingKey: .init())
        var contents = Data("WAYSIDE-DEVICE-KEY-V1\n\(deviceID)\n".utf8)
        contents += identity.signingKey.rawRepresentation
        contents += identity.sealingKey.rawRepresentation
        try FileIO.createDurably(path, data: contents, mode: 0o600)
        return identity
    }

    /// Loads the identity from `directory`.
    public static func load(from directory: String) throws -> DeviceIdentity {
        let path = directory + "/" + keyFileName
        guard FileIO.exists(path) else {
            throw StoreError(.notEnrolled, operation: "open", path: path, detail: "no device key; run `waysidectl enrol` first")
        }
        let data = try FileIO.read(path, private: true)
        let corrupt = StoreError(.corrupt, operation: "parse", path: path, detail: "the key file is damaged; remove the state directory and enrol again")
        guard data.count > 64 else { throw corrupt }
        let header = data.prefix(data.count - 64)
        let lines = String(decoding: header, as: UTF8.self).split(separator: "\n")
        guard lines.count == 2, lines[0] == "WAYSIDE-DEVICE-KEY-V1" else { throw corrupt }
        let keys = data.suffix(64)
        do {
            return DeviceIdentity(
                deviceID: String(lines[1]),
                signingKey: try .init(rawRepresentation: keys.prefix(32)),
                sealingKey: try .init(rawRepresentation: keys.suffix(32)))
        } catch {
            throw corrupt
        }
    }
}

/// What enrolment recorded: where the intake is and the key submissions are sealed to.
/// Public information only; kept next to the device key as `enrolment.json`.
public struct Enrolment: Codable, Sendable, Equatable {
    /// File name in the state directory.
    public static let fileName = "enrolment.json"
    /// The device id.
    public var deviceID: String
    /// What the device does.
    public var role: DeviceRole
    /// The intake's base URL, e.g. `https://intake.example.org`.
    public var intakeURL: String
    /// The intake's raw X25519 public key.
    public var intakeSealingKey: Data

    /// Makes a record.
    public init(deviceID: String, role: DeviceRole, intakeURL: String, intakeSealingKey: Data) {
        self.deviceID = deviceID
        self.role = role
        self.intakeURL = intakeURL
        self.intakeSealingKey = intakeSealingKey
    }

    /// The intake's public key.
    public func intakeKey() throws -> Curve25519.KeyAgreement.PublicKey {
        do { return try .init(rawRepresentation: intakeSealingKey) } catch {
            throw StoreError(.corrupt, operation: "parse", path: Self.fileName, detail: "the intake key is not a 32-byte X25519 key; enrol again")
        }
    }

    /// Writes the record durably to `directory` (refuses to overwrite).
    public func save(in directory: String) throws {
        let data = try WireCoding.encoder().encode(self)
        try FileIO.createDurably(directory + "/" + Self.fileName, data: data, mode: 0o644)
    }

    /// Loads the record from `directory`.
    public static func load(from directory: String) throws -> Enrolment {
        let path = directory + "/" + fileName
        guard FileIO.exists(path) else {
            throw StoreError(.notEnrolled, operation: "open", path: path, detail: "the device is not enrolled; run `waysidectl enrol`")
        }
        do { return try WireCoding.decoder().decode(Enrolment.self, from: try FileIO.read(path, private: false)) } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.corrupt, operation: "parse", path: path, detail: "enrolment.json is damaged; enrol again")
        }
    }
}
