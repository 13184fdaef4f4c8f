#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WaysideCore

/// Presses buttons by writing gpio-sim's `pull` files: the kernel then raises real edge
/// events on the lines, exactly as a finger on a switch would. Used by the HIL tests, the
/// panel benchmark, and the kiosk's scripted visitor in the VM (`wayside --script-gpio-sim`).
public struct GPIOSimActuator: ButtonActuator {
    /// The gpio-sim bank's sysfs directory, e.g. `/sys/devices/platform/gpio-sim.0/gpiochip1`.
    public let directory: String
    /// The line offset of each button (the board profile's `[buttons.lines]`).
    public let lines: [Button: Int]
    /// Buttons pull their line low when pressed (the profile's `active_low`).
    public let activeLow: Bool

    public init(directory: String, lines: [Button: Int], activeLow: Bool) {
        self.directory = directory
        self.lines = lines
        self.activeLow = activeLow
    }

    public func set(_ button: Button, pressed: Bool) async throws { try setNow(button, pressed: pressed) }

    /// Sets the line at once, from synchronous code.
    public func setNow(_ button: Button, pressed: Bool) throws {
        guard let offset = lines[button] else {
            throw PanelError(operation: "press", device: directory, detail: "the board has no line for \(button.rawValue)")
        }
        try Self.write(pressed == activeLow ? "pull-down" : "pull-up", to: "\(directory)/sim_gpio\(offset)/pull")
    }

    public func hold(_ duration: Duration) async throws { try await Task.sleep(for: duration) }

    /// Writes `text` to a sysfs file.
    public static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PanelError(operation: "open", device: path, errno: errno, detail: "is this a gpio-sim bank's directory?") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw PanelError(operation: "write", device: path, errno: errno) }
    }

    /// Reads a sysfs file ("" when it cannot be read).
    public static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
}
