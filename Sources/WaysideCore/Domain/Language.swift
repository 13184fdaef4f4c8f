import Foundation

/// A language the kiosk speaks: its catalog, its script direction and its espeak-ng voice.
public struct Language: Sendable, Equatable, Hashable {
    /// BCP-47 tag and catalog file name, e.g. "ht" for Haitian Creole.
    public var tag: String
    public var direction: TextDirection
    /// espeak-ng voice name; nil where espeak-ng has none (the screen still shows the text).
    public var espeakVoice: String?

    public init(tag: String, direction: TextDirection = .leftToRight, espeakVoice: String?) {
        self.tag = tag
        self.direction = direction
        self.espeakVoice = espeakVoice
    }
}

/// Why a message catalog could not be used.
public struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var detail: String
    public var description: String { "message catalog \(file): \(detail)" }
}

/// The kiosk's words in every language, loaded from plain JSON files a translator can edit
/// (`Sources/WaysideCore/Messages/<tag>.json`, one key per sentence).
public struct MessageCatalog: Sendable {
    /// Languages in the order the language screen lists them.
    public let languages: [Language]
    private let tables: [String: [String: String]]

    /// The catalogs shipped with the kiosk.
    public static func bundled() throws -> MessageCatalog {
        guard let url = Bundle.module.url(forResource: "Messages", withExtension: nil) else {
            throw CatalogError(file: "Messages", detail: "the resource folder is missing from the build")
        }
        return try MessageCatalog(directory: url, languages: Self.shippedLanguages)
    }

    /// The languages that ship, with the direction of their script and their espeak-ng voice.
    /// Checked against `espeak-ng --voices` on Debian 12 (espeak-ng 1.51): every one has a voice.
    public static let shippedLanguages: [Language] = [
        Language(tag: "en", espeakVoice: "en-us"),
        Language(tag: "es", espeakVoice: "es-419"),
        Language(tag: "ht", espeakVoice: "ht"),
        Language(tag: "fr", espeakVoice: "fr-fr"),
        Language(tag: "pt", espeakVoice: "pt-br"),
        Language(tag: "ru", espeakVoice: "ru"),
        Language(tag: "zh", espeakVoice: "cmn"),
        Language(tag: "ar", direction: .rightToLeft, espeakVoice: "ar"),
        Language(tag: "tr", espeakVoice: "tr"),
        Language(tag: "hi", espeakVoice: "hi"),
        Language(tag: "vi", espeakVoice: "vi"),
        Language(tag: "am", espeakVoice: "am"),
    ]

    /// Loads `<tag>.json` for each language from `directory`.
    public init(directory: URL, languages: [Language]) throws {
        var tables: [String: [String: String]] = [:]
        for language in languages {
            let file = directory.appendingPathComponent("\(language.tag).json")
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw CatalogError(file: file.path, detail: "cannot be read (\(error.localizedDescription))")
            }
            guard let table = try? JSONDecoder().decode([String: String].self, from: data) else {
                throw CatalogError(file: file.path, detail: "is not a JSON object of strings")
            }
            tables[language.tag] = table
        }
        self.init(languages: languages, tables: tables)
    }

    /// A catalog from tables in memory (tests).
    public init(languages: [Language], tables: [String: [String: String]]) {
        self.languages = languages
        self.tables = tables
    }

    /// The keys of the reference language (English, or the first).
    public var referenceKeys: Set<String> {
        Set(tables["en"]?.keys ?? tables[languages.first?.tag ?? ""]?.keys ?? [:].keys)
    }

    /// Keys present in the reference language but missing in `tag`. Officer-facing keys
    /// (`officer.`) are English by design and not required elsewhere.
    public func missingKeys(in tag: String) -> Set<String> {
        referenceKeys.filter { !$0.hasPrefix("officer.") }.subtracting(tables[tag]?.keys ?? [:].keys)
    }

    /// The language with `tag`, if it ships.
    public func language(tagged tag: String) -> Language? {
        languages.first { $0.tag == tag }
    }

    /// The text for `key` in `language`, falling back to English, then to the key itself
    /// (a missing translation must never leave a blank screen).
    public func text(_ key: String, in language: Language, _ arguments: String...) -> String {
        text(key, in: language, arguments: arguments)
    }

    /// The text for `key` with each `%@` replaced by the next of `arguments`.
    public func text(_ key: String, in language: Language, arguments: [String]) -> String {
        let template = tables[language.tag]?[key] ?? tables["en"]?[key] ?? key
        var result = template
        for argument in arguments {
            guard let range = result.range(of: "%@") else { break }
            result.replaceSubrange(range, with: argument)
        }
        return result
    }

    /// A short version stamp of a text, recorded with consent so the record names the words agreed to.
    public func version(of key: String, in language: Language) -> String {
        // FNV-1a over the UTF-8 bytes: stable across runs and platforms (unlike hashValue).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text(key, in: language).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return language.tag + "-" + String(hash, radix: 16)
    }
}
