import Crypto
import Foundation
import WaysideStore

/// The officer's PIN as the station keeps it: a salted, stretched hash in
/// `<data>/officer-pin` (mode 0600), never the PIN itself.
///
/// Set with `waysidectl station set-pin`. Stretching (many rounds of SHA-256) makes a stolen
/// file slow to brute-force offline; the station itself also locks out after repeated wrong
/// entries (``PINGate``), which is what protects a short PIN typed on buttons.
public struct OfficerPIN: Sendable, Equatable, Codable {
    public static let fileName = "officer-pin"
    /// PINs are typed on the digit pad: 4 to 8 digits.
    public static let lengths = 4...8
    public var salt: Data
    public var rounds: Int
    public var hash: Data

    /// A new PIN record with a fresh random salt.
    public init(pin: String, rounds: Int = 100_000) throws {
        guard Self.isWellFormed(pin) else {
            throw StoreError(.corrupt, operation: "set PIN", path: Self.fileName,
                             detail: "a PIN is \(Self.lengths.lowerBound) to \(Self.lengths.upperBound) digits")
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        self.salt = Data(bytes)
        self.rounds = rounds
        self.hash = Self.stretch(pin, salt: salt, rounds: rounds)
    }

    public static func isWellFormed(_ pin: String) -> Bool {
        lengths.contains(pin.count) && pin.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// True when `pin` is this PIN (compared in constant time).
    public func matches(_ pin: String) -> Bool {
        guard Self.isWellFormed(pin) else { return false }
        let candidate = Self.stretch(pin, salt: salt, rounds: rounds)
        guard candidate.count == hash.count else { return false }
        return zip(candidate, hash).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func stretch(_ pin: String, salt: Data, rounds: Int) -> Data {
        var digest = Data(SHA256.hash(data: salt + Data(pin.utf8)))
        for _ in 1..<max(rounds, 1) { digest = Data(SHA256.hash(data: salt + digest)) }
        return digest
    }

    /// Writes the record to `<directory>/officer-pin`, replacing an older one.
    public func write(to directory: String) throws {
        try FileIO.replaceDurably(directory + "/" + Self.fileName, data: try JSONEncoder().encode(self), mode: 0o600)
    }

    /// Reads the record; a missing file names the command that sets the PIN.
    public static func load(from directory: String) throws -> OfficerPIN {
        let path = directory + "/" + fileName
        guard FileIO.exists(path) else {
            throw StoreError(.notEnrolled, operation: "read PIN", path: path,
                             detail: "no officer PIN is set; set one with `waysidectl station set-pin --state-dir \(directory)`")
        }
        let data = try FileIO.read(path, private: true)
        do { return try JSONDecoder().decode(OfficerPIN.self, from: data) } catch {
            throw StoreError(.corrupt, operation: "read PIN", path: path,
                             detail: "not a PIN record; set the PIN again with `waysidectl station set-pin --state-dir \(directory)`")
        }
    }
}

/// Checks PINs and locks out after repeated wrong ones: five wrong entries in a row lock
/// the station for a minute, doubling with each further wrong entry (up to an hour), so a
/// 4-digit PIN cannot be guessed at the buttons in a shift.
public struct PINGate: Sendable {
    public let pin: OfficerPIN
    public let freeAttempts: Int
    public let firstLockout: Duration
    private(set) var wrongInARow = 0
    private(set) var lockedUntil: ContinuousClock.Instant?

    public init(pin: OfficerPIN, freeAttempts: Int = 5, firstLockout: Duration = .seconds(60)) {
        self.pin = pin
        self.freeAttempts = freeAttempts
        self.firstLockout = firstLockout
    }

    /// True when `entry` unlocks the station now. While locked out every entry is refused,
    /// the right one included, and does not extend the lockout.
    public mutating func check(_ entry: String, now: ContinuousClock.Instant) -> Bool {
        if let until = lockedUntil, now < until { return false }
        if pin.matches(entry) {
            wrongInARow = 0
            lockedUntil = nil
            return true
        }
        wrongInARow += 1
        if wrongInARow >= freeAttempts {
            let doublings = min(wrongInARow - freeAttempts, 6)
            lockedUntil = now + firstLockout * (1 << doublings)
        }
        return false
    }
}
