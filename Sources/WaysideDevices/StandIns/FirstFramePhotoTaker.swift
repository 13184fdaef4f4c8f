import Foundation
import WaysideCore

/// A ``PhotoTaker`` without a face engine: the first well-formed frame becomes the photo.
///
/// What the sim board uses until a face engine is configured; it takes no template, so
/// a submission made with it carries a photo for the officer but nothing to match on.
public struct FirstFramePhotoTaker: PhotoTaker {
    /// How long to wait for a usable frame.
    public var timeout: Duration

    public init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    public func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void) async throws -> CapturedPhoto {
        try await withThrowingTaskGroup(of: CapturedPhoto?.self) { group in
            group.addTask {
                let codec = try JPEGCodec()
                for await event in camera.events() {
                    guard case .frame(let frame) = event, frame.isWellFormed else { continue }
                    switch frame.format {
                    case .mjpeg:
                        return CapturedPhoto(jpeg: Data(frame.bytes), picture: try? codec.decode(frame.bytes, to: .rgb24))
                    case .rgb24, .gray8:
                        return CapturedPhoto(jpeg: Data(try codec.encode(frame)), picture: frame)
                    case .yuyv:
                        // A V4L2 camera's usual format (the HIL VM's vivid): converted, not skipped.
                        guard let rgb = YUYV.rgb(frame) else { continue }
                        return CapturedPhoto(jpeg: Data(try codec.encode(rgb)), picture: rgb)
                    }
                }
                return nil
            }
            group.addTask { [timeout] in
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            if let photo = try await group.next() ?? nil { return photo }
            throw DeviceFault(.stalled, device: camera.name, operation: "capture", detail: "no usable frame within \(timeout)")
        }
    }
}
