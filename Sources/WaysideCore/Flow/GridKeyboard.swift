import Foundation

/// Predicts the next letter of a name from the letters before it, so the keyboard's
/// cursor can wait on the likely letter. A back-off table trained by
/// `scripts/train-name-predictor` from public-domain census name lists.
public struct NextLetterPredictor: Sendable, Equatable {
    public let order: Int
    private let next: [String: String]

    /// The predictor shipped with the kiosk.
    public static func bundled() throws -> NextLetterPredictor {
        guard let url = Bundle.module.url(forResource: "next-letter", withExtension: "json", subdirectory: "Keyboard") else {
            throw CatalogError(file: "Keyboard/next-letter.json", detail: "missing from the build")
        }
        struct File: Decodable { var order: Int; var next: [String: String] }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        return NextLetterPredictor(order: file.order, next: file.next)
    }

    public init(order: Int, next: [String: String]) {
        self.order = order
        self.next = next
    }

    /// The most likely next character after `text` (uppercase Latin), backing off to shorter contexts.
    public func predict(after text: String) -> Character? {
        let padded = String(repeating: "^", count: order) + text.uppercased()
        for length in stride(from: order, through: 1, by: -1) {
            if let letter = next[String(padded.suffix(length))]?.first { return letter }
        }
        return nil
    }
}

/// One key of a ``GridKeyboard``.
public enum GridKey: Sendable, Equatable, Hashable {
    case character(Character)
    case delete
    case done

    /// How the key is drawn.
    public var label: String {
        switch self {
        case .character(" "): "␣"
        case .character(let c): String(c)
        case .delete: "⌫"
        case .done: "✓"
        }
    }
}

/// What a key press did to an entry.
public enum EntryResult: Sendable, Equatable {
    case editing
    case done(String)
    /// Back on an empty entry: the person wants the previous step.
    case cancelled
}

/// A keyboard on arrow buttons: a grid of keys, a cursor that wraps around, OK to type.
///
/// Used for names (letters, with the cursor waiting on the predicted next letter) and
/// for numbers (a phone-style keypad). Rows may be ragged; up and down keep the column
/// where they can. Back deletes the last character, or cancels when there is none.
public struct GridKeyboard: Sendable, Equatable {
    public let rows: [[GridKey]]
    public private(set) var row = 0
    public private(set) var column = 0
    public private(set) var text: String
    public let maxLength: Int
    private let predictor: NextLetterPredictor?

    public init(rows: [[GridKey]], text: String = "", maxLength: Int = 40, predictor: NextLetterPredictor? = nil) {
        self.rows = rows.filter { !$0.isEmpty }
        self.text = text
        self.maxLength = maxLength
        self.predictor = predictor
        placeCursorOnPrediction()
    }

    /// Latin letters, vowels first then consonants in alphabetical order (a layout that is
    /// still easy to scan, with the frequent vowels together), then space, hyphen and
    /// apostrophe, delete, done, and the extra letters of the person's language.
    public static func latinLetters(extra: [Character] = [], predictor: NextLetterPredictor? = nil, text: String = "") -> GridKeyboard {
        let letters: [[Character]] = [Array("AEIOUY"), Array("BCDFGH"), Array("JKLMNP"), Array("QRSTVW")]
        var rows = letters.map { $0.map { GridKey.character($0) } }
        rows.append([.character("X"), .character("Z"), .character(" "), .character("-"), .character("'"), .delete])
        rows.append([.done] + extra.prefix(5).map { .character($0) })
        return GridKeyboard(rows: rows, text: text, maxLength: 40, predictor: predictor)
    }

    /// The confirmation code's alphabet (Crockford base 32) on a 6-wide grid, with delete and
    /// done: what a receipt's code is typed on, by the person or the officer.
    public static func confirmationCode() -> GridKeyboard {
        let symbols = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ").map { GridKey.character($0) }
        var rows = stride(from: 0, to: symbols.count, by: 6).map { Array(symbols[$0..<min($0 + 6, symbols.count)]) }
        rows[rows.count - 1] += [.delete, .done]
        return GridKeyboard(rows: rows, maxLength: 11)
    }

    /// A phone-style keypad: 1 2 3 / 4 5 6 / 7 8 9 / ⌫ 0 ✓.
    public static func digits(maxLength: Int, text: String = "") -> GridKeyboard {
        var keyboard = GridKeyboard(rows: [
            [.character("1"), .character("2"), .character("3")],
            [.character("4"), .character("5"), .character("6")],
            [.character("7"), .character("8"), .character("9")],
            [.delete, .character("0"), .done],
        ], text: text, maxLength: maxLength)
        keyboard.row = 0
        keyboard.column = 0
        return keyboard
    }

