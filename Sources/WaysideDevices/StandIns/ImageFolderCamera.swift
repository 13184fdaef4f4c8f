import Foundation
import WaysideCore

/// A camera stand-in that plays the JPEG files of a folder in name order (or one still image).
///
/// Frames are yielded as MJPEG, as a UVC webcam delivers them, so the kiosk decodes them on
/// the same path as a real camera. A missing folder is a ``DeviceFault/Code/missing`` fault,
/// retried with back-off; a file that is not a JPEG is a ``DeviceFault/Code/corruptData``
/// fault and is skipped.
public struct ImageFolderCamera<C: Clock>: FrameSource where C.Duration == Duration {
    public let path: String
    public let framesPerSecond: Int
    public let loop: Bool
    private let clock: C

    public var name: String { "images: \(path)" }

    public init(path: String, framesPerSecond: Int = 10, loop: Bool = true, clock: C) {
        self.path = path
        self.framesPerSecond = max(1, framesPerSecond)
        self.loop = loop
        self.clock = clock
    }

    /// The JPEG files to play, in name order; a path to one file plays that file.
    public func imageFiles() throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DeviceFault(.missing, device: path, operation: "open", detail: "no such folder or file; run scripts/setup to fetch the demo images")
        }
        guard isDirectory.boolValue else { return [path] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
        return names.filter { $0.lowercased().hasSuffix(".jpg") || $0.lowercased().hasSuffix(".jpeg") }
            .sorted().map { "\(path)/\($0)" }
    }

    public func events() -> AsyncStream<FrameEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: FrameEvent.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task { [self] in
            let codec = try? JPEGCodec()
            var sequence: UInt64 = 0
            var backoff = Duration.milliseconds(200)
            var faulted = false
            let interval = Duration.seconds(1) / framesPerSecond
            let start = clock.now
            while !Task.isCancelled {
                let files: [String]
                do {
                    files = try imageFiles()
                    guard !files.isEmpty else {
                        throw DeviceFault(.missing, device: path, operation: "list", detail: "the folder has no .jpg files")
                    }
                } catch {
                    continuation.yield(.fault(error as? DeviceFault ?? DeviceFault(.ioError, device: path, operation: "list", detail: "\(error)")))
                    faulted = true
                    try? await clock.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                    continue
                }
                if faulted {
                    continuation.yield(.recovered)
                    faulted = false
                    backoff = .milliseconds(200)
                }
                for file in files {
                    if Task.isCancelled { break }
                    guard let data = FileManager.default.contents(atPath: file),
                          let size = try? codec?.dimensions(of: [UInt8](data)) else {
                        continuation.yield(.fault(DeviceFault(.corruptData, device: file, operation: "read", detail: "not a JPEG file; skipped")))
                        continue
                    }
                    let frame = Frame(width: size.width, height: size.height, format: .mjpeg, bytes: [UInt8](data),
                                      sequence: sequence, timestamp: start.duration(to: clock.now))
                    sequence += 1
                    continuation.yield(.frame(frame))
                    try? await clock.sleep(for: interval)
                }
                if !loop { break }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
