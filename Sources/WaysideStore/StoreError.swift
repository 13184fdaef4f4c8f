import Foundation

/// Why a store operation on the kiosk failed: what was tried, on which file, and what to do.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable {
        /// A file could not be created, read or written (see `errno`).
        case io
        /// A key file is readable by other users; the key must be treated as leaked.
        case permissions
        /// A file exists but does not hold what it should.
        case corrupt
        /// The device is not enrolled yet: run `waysidectl enrol`.
        case notEnrolled
        /// The device is already enrolled; refuse to overwrite its key.
        case alreadyEnrolled
    }
    /// The kind of failure.
    public var code: Code
    /// The operation that failed, e.g. "open", "write", "fsync".
    public var operation: String
    /// The file involved.
    public var path: String
    /// The errno, when a system call failed.
    public var errno: Int32?
    /// What a person can do about it.
    public var detail: String

    /// Makes an error.
    public init(_ code: Code, operation: String, path: String, errno: Int32? = nil, detail: String) {
        self.code = code
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// The message, naming the file and the errno.
    public var description: String {
        var s = "store \(code.rawValue): \(operation) \(path)"
        if let errno { s += " failed with errno \(errno) (\(String(cString: strerror(errno))))" }
        return s + ": " + detail
    }
}
