import Foundation

/// The photo a capture produced, ready for review and submission.
public struct CapturedPhoto: Sendable, Equatable {
    public var jpeg: Data
    public var template: FaceTemplate?
    /// Where the face is in the photo, if a face engine found it.
    public var faceBox: PixelRect?
    /// The photo as pixels, for the review screen ("Is this you?") to show.
    public var picture: Frame?

    public init(jpeg: Data, template: FaceTemplate? = nil, faceBox: PixelRect? = nil, picture: Frame? = nil) {
        self.jpeg = jpeg
        self.template = template
        self.faceBox = faceBox
        self.picture = picture
    }
}

/// Turns the camera's frames into one good photo: guidance, quality gate, liveness and
/// template when a face engine is present; the first usable frame otherwise.
public protocol PhotoTaker: Sendable {
    /// Takes a photo from `camera`, reporting guidance keys (e.g. "capture.closer") as it goes.
    /// Throws when no usable photo came within the attempt (the flow retries or moves on).
    func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void) async throws -> CapturedPhoto
    /// The same, also handing each frame it looked at (and the face it found, if any) to
    /// `preview`, for the capture screen's live picture.
    func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void,
                   preview: @escaping @Sendable (Frame, PixelRect?) async -> Void) async throws -> CapturedPhoto
}

extension PhotoTaker {
    /// A photo taker without a live picture: the frames are not shown.
    public func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void,
                          preview: @escaping @Sendable (Frame, PixelRect?) async -> Void) async throws -> CapturedPhoto {
        try await takePhoto(from: camera, guidance: guidance)
    }
}
