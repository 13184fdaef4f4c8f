#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A child process for tests: started with posix_spawn, its stdout and stderr on pipes,
/// waited for on a dedicated thread with a deadline.
///
/// Why not Foundation's `Process`: reading one pipe to its end and then the other deadlocks
/// once the child fills the second pipe (64 KiB of log lines), `waitUntilExit()` blocks one
/// of the two cooperative threads a two-core machine has, and a grandchild that inherits a
/// pipe (pg_ctl's daemon did) keeps "end of file" from ever coming. Here both pipes are
/// drained together, the wait ends when the child has exited (whoever else holds the pipes),
/// and a child that outlives its deadline is killed, so a test can fail but never hang CI.
public struct ChildProcess: Sendable {
    /// What a finished child left behind.
    public struct Result: Sendable {
        /// Exit status, or 128 + signal number when a signal ended it.
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        /// True when the deadline passed and the child was killed.
        public var timedOut: Bool
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Why a child could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        public var path: String
        public var errno: Int32
        public var description: String { "cannot start \(path): \(String(cString: strerror(errno)))" }
    }

    public let pid: pid_t
    private let stdoutFD: Int32
    private let stderrFD: Int32

    /// Starts `path` with `arguments`. `environment` replaces the test's own when given;
    /// standard input is /dev/null, so nothing waits on a terminal.
    public static func spawn(_ path: String, _ arguments: [String] = [],
                             environment: [String: String]? = nil) throws -> ChildProcess {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        // Close-on-exec at creation, not with a later fcntl: another test's spawn in between
        // would otherwise inherit the write ends and hold them open. Glibc's Swift module has
        // no pipe2 (it needs _GNU_SOURCE), so a socket pair stands in for each pipe.
        guard makeChannel(&out) == 0 else { throw SpawnError(path: path, errno: errno) }
        guard makeChannel(&err) == 0 else {
            let saved = errno
            close(out[0]); close(out[1])
            throw SpawnError(path: path, errno: saved)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envStrings = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = envStrings.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(out[1]); close(err[1])
        guard rc == 0 else {
            close(out[0]); close(err[0])
            throw SpawnError(path: path, errno: rc)
        }
        return ChildProcess(pid: pid, stdoutFD: out[0], stderrFD: err[0])
    }

    /// Runs `path` to its end (or its deadline) and returns what it left behind.
    public static func run(_ path: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                           timeout: Duration = .seconds(300)) async throws -> Result {
        try await spawn(path, arguments, environment: environment).finish(timeout: timeout)
    }

    /// A one-way channel, read end first, both ends close-on-exec.
    private static func makeChannel(_ ends: inout [Int32]) -> Int32 {
        socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends)
    }

    /// Sends `signal` (SIGKILL by default) to the child.
    public func kill(_ signal: Int32 = SIGKILL) { _ = Glibc.kill(pid, signal) }

    /// Drains both pipes and reaps the child off the cooperative pool. Call once.
    public func finish(timeout: Duration = .seconds(300)) async -> Result {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
            let pid = pid, fds = [stdoutFD, stderrFD]
            let deadline = ContinuousClock.now.advanced(by: timeout)
            Thread.detachNewThread {
                continuation.resume(returning: Self.drainAndReap(pid: pid, fds: fds, deadline: deadline))
            }
        }
    }

    private static func drainAndReap(pid: pid_t, fds: [Int32], deadline: ContinuousClock.Instant) -> Result {
        var buffers = [Data(), Data()]
        var open = [true, true]
        var status: Int32 = 0
        var exited = false, timedOut = false
        var chunk = [UInt8](repeating: 0, count: 65536)

        /// Reads what `fd` has now; false once it reached end of file or failed.
        func readAvailable(_ index: Int) -> Bool {
            let n = chunk.withUnsafeMutableBytes { read(fds[index], $0.baseAddress, $0.count) }
            if n > 0 { buffers[index].append(contentsOf: chunk[0..<n]); return true }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { return true }
            return false
        }

        while open.contains(true) {
            // Which pipe each poll slot watches, fixed before any of them is marked closed.
            let watched = (0..<2).filter { open[$0] }
            var polled = watched.map { pollfd(fd: fds[$0], events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), 100)
            if ready > 0 {
                for (slot, entry) in polled.enumerated() where entry.revents != 0 {
                    let index = watched[slot]
                    if !readAvailable(index) { open[index] = false }
                }
            }
            if !exited, waitpid(pid, &status, WNOHANG) == pid { exited = true }
            if exited {
                // The child is gone; a grandchild may still hold the pipes. Take what is
                // buffered and stop rather than wait for an end of file that may never come.
                for index in 0..<2 where open[index] {
                    _ = fcntl(fds[index], F_SETFL, fcntl(fds[index], F_GETFL) | O_NONBLOCK)
                    while true {
                        let n = chunk.withUnsafeMutableBytes { read(fds[index], $0.baseAddress, $0.count) }
                        if n > 0 { buffers[index].append(contentsOf: chunk[0..<n]) } else if n < 0 && errno == EINTR { continue } else { break }
                    }
                    open[index] = false
                }
            } else if !timedOut, ContinuousClock.now >= deadline {
                timedOut = true
                _ = Glibc.kill(pid, SIGKILL)
            }
        }
        fds.forEach { close($0) }
        // Both pipes closed but the child lives on: the deadline still holds.
        while !exited {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno != EINTR) { exited = true; break }
            if !timedOut, ContinuousClock.now >= deadline {
                timedOut = true
                _ = Glibc.kill(pid, SIGKILL)
            }
            usleep(20_000)
        }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stdout: buffers[0], stderr: buffers[1], timedOut: timedOut)
    }
}
