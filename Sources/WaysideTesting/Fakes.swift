import Foundation
import WaysideCore

/// A ``Screen`` that records everything shown.
public actor RecordingScreen: Screen {
    public nonisolated let name = "recording screen"
    public private(set) var shown: [ScreenContent] = []
    public init() {}
    public func show(_ content: ScreenContent) { shown.append(content) }
    /// Ids of the screens shown, in order.
    public var ids: [String] { shown.map(\.id) }
    /// Live camera frames drawn, with the id of the screen they were drawn into.
    public private(set) var live: [(frame: Frame, screen: String)] = []
    public func showLive(_ frame: Frame, faceBox: PixelRect?, on content: ScreenContent) { live.append((frame, content.id)) }
}

/// A ``Speaker`` that records every prompt.
public actor RecordingSpeaker: Speaker {
    public nonisolated let name = "recording speaker"
    public private(set) var spoken: [(text: String, languageTag: String)] = []
    public init() {}
    public func say(_ text: String, languageTag: String) { spoken.append((text, languageTag)) }
    public func stop() {}
}

/// A ``FrameSource`` that yields the events it was given, then ends.
public struct FakeCamera: FrameSource {
    public let name = "fake camera"
    public let script: [FrameEvent]
    public init(_ script: [FrameEvent]) { self.script = script }
    public func events() -> AsyncStream<FrameEvent> {
        AsyncStream { continuation in
            for event in script { continuation.yield(event) }
            continuation.finish()
        }
    }
}

/// A ``ButtonSource`` driven by the test: `press(_:)` yields an event, `finish()` ends it.
public final class FakeButtons: ButtonSource, Sendable {
    public let name = "fake buttons"
    private let stream: AsyncStream<ButtonInput>
    private let continuation: AsyncStream<ButtonInput>.Continuation
    public init() { (stream, continuation) = AsyncStream.makeStream(of: ButtonInput.self) }
    public func inputs() -> AsyncStream<ButtonInput> { stream }
    public func press(_ button: Button) {
        continuation.yield(.event(ButtonEvent(button, .press)))
        continuation.yield(.event(ButtonEvent(button, .release)))
    }
    public func finish() { continuation.finish() }
}

/// A ``PhotoTaker`` that answers with a canned photo, or fails.
public struct StubPhotoTaker: PhotoTaker {
    public var result: Result<CapturedPhoto, DeviceFault>
    /// Frames handed to the live picture before the result, `frameInterval` apart.
    public var liveFrames: [Frame]
    public var frameInterval: Duration
    public init(_ result: Result<CapturedPhoto, DeviceFault>, liveFrames: [Frame] = [], frameInterval: Duration = .milliseconds(100)) {
        self.result = result
        self.liveFrames = liveFrames
        self.frameInterval = frameInterval
    }
    public func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void) async throws -> CapturedPhoto {
        try result.get()
    }
    public func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void,
                          preview: @escaping @Sendable (Frame, PixelRect?) async -> Void) async throws -> CapturedPhoto {
        for frame in liveFrames {
            await preview(frame, PixelRect(x: 1, y: 1, width: 4, height: 4))
            try await Task.sleep(for: frameInterval)
        }
        return try result.get()
    }
}

/// An ``Outbox`` whose commit takes `commitDelay`, to test what happens while it is in flight.
public actor SlowOutbox: Outbox {
    private let inner = MemoryOutbox()
    private let commitDelay: Duration
    public private(set) var committed: [UUID] = []
    public private(set) var commitStarted = false
    public init(commitDelay: Duration) { self.commitDelay = commitDelay }
    public func commit(_ submission: Submission) async throws {
        commitStarted = true
        // Deliberately not cancellable: a real commit is an fsync that completes.
        let deadline = ContinuousClock.now + commitDelay
        while ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        try await inner.commit(submission)
        committed.append(submission.id)
    }
    public func pending(limit: Int) async throws -> [OutboxEntry] { await inner.pending(limit: limit) }
    public func acknowledge(_ id: UUID, receipt: Receipt) async throws { await inner.acknowledge(id, receipt: receipt) }
    public func receipt(for id: UUID) async throws -> Receipt? { await inner.receipt(for: id) }
    public func depth() async throws -> Int { await inner.depth() }
}
