import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn, its stdout on a pipe.
///
/// Not Foundation's `Process`: its `waitUntilExit()` blocks a thread of the small
/// cooperative pool (two threads on a two-core board) and was seen to hang after the child
/// had exited; here waiting happens on a dedicated thread and resumes a continuation.
struct Child: Sendable {
    let pid: pid_t
    let stdoutFD: Int32

    /// Starts `path` with `arguments`; stderr goes to /dev/null.
    static func spawn(_ path: String, _ arguments: [String]) throws -> Child {
        var fds: [Int32] = [0, 0]
        // O_CLOEXEC: no other child (nor a daemon one starts) may inherit the write end, or
        // the reader would never see end of file.
        guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw POSIXError(.init(rawValue: rc) ?? .EIO)
        }
        return Child(pid: pid, stdoutFD: fds[0])
    }

    /// Sends SIGKILL.
    func kill9() { _ = kill(pid, SIGKILL) }

    /// Reads stdout to its end and reaps the child, off the cooperative pool.
    /// Returns the output and the exit status (128 + signal when killed).
    func finish() async -> (Data, Int32) {
        await withCheckedContinuation { (c: CheckedContinuation<(Data, Int32), Never>) in
            let fd = stdoutFD, pid = pid
            Thread.detachNewThread {
                var out = Data()
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(fd, &buffer, buffer.count)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    out.append(contentsOf: buffer[0..<n])
                }
                close(fd)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                c.resume(returning: (out, code))
            }
        }
    }
}
