import Crypto
import Foundation

/// The headers that carry a device's signature on a request.
///
/// The signed message covers the method, the path with its query, a SHA-256 digest of the
/// body, the time and the device id (see ``RequestSigning/message(method:path:bodyDigest:time:deviceID:)``),
/// so a captured request cannot be replayed on another path, with another body, by another
/// device, or outside the intake's replay window.
public enum SignatureHeader {
    /// The enrolled device id.
    public static let device = "wayside-device"
    /// Seconds since 1970 (UTC) when the request was signed.
    public static let time = "wayside-time"
    /// Lower-case hex SHA-256 of the body.
    public static let bodyDigest = "wayside-body-sha256"
    /// Base64 Ed25519 signature over the canonical message.
    public static let signature = "wayside-signature"
}

/// The canonical form of a signed request and the Ed25519 operations over it.
public enum RequestSigning {
    /// Lower-case hex SHA-256 of `body`.
    public static func digest(_ body: some DataProtocol) -> String {
        SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
    }

    /// The bytes a device signs: one field a line, prefixed by a version tag.
    public static func message(method: String, path: String, bodyDigest: String, time: Int64, deviceID: String) -> Data {
        Data("WAYSIDE-REQUEST-V1\n\(method.uppercased())\n\(path)\n\(bodyDigest)\n\(time)\n\(deviceID)".utf8)
    }

    /// The four signature headers for a request, signed with `key`.
    public static func headers(
        method: String, path: String, body: Data, time: Int64, deviceID: String,
        key: Curve25519.Signing.PrivateKey
    ) throws -> [(String, String)] {
        let digest = digest(body)
        let signature = try key.signature(for: message(method: method, path: path, bodyDigest: digest, time: time, deviceID: deviceID))
        return [
            (SignatureHeader.device, deviceID),
            (SignatureHeader.time, String(time)),
            (SignatureHeader.bodyDigest, digest),
            (SignatureHeader.signature, signature.base64EncodedString()),
        ]
    }

    /// True when `signature` (base64) is `publicKey`'s signature over the canonical message.
    public static func verify(
        signature: String, method: String, path: String, bodyDigest: String, time: Int64, deviceID: String,
        publicKey: Curve25519.Signing.PublicKey
    ) -> Bool {
        guard let raw = Data(base64Encoded: signature) else { return false }
        return publicKey.isValidSignature(raw, for: message(method: method, path: path, bodyDigest: bodyDigest, time: time, deviceID: deviceID))
    }
}
