import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every system call the store makes on key and state files goes through here: EINTR is
/// retried and a failure becomes a ``StoreError`` naming the call, the file and the errno.
public enum FileIO {
    /// Calls `body` until it does not fail with EINTR.
    public static func call(_ operation: String, _ path: String, _ body: () -> Int32) throws(StoreError) -> Int32 {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = errno
            if e == EINTR { continue }
            throw StoreError(.io, operation: operation, path: path, errno: e, detail: "check that the state directory exists and is writable by this user")
        }
    }

    /// Writes `data` to a new file at `path` with `mode`, refusing to replace an existing file
    /// (`O_EXCL`), and makes it durable (fsync of the file, then of its directory).
    public static func createDurably(_ path: String, data: Data, mode: mode_t) throws(StoreError) {
        let fd = try call("open", path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        defer { _ = close(fd) }
        // fchmod: the umask may have removed bits, and must never have added any.
        _ = try call("fchmod", path) { fchmod(fd, mode) }
        var offset = 0
        while offset < data.count {
            let n = try call("write", path) {
                data.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress else { return 0 }
                    return Int32(truncatingIfNeeded: write(fd, base.advanced(by: offset), raw.count - offset))
                }
            }
            offset += Int(n)
        }
        _ = try call("fsync", path) { fsync(fd) }
        let dir = (path as NSString).deletingLastPathComponent
        let dfd = try call("open", dir) { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = close(dfd) }
        _ = try call("fsync", dir) { fsync(dfd) }
    }

    /// Writes `data` to `path` all at once, replacing what was there: to `<path>.tmp`
    /// durably, renamed over `path`, and the rename made durable. A power cut leaves the old
    /// file or the new one, never part of either (at most a `.tmp` the reader ignores).
    public static func replaceDurably(_ path: String, data: Data, mode: mode_t) throws(StoreError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        try createDurably(temporary, data: data, mode: mode)
        _ = try call("rename", path) { rename(temporary, path) }
        let dir = (path as NSString).deletingLastPathComponent
        let dfd = try call("open", dir) { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = close(dfd) }
        _ = try call("fsync", dir) { fsync(dfd) }
    }

    /// Reads a whole small file, checking that no one but the owner may read it when `private` is set.
    public static func read(_ path: String, private isPrivate: Bool) throws(StoreError) -> Data {
        let fd = try call("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { _ = close(fd) }
        var st = stat()
        _ = try call("fstat", path) { fstat(fd, &st) }
        if isPrivate && (st.st_mode & 0o077) != 0 {
            throw StoreError(.permissions, operation: "fstat", path: path,
                             detail: "the key file is readable by other users (mode \(String(st.st_mode & 0o777, radix: 8))); treat the key as leaked: remove the state directory and enrol again")
        }
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try call("read", path) {
                buffer.withUnsafeMutableBytes { raw in Int32(truncatingIfNeeded: sysRead(fd, raw.baseAddress, raw.count)) }
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<Int(n)])
        }
        return out
    }

    /// Makes `path` a directory only its owner can enter (mode 0700), creating it if needed.
    public static func makePrivateDirectory(_ path: String) throws(StoreError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw StoreError(.io, operation: "mkdir", path: path, errno: errno, detail: "create the state directory or choose another with --state-dir")
        }
        _ = try call("chmod", path) { chmod(path, 0o700) }
    }

    /// True when a file exists at `path`.
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}

#if canImport(Glibc)
private let sysRead = Glibc.read
#elseif canImport(Musl)
private let sysRead = Musl.read
#elseif canImport(Darwin)
private let sysRead = Darwin.read
#endif
