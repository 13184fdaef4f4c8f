#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WaysideCore

/// What a kiosk tells whoever drives it through its control socket: each screen it shows,
/// each prompt it speaks, and the help lamp. One JSON datagram each.
///
/// With ``ControlSocketLines`` for the buttons, this makes the control socket a whole
/// person's view of the kiosk: a test (or an accessibility aid) presses buttons and reads
/// and hears exactly what a person would, through the real daemon.
public enum ControlFeedEvent: Sendable, Equatable {
    case screen(ScreenContent)
    case say(String, languageTag: String)
    case lamp(Bool)

    private struct Wire: Codable {
        var kind: String
        var id: String?, title: String?, lines: [String]?, choices: [String]?, selected: Int?, footer: String?
        var direction: String?, language: String?, entry: String?
        var keys: [[String]]?, keyRow: Int?, keyColumn: Int?
        var text: String?, on: Bool?
    }

    /// The datagram for this event (a preview frame is not sent: it is a picture).
    public func encoded() -> Data {
        var wire: Wire
        switch self {
        case .screen(let c):
            wire = Wire(kind: "screen", id: c.id, title: c.title, lines: c.lines, choices: c.choices, selected: c.selectedChoice,
                        footer: c.footer, direction: c.direction.rawValue, language: c.languageTag, entry: c.entry,
                        keys: c.keyboard?.rows, keyRow: c.keyboard?.row, keyColumn: c.keyboard?.column)
        case .say(let text, let tag):
            wire = Wire(kind: "say", language: tag, text: text)
        case .lamp(let on):
            wire = Wire(kind: "lamp", on: on)
        }
        return (try? JSONEncoder().encode(wire)) ?? Data()
    }

    /// Reads a datagram; nil for anything that is not a feed event.
    public static func decode(_ data: Data) -> ControlFeedEvent? {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: data) else { return nil }
        switch wire.kind {
        case "screen":
            guard let id = wire.id else { return nil }
            var content = ScreenContent(id: id, title: wire.title ?? "", lines: wire.lines ?? [], choices: wire.choices ?? [],
                                        selectedChoice: wire.selected, footer: wire.footer ?? "",
                                        direction: TextDirection(rawValue: wire.direction ?? "") ?? .leftToRight,
                                        languageTag: wire.language ?? "en", entry: wire.entry)
            if let keys = wire.keys, let row = wire.keyRow, let column = wire.keyColumn {
                content.keyboard = KeyboardView(rows: keys, row: row, column: column)
            }
            return .screen(content)
        case "say":
            guard let text = wire.text else { return nil }
            return .say(text, languageTag: wire.language ?? "en")
        case "lamp":
            return .lamp(wire.on ?? false)
        default:
            return nil
        }
    }
}

/// The kiosk's end of the feed: sends each event to the socket a driver bound at `path`.
/// With no driver listening (or one that reads too slowly) an event is dropped: the kiosk
/// never waits for its observer.
public final class ControlFeed: Screen, HelpSignal, Sendable {
    public let path: String
    public var name: String { "control feed \(path)" }
    private let fd: Int32

    public init(path: String) throws(PanelError) {
        self.path = path
        fd = try PanelCall.perform("socket", device: path) {
            socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    deinit { close(fd) }

    public func send(_ event: ControlFeedEvent) {
        guard var address = try? UnixSocketAddress.make(path, operation: "sendto") else { return }
        let payload = [UInt8](event.encoded())
        _ = UnixSocketAddress.with(&address) { sendto(fd, payload, payload.count, 0, $0, $1) }
    }

    public func show(_ content: ScreenContent) { send(.screen(content)) }
    public func set(_ on: Bool) { send(.lamp(on)) }

    /// A speaker that speaks through `base` and tells the feed what it said.
    public func speaker(wrapping base: any Speaker) -> any Speaker { FeedSpeaker(base: base, feed: self) }

    /// Presses go to ``ControlSocketLines`` at `buttons`; these are the line offsets it and
    /// the driver agree on (one per button, in declaration order).
    public static let buttonOffsets: [Button: Int] = Dictionary(uniqueKeysWithValues: Button.allCases.enumerated().map { ($1, $0) })
}

struct FeedSpeaker: Speaker {
    let base: any Speaker
    let feed: ControlFeed
    var name: String { base.name + " + feed" }
    func say(_ text: String, languageTag: String) async throws {
        feed.send(.say(text, languageTag: languageTag))
        try await base.say(text, languageTag: languageTag)
    }
    func stop() async { await base.stop() }
}

/// The driver's end: binds the feed socket and the presses it sends go to the kiosk's
/// buttons socket. Used by tests that drive the real daemon.
public final class ControlSocketDriver: @unchecked Sendable {
    public let feedPath: String
    public let buttonsPath: String
    private let fd: Int32

    /// Binds `<directory>/feed`; presses go to `<directory>/buttons`.
    public init(directory: String) throws(PanelError) {
        feedPath = directory + "/feed"
        buttonsPath = directory + "/buttons"
        // Room for a burst of screens while the test is busy.
        fd = try UnixSocketAddress.bindDatagramSocket(feedPath, nonBlocking: false, receiveBuffer: 4 << 20)
    }

    deinit {
        close(fd)
        unlink(feedPath)
    }

    /// The next event, or nil when none came within `timeout`.
    public func next(timeout: Duration) throws(PanelError) -> ControlFeedEvent? {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        let ready = try PanelCall.perform("poll", device: feedPath) { poll(&fds, 1, timeout.pollMilliseconds) }
        guard ready > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let count = try PanelCall.perform("recv", device: feedPath) {
            Int32(buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) })
        }
        return ControlFeedEvent.decode(Data(buffer.prefix(Int(count))))
    }

    /// Presses and releases `button`, holding it `hold` (longer than the kiosk's debounce).
    /// The kiosk shows its first screen before its buttons socket is bound: until then (at
    /// most `waitForKiosk`) a press is retried rather than lost.
    public func press(_ button: Button, hold: Duration = .milliseconds(60), waitForKiosk: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + waitForKiosk
        while true {
            let failure: PanelError
            do {
                try ControlSocketLines.send("press \(button.rawValue)", to: buttonsPath)
                break
            } catch {
                failure = error
            }
            let notYetBound = failure.errno == ENOENT || failure.errno == ECONNREFUSED
            guard notYetBound, ContinuousClock.now < deadline else { throw failure }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: hold)
        try ControlSocketLines.send("release \(button.rawValue)", to: buttonsPath)
        try await Task.sleep(for: hold)
    }
}
