#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Synchronization

/// A swift-log handler for journald: one line per entry on standard error with a
/// syslog priority prefix (`<6>`), which journald turns into the entry's priority
/// (`SyslogLevelPrefix=yes`, its default). No timestamp: journald adds its own.
///
/// Personal data never reaches a log line: metadata whose key names personal data is
/// replaced by `[redacted]`, whatever the call site passed.
public struct JournalLogHandler: LogHandler {
    /// Metadata keys that carry personal data and are always redacted.
    public static let personalKeys: Set<String> = [
        "name", "given_name", "family_name", "givenName", "familyName", "birth_date", "birthDate",
        "a_number", "aNumber", "phone", "photo", "template", "details", "person",
    ]

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let sink: @Sendable (String) -> Void

    /// A handler writing to standard error.
    public init(label: String) {
        self.init(label: label) { line in
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    /// A handler handing each formatted line to `sink` (tests).
    public init(label: String, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        sink(Self.format(level: event.level, label: label, message: "\(event.message)", metadata: merged))
    }

    /// The line for one entry. Pure, for tests.
    public static func format(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "<\(priority(of: level))>\(label): \(message)"
        for (key, rawValue) in metadata.sorted(by: { $0.key < $1.key }) {
            let value = personalKeys.contains(key) ? "[redacted]" : "\(rawValue)"
            line += " \(key)=\(value.contains(" ") ? "\"\(value)\"" : value)"
        }
        // One entry per line: a newline inside a message would split it in the journal.
        return line.replacingOccurrences(of: "\n", with: "\\n")
    }

    /// syslog(3) priority for a swift-log level.
    static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
