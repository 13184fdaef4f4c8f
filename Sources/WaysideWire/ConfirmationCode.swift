import Foundation

/// A short confirmation code a person can read aloud and type on a digit-and-letter grid.
///
/// Eight symbols of Crockford's base 32 (no I, L, O or U, so nothing reads as 1, 0 or a
/// rude word), shown as `XXXX-XXXX`, followed by one check symbol computed with the
/// Luhn mod N algorithm over the same alphabet: any single mistyped symbol and most swaps of
/// neighbours are caught before the code is ever sent.
public struct ConfirmationCode: Sendable, Hashable, CustomStringConvertible {
    /// Crockford's base-32 alphabet.
    public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    /// The canonical form, e.g. `7K3M-Q9PZ-4`.
    public let value: String

    /// A fresh random code.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> ConfirmationCode {
        let body = (0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return ConfirmationCode(body: body)
    }

    /// A fresh random code from the system's generator.
    public static func random() -> ConfirmationCode {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    private init(body: [Character]) {
        let check = Self.checkSymbol(for: body)
        value = String(body[0..<4]) + "-" + String(body[4..<8]) + "-" + String(check)
    }

    /// Parses what a person typed: case, dashes and spaces do not matter, and the letters
    /// O, I and L are read as 0, 1 and 1 as Crockford recommends. Returns nil when the check
    /// symbol does not match, so a typo is reported at once.
    public init?(parsing text: String) {
        var symbols: [Character] = []
        for ch in text.uppercased() {
            switch ch {
            case "-", " ": continue
            case "O": symbols.append("0")
            case "I", "L": symbols.append("1")
            default:
                guard Self.alphabet.contains(ch) else { return nil }
                symbols.append(ch)
            }
        }
        guard symbols.count == 9 else { return nil }
        let body = Array(symbols[0..<8])
        guard Self.checkSymbol(for: body) == symbols[8] else { return nil }
        self.init(body: body)
    }

    /// Luhn mod N check symbol (N = 32).
    static func checkSymbol(for body: [Character]) -> Character {
        let n = alphabet.count
        var factor = 2
        var sum = 0
        for ch in body.reversed() {
            let codePoint = alphabet.firstIndex(of: ch) ?? 0
            var addend = factor * codePoint
            factor = factor == 2 ? 1 : 2
            addend = addend / n + addend % n
            sum += addend
        }
        return alphabet[(n - sum % n) % n]
    }

    /// The canonical form.
    public var description: String { value }
}
