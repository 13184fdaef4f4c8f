import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
final class EvalProgressBar: Sendable {
    private let state = Mutex((last: Date.distantPast, drawn: false))
    private let enabled = isatty(STDERR_FILENO) == 1

    func update(_ name: String, _ done: Int, _ total: Int) {
        guard enabled else { return }
        let now = Date()
        let line: String? = state.withLock { s in
            // At most 10 redraws a second: workers report every image.
            guard done == total || now.timeIntervalSince(s.last) > 0.1 else { return nil }
            s.last = now
            s.drawn = true
            let width = 30
            let filled = total == 0 ? width : done * width / total
            return "\r\(name) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(done)/\(total)\u{1B}[K"
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    func finish() {
        if enabled, state.withLock({ $0.drawn }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
