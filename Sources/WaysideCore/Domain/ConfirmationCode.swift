import Foundation

/// The short code a person keeps: made on the kiosk from the submission's id, so the
/// person leaves with it even when the intake is unreachable, and the intake derives the
/// same code from the same id.
///
/// Eight characters of Crockford's base32 (no I, L, O, U: nothing to confuse) from the
/// first 40 bits of the id, and a Luhn mod 32 check character from the same alphabet
/// (so every character can be typed on the same keypad) that catches any single wrong
/// character and nearly every swap of two neighbours. Shown as `K7Q4-MX2P-Z`.
public enum ConfirmationCode {
    static let symbols = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// The code for a submission id.
    public static func make(for id: UUID) -> String {
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0.prefix(5)) }
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        var characters: [Character] = []
        for shift in stride(from: 35, through: 0, by: -5) {
            characters.append(symbols[Int((value >> UInt64(shift)) & 31)])
        }
        let check = symbols[luhnCheck(characters.compactMap { symbols.firstIndex(of: $0) })]
        return String(characters[0..<4]) + "-" + String(characters[4..<8]) + "-" + String(check)
    }

    /// The code in canonical form, or nil when it is malformed or its check character is wrong.
    /// Accepts lower case, missing dashes, and the look-alikes O->0, I/L->1.
    public static func normalise(_ text: String) -> String? {
        var cleaned = text.uppercased().filter { $0 != "-" && $0 != " " }
        cleaned = String(cleaned.map { $0 == "O" ? "0" : ($0 == "I" || $0 == "L") ? "1" : $0 })
        guard cleaned.count == 9 else { return nil }
        var digits: [Int] = []
        for character in cleaned.prefix(8) {
            guard let digit = symbols.firstIndex(of: character) else { return nil }
            digits.append(digit)
        }
        guard let last = cleaned.last, symbols[luhnCheck(digits)] == last else { return nil }
        let body = Array(cleaned.prefix(8))
        return String(body[0..<4]) + "-" + String(body[4..<8]) + "-" + String(last)
    }

    /// The first well-formed code written in `text` ("Su código: K7Q4-MX2P-Z"), canonical.
    public static func find(in text: String) -> String? {
        for word in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") }) where word.count == 11 {
            if let code = normalise(String(word)) { return code }
        }
        return nil
    }

    /// Luhn mod N (N = 32): double every second digit from the right, fold, and take the complement.
    static func luhnCheck(_ digits: [Int]) -> Int {
        let n = symbols.count
        var sum = 0
        var double = true
        for digit in digits.reversed() {
            var addend = double ? digit * 2 : digit
            addend = addend / n + addend % n
            sum += addend
            double.toggle()
        }
        return (n - sum % n) % n
    }
}
