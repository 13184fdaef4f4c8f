import Crypto
import Foundation

/// Seals and opens payloads with HPKE (RFC 9180) in base mode.
///
/// The suite is DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and ChaCha20-Poly1305: ChaCha20 is
/// fast in software on the ARM boards the kiosk runs on, most of which lack AES instructions.
/// The sealed form is the 32-byte encapsulated key followed by the AEAD ciphertext.
public enum Sealing {
    /// The HPKE suite every Wayside party uses.
    public static var suite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }
    /// Length of an X25519 encapsulated key (RFC 9180, section 7.1: Nenc = 32).
    public static let encapsulatedKeyLength = 32

    /// What a sealed payload is for; bound into the HPKE `info` so a payload sealed for
    /// one purpose cannot be opened as another.
    public enum Purpose: String, Sendable {
        /// A person's registration, sealed to the intake.
        case submission = "wayside/submission/v1"
        /// A port's daily gallery of templates, sealed to a station.
        case gallery = "wayside/gallery/v1"
        /// A check-in record, sealed to the intake.
        case checkIn = "wayside/check-in/v1"
    }

    /// Seals `plaintext` to `recipient`, binding `associatedData` (e.g. the submission id).
    public static func seal(
        _ plaintext: Data, to recipient: Curve25519.KeyAgreement.PublicKey,
        purpose: Purpose, associatedData: Data
    ) throws -> Data {
        var sender = try HPKE.Sender(recipientKey: recipient, ciphersuite: suite, info: Data(purpose.rawValue.utf8))
        let ciphertext = try sender.seal(plaintext, authenticating: associatedData)
        return sender.encapsulatedKey + ciphertext
    }

    /// Opens a payload sealed by ``seal(_:to:purpose:associatedData:)``.
    /// - Throws: ``SealingError`` when the bytes are too short or do not open with this key and data.
    public static func open(
        _ sealed: Data, with key: Curve25519.KeyAgreement.PrivateKey,
        purpose: Purpose, associatedData: Data
    ) throws(SealingError) -> Data {
        guard sealed.count > encapsulatedKeyLength else {
            throw SealingError(detail: "sealed payload is \(sealed.count) bytes, shorter than an HPKE encapsulated key plus tag")
        }
        let start = sealed.startIndex
        let enc = sealed[start..<(start + encapsulatedKeyLength)]
        let ciphertext = sealed[(start + encapsulatedKeyLength)...]
        do {
            var recipient = try HPKE.Recipient(
                privateKey: key, ciphersuite: suite, info: Data(purpose.rawValue.utf8), encapsulatedKey: Data(enc))
            return try recipient.open(Data(ciphertext), authenticating: associatedData)
        } catch {
            throw SealingError(detail: "payload does not open with this key (sealed to another key, or altered)")
        }
    }
}

/// A sealed payload could not be opened.
public struct SealingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, without any payload content.
    public var detail: String
    /// Makes an error with a message a person can act on.
    public init(detail: String) { self.detail = detail }
    /// The message.
    public var description: String { "sealing: \(detail)" }
}
