import CFaceShim

/// Why a face-engine operation failed, with what a person can do about it.
public struct FaceEngineError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kind of failure.
    public enum Code: String, Sendable {
        /// The caller passed an empty image, bad geometry or a bad face.
        case badInput
        /// A model file is missing.
        case modelMissing
        /// A model file exists but could not be loaded.
        case modelCorrupt
        /// An image could not be decoded.
        case imageUnreadable
        /// dlib or OpenCV failed internally.
        case internalFailure
        /// An allocation failed.
        case outOfMemory
    }

    /// The kind of failure.
    public var code: Code
    /// The operation that failed, e.g. "detect" or "load models".
    public var operation: String
    /// The file involved, if any.
    public var file: String?
    /// Details from the C layer.
    public var detail: String

    /// Makes an error.
    public init(code: Code, operation: String, file: String? = nil, detail: String) {
        self.code = code
        self.operation = operation
        self.file = file
        self.detail = detail
    }

    /// A message a person can act on.
    public var description: String {
        var text = "face engine: \(operation) failed (\(code.rawValue)): \(detail)"
        if let file { text += " [\(file)]" }
        if code == .modelMissing || code == .modelCorrupt {
            text += "; run scripts/fetch-models to download and verify the models"
        }
        return text
    }

    /// Opens an engine handle through a shim: `call(handle, message)` returns the status and
    /// fills the handle; a failure throws with the message and `folder` (the models' folder).
    static func openHandle(folder: String, _ call: (inout OpaquePointer?, inout [CChar]) -> wf_status) throws -> OpaquePointer {
        var message = [CChar](repeating: 0, count: 1024)
        var handle: OpaquePointer?
        let status = call(&handle, &message)
        if let error = from(status, operation: "load models", file: folder, buffer: message) { throw error }
        guard let handle else {
            throw FaceEngineError(code: .internalFailure, operation: "load models", detail: "no handle")
        }
        return handle
    }

    /// Maps a shim status to an error; nil for WF_OK.
    static func from(_ status: wf_status, operation: String, file: String? = nil,
                     buffer: [CChar]) -> FaceEngineError? {
        let detail = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let code: Code
        switch status {
        case WF_OK: return nil
        case WF_ERR_ARGUMENT: code = .badInput
        case WF_ERR_MODEL: code = .modelCorrupt
        case WF_ERR_IMAGE: code = .imageUnreadable
        case WF_ERR_MEMORY: code = .outOfMemory
        default: code = .internalFailure
        }
        return FaceEngineError(code: code, operation: operation, file: file, detail: detail)
    }
}