    /// The key under the cursor.
    public var selected: GridKey { rows[row][column] }

    public mutating func press(_ button: Button) -> EntryResult {
        switch button {
        case .up: move(rows: -1)
        case .down: move(rows: 1)
        case .left: column = (column - 1 + rows[row].count) % rows[row].count
        case .right: column = (column + 1) % rows[row].count
        case .back:
            if text.isEmpty { return .cancelled }
            text.removeLast()
            placeCursorOnPrediction()
        case .ok:
            switch selected {
            case .character(let c):
                if text.count < maxLength {
                    text.append(c)
                    placeCursorOnPrediction()
                }
            case .delete:
                if !text.isEmpty { text.removeLast() }
            case .done:
                return .done(text.trimmingCharacters(in: .whitespaces))
            }
        case .help, .repeat:
            break
        }
        return .editing
    }

    private mutating func move(rows delta: Int) {
        row = (row + delta + rows.count) % rows.count
        column = min(column, rows[row].count - 1)
    }

    /// Moves the cursor to the predicted next letter, when there is a predictor.
    private mutating func placeCursorOnPrediction() {
        guard let predictor, let letter = predictor.predict(after: text) else { return }
        let target: GridKey = letter == " " && text.isEmpty ? .done : .character(letter)
        if let position = position(of: target) { (row, column) = position }
    }

    /// Where `key` is on the grid.
    public func position(of key: GridKey) -> (row: Int, column: Int)? {
        for (r, keys) in rows.enumerated() {
            if let c = keys.firstIndex(of: key) { return (r, c) }
        }
        return nil
    }

    /// The fewest button presses to type `text` and confirm it, moving the cursor the
    /// shortest way (breadth-first over the real moves). A measure of the keyboard, used
    /// by tests and `waysidectl bench keyboard`; characters not on the grid are skipped.
    public func pressesToType(_ target: String) -> Int {
        var keyboard = self
        var presses = 0
        for character in target.uppercased() {
            guard let goal = keyboard.position(of: .character(character)) else { continue }
            presses += keyboard.distance(to: goal) + 1
            keyboard.row = goal.row
            keyboard.column = goal.column
            _ = keyboard.press(.ok)
        }
        if let done = keyboard.position(of: .done) { presses += keyboard.distance(to: done) + 1 }
        return presses
    }

    private func distance(to goal: (row: Int, column: Int)) -> Int {
        var seen: Set<[Int]> = [[row, column]]
        var frontier = [(row, column)]
        var steps = 0
        while !frontier.isEmpty {
            if frontier.contains(where: { $0 == goal }) { return steps }
            var next: [(Int, Int)] = []
            for (r, c) in frontier {
                for button in [Button.up, .down, .left, .right] {
                    var probe = self
                    probe.row = r
                    probe.column = c
                    switch button {
                    case .up: probe.move(rows: -1)
                    case .down: probe.move(rows: 1)
                    case .left: probe.column = (c - 1 + rows[r].count) % rows[r].count
                    default: probe.column = (c + 1) % rows[r].count
                    }
                    if seen.insert([probe.row, probe.column]).inserted { next.append((probe.row, probe.column)) }
                }
            }
            frontier = next
            steps += 1
        }
        return Int.max / 4
    }

    /// The grid as it is drawn: one string per row, the cursor's key in brackets.
    public var renderedRows: [String] {
        rows.enumerated().map { r, keys in
            keys.enumerated().map { c, key in r == row && c == column ? "[\(key.label)]" : " \(key.label) " }.joined()
        }
    }
}

/// A list to choose from with up, down and OK.
public struct ChoiceList: Sendable, Equatable {
    public let options: [String]
    public private(set) var highlighted: Int

    public init(options: [String], highlighted: Int = 0) {
        self.options = options
        self.highlighted = options.isEmpty ? 0 : min(max(0, highlighted), options.count - 1)
    }

    /// The index chosen on OK, `-1` on back, nil while moving.
    public mutating func press(_ button: Button) -> Int? {
        guard !options.isEmpty else { return button == .back ? -1 : nil }
        switch button {
        case .up, .left: highlighted = (highlighted - 1 + options.count) % options.count
        case .down, .right: highlighted = (highlighted + 1) % options.count
        case .ok: return highlighted
        case .back: return -1
        default: break
        }
        return nil
    }
}
