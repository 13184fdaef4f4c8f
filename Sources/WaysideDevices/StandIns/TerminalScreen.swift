#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WaysideCore

/// A ``Screen`` on the terminal: a framed panel in an interactive terminal, or a plain
/// text block per screen when the output is a pipe or a log.
public actor TerminalScreen: Screen {
    public nonisolated let name = "terminal"
    private let output: FileHandle
    private let interactive: Bool
    private let width: Int

    /// - Parameters:
    ///   - output: where to draw (standard output by default).
    ///   - interactive: clear and redraw in place; defaults to whether `output` is a terminal.
    public init(output: FileHandle = .standardOutput, interactive: Bool? = nil, width: Int = 60) {
        self.output = output
        self.interactive = interactive ?? (isatty(output.fileDescriptor) == 1)
        self.width = width
    }

    public func show(_ content: ScreenContent) throws {
        var text = Self.render(content, width: width).joined(separator: "\n") + "\n"
        if interactive { text = "\u{1B}[2J\u{1B}[H" + text }
        do {
            try output.write(contentsOf: Data(text.utf8))
        } catch {
            throw DeviceFault(.ioError, device: "terminal", operation: "write", detail: "\(error)")
        }
    }

    /// The lines drawn for `content`, wrapped to `width` columns. Pure, for tests.
    public static func render(_ content: ScreenContent, width: Int) -> [String] {
        let inner = max(10, width - 4)
        var body: [String] = []
        if !content.title.isEmpty { body += wrap(content.title.uppercased(), inner) + [""] }
        for line in content.lines { body += wrap(line, inner) }
        if let entry = content.entry { body += ["", "> " + entry + "_"] }
        if let keyboard = content.keyboard {
            body.append("")
            for (r, keys) in keyboard.rows.enumerated() {
                body.append(keys.enumerated().map { c, key in
                    r == keyboard.row && c == keyboard.column ? "[\(key)]" : " \(key) "
                }.joined())
            }
        }
        for (index, choice) in content.choices.enumerated() {
            let marker = index == content.selectedChoice ? "> " : "- "
            body += wrap(marker + choice, inner)
        }
        if !content.footer.isEmpty { body += [""] + wrap(content.footer, inner) }
        let rule = "+" + String(repeating: "-", count: inner + 2) + "+"
        let framed = body.map { line in
            "| " + line + String(repeating: " ", count: max(0, inner - line.count)) + " |"
        }
        return ["[\(content.id)]", rule] + framed + [rule]
    }

    /// Greedy word wrap on spaces; words longer than a line are cut.
    static func wrap(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = String(word)
            while word.count > width {
                if !current.isEmpty { lines.append(current); current = "" }
                lines.append(String(word.prefix(width)))
                word = String(word.dropFirst(width))
            }
            if current.isEmpty { current = word } else if current.count + 1 + word.count <= width { current += " " + word } else {
                lines.append(current)
                current = word
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}
