import Foundation
import TOMLKit
import WaysideCore

/// Why a board profile was refused: the file, the key and what was expected.
public struct BoardProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// Dotted key, e.g. "camera.format"; empty for errors about the whole file.
    public var key: String
    public var expected: String

    public init(file: String, key: String, expected: String) {
        self.file = file
        self.key = key
        self.expected = expected
    }

    public var description: String {
        key.isEmpty ? "\(file): \(expected)" : "\(file): key '\(key)': \(expected)"
    }
}

/// Finds and reads board profiles, refusing any that is not exactly right.
public struct BoardProfileLoader: Sendable {
    /// Folders searched for `<name>.toml`, in order.
    public var searchPaths: [String]
    /// Environment used to expand `~` and `${NAME}` in paths.
    public var environment: [String: String]

    public init(searchPaths: [String]? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
        self.searchPaths = searchPaths ?? Self.defaultSearchPaths(environment: environment)
    }

    /// `$WAYSIDE_BOARD_DIR`, `./Board`, the folder beside the installed binary, `/etc/wayside/boards`.
    public static func defaultSearchPaths(environment: [String: String]) -> [String] {
        var paths: [String] = []
        if let dir = environment["WAYSIDE_BOARD_DIR"], !dir.isEmpty { paths.append(dir) }
        paths.append(FileManager.default.currentDirectoryPath + "/Board")
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let prefix = executable.deletingLastPathComponent().deletingLastPathComponent()
        paths.append(prefix.appendingPathComponent("share/wayside/Board").path)
        paths.append("/etc/wayside/boards")
        return paths
    }

    /// Names of the profiles found on the search path.
    public func availableBoards() -> [String] {
        var names = Set<String>()
        for dir in searchPaths {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for file in files where file.hasSuffix(".toml") { names.insert(String(file.dropLast(5))) }
        }
        return names.sorted()
    }

    /// Loads the board `nameOrPath`: a name looked up on the search path, or a path to a `.toml` file.
    public func load(_ nameOrPath: String) throws -> BoardProfile {
        let file: String
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            file = nameOrPath
        } else if let found = searchPaths.map({ "\($0)/\(nameOrPath).toml" }).first(where: { FileManager.default.fileExists(atPath: $0) }) {
            file = found
        } else {
            let known = availableBoards()
            throw BoardProfileError(file: "\(nameOrPath).toml", key: "",
                                    expected: "no such board profile in \(searchPaths.joined(separator: ", ")); known boards: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw BoardProfileError(file: file, key: "", expected: "cannot be read as UTF-8 text")
        }
        return try parse(text, file: file)
    }

    /// Parses and validates the text of a profile; `file` names it in errors.
    public func parse(_ text: String, file: String) throws -> BoardProfile {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw BoardProfileError(file: file, key: "",
                                    expected: "not valid TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        var reader = TableReader(table: root, path: "", file: file, expand: expand)
        let profile = try reader.readProfile()
        return profile
    }

    /// Expands a leading `~` and `${NAME}` (with `WAYSIDE_CACHE` defaulting to `~/.cache/wayside`).
    func expand(_ path: String) -> String {
        var result = path
        var defaults = environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        if defaults["WAYSIDE_CACHE"]?.isEmpty ?? true { defaults["WAYSIDE_CACHE"] = home + "/.cache/wayside" }
        while let start = result.range(of: "${"), let end = result[start.upperBound...].firstIndex(of: "}") {
            let name = String(result[start.upperBound..<end])
            result.replaceSubrange(start.lowerBound...end, with: defaults[name] ?? "")
        }
        if result == "~" || result.hasPrefix("~/") { result = home + result.dropFirst() }
        return result
    }
}

/// Walks one TOML table, remembering which keys were read so that unknown keys are refused.
private struct TableReader {
    let table: TOMLTable
    let path: String
    let file: String
    let expand: (String) -> String
    private var consumed: Set<String> = []

    init(table: TOMLTable, path: String, file: String, expand: @escaping (String) -> String) {
        self.table = table
        self.path = path
        self.file = file
        self.expand = expand
    }

