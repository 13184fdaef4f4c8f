import Foundation

/// Everything the matcher refuses, with what to do about it.
///
/// One error type for the whole target, after the house habit: a `code` a program can
/// switch on, the operation that failed, the file when there is one, and a message a
/// person can act on.
public struct MatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in a form a program can switch on.
    public enum Code: String, Sendable, Equatable {
        /// Two templates (or a template and a gallery or calibration) come from different
        /// engines or model versions: their scores would mean nothing.
        case modelMismatch = "model-mismatch"
        /// A template has the wrong length, a non-finite value or no length at all.
        case badTemplate = "bad-template"
        /// A serialised template or gallery file is not in a format this build reads.
        case badFormat = "bad-format"
        /// A gallery file is shorter than its header says (cut off while copying or writing).
        case truncated
        /// A gallery file's checksum does not match its contents.
        case corrupt
        /// The person asked for is not in the gallery.
        case notInGallery = "not-in-gallery"
        /// The gallery file has no spare capacity for another template.
        case galleryFull = "gallery-full"
        /// The calibration file is missing, unreadable or made for another model.
        case calibration
        /// A system call failed.
        case system
        /// A caller passed an argument outside its range.
        case badArgument = "bad-argument"
    }

    /// What went wrong.
    public var code: Code
    /// What was being done ("open gallery", "compare templates").
    public var operation: String
    /// The file involved, if any.
    public var file: String?
    /// `errno` for ``Code/system``.
    public var errno: Int32?
    /// The specifics, phrased for the person who has to fix it.
    public var detail: String

    /// Makes an error.
    public init(code: Code, operation: String, file: String? = nil, errno: Int32? = nil, detail: String) {
        self.code = code
        self.operation = operation
        self.file = file
        self.errno = errno
        self.detail = detail
    }

    /// "open gallery /var/lib/wayside/today.gallery: truncated: ...".
    public var description: String {
        var text = operation
        if let file { text += " \(file)" }
        text += ": \(code.rawValue): \(detail)"
        if let errno { text += " (errno \(errno): \(String(cString: strerror(errno))))" }
        return text
    }
}
