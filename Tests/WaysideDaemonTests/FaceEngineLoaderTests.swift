import Foundation
import Logging
import Synchronization
import Testing
import WaysideCore
import WaysideDaemon
import WaysideTesting

/// A photo taker that answers with a fixed photo, to tell which taker answered.
private struct MarkedTaker: PhotoTaker {
    let mark: UInt8
    func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void) async throws -> CapturedPhoto {
        CapturedPhoto(jpeg: Data([mark]))
    }
}

private struct NoModels: Error {}

@Suite struct FaceEngineLoaderTests {
    @Test func aPhotoAskedForDuringTheLoadWaitsForTheEngine() async throws {
        let release = Mutex(false)
        let loader = FaceEngineLoader(logger: Logger(label: "test"), fallback: MarkedTaker(mark: 0)) {
            // A slow model load: held until the test lets it finish.
            while !release.withLock({ $0 }) { usleep(1_000) }
            return MarkedTaker(mark: 1)
        }
        let photo = Task { try await loader.takePhoto(from: FakeCamera([])) { _ in } }
        let loading = Task { try await loader.run() }
        try await Task.sleep(for: .milliseconds(50))
        release.withLock { $0 = true }
        try await loading.value
        #expect(try await photo.value.jpeg == Data([1]), "the waiting photo came from the loaded engine")
        #expect(try await loader.takePhoto(from: FakeCamera([])) { _ in }.jpeg == Data([1]), "later photos need no wait")
    }

    @Test func aFailedLoadFallsBackAndTheKioskGoesOn() async throws {
        let loader = FaceEngineLoader(logger: Logger(label: "test"), fallback: MarkedTaker(mark: 7)) { throw NoModels() }
        try await loader.run()
        #expect(try await loader.takePhoto(from: FakeCamera([])) { _ in }.jpeg == Data([7]))
    }
}
