import Crypto
import Foundation

/// The intake's secrets: the X25519 key submissions are sealed to, and the HMAC key that
/// turns A-Numbers into lookup digests (so the database holds no searchable A-Number).
public struct IntakeKeys: Sendable {
    /// Opens sealed submissions and check-ins (RFC 9180, see `Sealing`).
    public let sealingKey: Curve25519.KeyAgreement.PrivateKey
    /// Keys the A-Number digest (HMAC-SHA256).
    public let lookupKey: SymmetricKey

    /// Wraps existing keys.
    public init(sealingKey: Curve25519.KeyAgreement.PrivateKey, lookupKey: SymmetricKey) {
        self.sealingKey = sealingKey
        self.lookupKey = lookupKey
    }

    /// Fresh keys (tests, and first start).
    public static func generate() -> IntakeKeys {
        IntakeKeys(sealingKey: .init(), lookupKey: SymmetricKey(size: .bits256))
    }

    /// Loads `intake.key` from `directory`, creating it (mode 0600) on first start.
    public static func loadOrCreate(in directory: String) throws -> IntakeKeys {
        let path = directory + "/intake.key"
        let fm = FileManager.default
        if let data = fm.contents(atPath: path) {
            let attrs = try? fm.attributesOfItem(atPath: path)
            if let mode = attrs?[.posixPermissions] as? Int, mode & 0o077 != 0 {
                throw StorageError(operation: "load \(path)", detail: "the intake key is readable by other users (mode \(String(mode, radix: 8))); run chmod 600 and consider rotating it")
            }
            guard data.count == 64, let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: data.prefix(32)) else {
                throw StorageError(operation: "load \(path)", detail: "the intake key file is damaged (expected 64 bytes)")
            }
            return IntakeKeys(sealingKey: key, lookupKey: SymmetricKey(data: data.suffix(32)))
        }
        let keys = generate()
        let bytes = keys.sealingKey.rawRepresentation + keys.lookupKey.withUnsafeBytes { Data($0) }
        guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw StorageError(operation: "create \(path)", detail: "cannot create the intake key; check that \(directory) exists and is writable")
        }
        defer { try? handle.close() }
        try handle.write(contentsOf: bytes)
        try handle.synchronize()
        return keys
    }

    /// The lookup digest of an A-Number (digits only; other characters are ignored).
    public func aNumberDigest(_ aNumber: String) -> String {
        let digits = aNumber.filter(\.isNumber)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(digits.utf8), using: lookupKey)
        return Data(mac).map { String(format: "%02x", $0) }.joined()
    }
}