    private func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    private func fail(_ name: String, _ expected: String) -> BoardProfileError {
        BoardProfileError(file: file, key: key(name), expected: expected)
    }

    private func found(_ value: TOMLValueConvertible) -> String {
        "found \(value.type) \(value.debugDescription)"
    }

    mutating func string(_ name: String, default fallback: String? = nil) throws -> String {
        consumed.insert(name)
        guard let value = table[name] else {
            if let fallback { return fallback }
            throw fail(name, "is missing; expected a string")
        }
        guard let text = value.string else { throw fail(name, "expected a string, \(found(value))") }
        return text
    }

    mutating func path(_ name: String, default fallback: String? = nil) throws -> String {
        expand(try string(name, default: fallback))
    }

    mutating func int(_ name: String, default fallback: Int? = nil, in range: ClosedRange<Int>) throws -> Int {
        consumed.insert(name)
        guard let value = table[name] else {
            if let fallback { return fallback }
            throw fail(name, "is missing; expected an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        guard let number = value.int, range.contains(number) else {
            throw fail(name, "expected an integer from \(range.lowerBound) to \(range.upperBound), \(found(value))")
        }
        return number
    }

    mutating func bool(_ name: String, default fallback: Bool) throws -> Bool {
        consumed.insert(name)
        guard let value = table[name] else { return fallback }
        guard let flag = value.bool else { throw fail(name, "expected true or false, \(found(value))") }
        return flag
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T? = nil) throws -> T where T.RawValue == String {
        let options = T.allCases.map(\.rawValue).joined(separator: ", ")
        consumed.insert(name)
        guard let value = table[name] else {
            if let fallback { return fallback }
            throw fail(name, "is missing; expected one of \(options)")
        }
        guard let raw = value.string, let chosen = T(rawValue: raw) else {
            throw fail(name, "expected one of \(options), \(found(value))")
        }
        return chosen
    }

    mutating func subtable(_ name: String, required: Bool = true) throws -> TableReader? {
        consumed.insert(name)
        guard let value = table[name] else {
            if required { throw fail(name, "is missing; expected a [\(key(name))] table") }
            return nil
        }
        guard let sub = value.table else { throw fail(name, "expected a table, \(found(value))") }
        return TableReader(table: sub, path: key(name), file: file, expand: expand)
    }

    /// Refuses keys that were never read: a typo must not silently fall back to a default.
    func finish() throws {
        if let unknown = table.keys.sorted().first(where: { !consumed.contains($0) }) {
            let known = consumed.sorted().joined(separator: ", ")
            throw BoardProfileError(file: file, key: key(unknown), expected: "unknown key; known keys here: \(known)")
        }
    }

    mutating func readProfile() throws -> BoardProfile {
        let name = try string("name")
        let role: KioskRole = try choice("role")
        let dataDirectory = try path("data_directory")

        guard var cameraTable = try subtable("camera") else { throw fail("camera", "is missing") }
        let cameraKind: CameraProfile.Kind = try cameraTable.choice("kind")
        let camera = CameraProfile(
            kind: cameraKind,
            path: try cameraTable.path("path"),
            width: try cameraTable.int("width", default: 640, in: 16...7680),
            height: try cameraTable.int("height", default: 480, in: 16...4320),
            format: try cameraTable.choice("format", default: .any),
            framesPerSecond: try cameraTable.int("fps", default: 15, in: 1...240),
            loop: try cameraTable.bool("loop", default: true),
            liveness: try cameraTable.choice("liveness", default: .off))
        try cameraTable.finish()

        guard var buttonTable = try subtable("buttons") else { throw fail("buttons", "is missing") }
        let buttonKind: ButtonsProfile.Kind = try buttonTable.choice("kind")
        var lines: [Button: Int] = [:]
        if var lineTable = try buttonTable.subtable("lines", required: buttonKind == .gpio) {
            for button in Button.allCases {
                if lineTable.table[button.rawValue] != nil {
                    lines[button] = try lineTable.int(button.rawValue, in: 0...1023)
                }
            }
            try lineTable.finish()
            if buttonKind == .gpio {
                for required: Button in [.up, .down, .ok, .back, .help] where lines[required] == nil {
                    throw BoardProfileError(file: file, key: "buttons.lines.\(required.rawValue)",
                                            expected: "is missing; a GPIO board needs a line for each of up, down, ok, back, help")
                }
                let offsets = Array(lines.values)
                if Set(offsets).count != offsets.count {
                    throw BoardProfileError(file: file, key: "buttons.lines", expected: "each button needs its own line; two share one")
                }
            }
        }
        let helpLamp: Int? = buttonTable.table["help_lamp_line"] == nil ? nil : try buttonTable.int("help_lamp_line", in: 0...1023)
        let buttons = ButtonsProfile(
            kind: buttonKind,
            chip: try buttonTable.string("chip", default: buttonKind == .gpio ? nil : ""),
            lines: lines,
            helpLampLine: helpLamp,
            activeLow: try buttonTable.bool("active_low", default: true),
            debounceMilliseconds: try buttonTable.int("debounce_ms", default: 20, in: 0...500),
            longPressMilliseconds: try buttonTable.int("long_press_ms", default: 800, in: 100...10_000))
        if helpLamp == nil { buttonTable.markRead("help_lamp_line") }
        try buttonTable.finish()

        guard var displayTable = try subtable("display") else { throw fail("display", "is missing") }
        let displayKind: DisplayProfile.Kind = try displayTable.choice("kind")
        let display = DisplayProfile(
            kind: displayKind,
            device: try displayTable.path("device", default: displayKind == .terminal ? "" : nil),
            baud: try displayTable.int("baud", default: 9600, in: 300...1_000_000),
            columns: try displayTable.int("columns", default: displayKind == .serialLCD ? 16 : 80, in: 8...400),
            rows: try displayTable.int("rows", default: displayKind == .serialLCD ? 2 : 24, in: 1...200))
        if displayKind == .serialLCD, !([16, 20].contains(display.columns) && [2, 4].contains(display.rows)) {
            throw BoardProfileError(file: file, key: "display.columns", expected: "a serial LCD is 16x2, 16x4, 20x2 or 20x4")
        }
        try displayTable.finish()

        guard var speakerTable = try subtable("speaker") else { throw fail("speaker", "is missing") }
        let speakerKind: SpeakerProfile.Kind = try speakerTable.choice("kind")
        let speaker = SpeakerProfile(
            kind: speakerKind,
            path: try speakerTable.path("path", default: speakerKind == .wavFolder ? nil : ""),
            wordsPerMinute: try speakerTable.int("words_per_minute", default: 140, in: 80...450))
        try speakerTable.finish()

        guard var intakeTable = try subtable("intake") else { throw fail("intake", "is missing") }
        let url = try intakeTable.string("url")
        if url != "embedded", !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            throw BoardProfileError(file: file, key: "intake.url", expected: "\"embedded\" or an http(s):// URL, found \"\(url)\"")
        }
        try intakeTable.finish()

        var station: StationProfile?
        if var stationTable = try subtable("station", required: false) {
            guard role == .port else { throw fail("station", "is only for a port board (role = \"port\")") }
            station = StationProfile(port: try stationTable.string("port"), officer: try stationTable.string("officer", default: "officer"))
            try stationTable.finish()
        } else if role == .port {
            throw fail("station", "is missing: a port board names the port it serves, [station] port = \"San Ysidro\"")
        }
        var printer: PrinterProfile?
        if var printerTable = try subtable("printer", required: false) {
            printer = PrinterProfile(kind: try printerTable.choice("kind"), device: try printerTable.path("device"),
                                     baud: try printerTable.int("baud", default: 19200, in: 1200...115_200),
                                     widthDots: 384)
            printer?.widthDots = try printerTable.int("width_dots", default: 384, in: 128...1024)
            try printerTable.finish()
        }
        try finish()

        return BoardProfile(name: name, role: role, dataDirectory: dataDirectory, camera: camera,
                            buttons: buttons, display: display, speaker: speaker, intake: IntakeProfile(url: url), station: station, printer: printer)
    }

    mutating func markRead(_ name: String) { consumed.insert(name) }
}
