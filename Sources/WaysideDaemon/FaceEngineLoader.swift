#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WaysideCore

/// Loads the face engine beside the kiosk instead of before it.
///
/// Reading dlib's models takes about a second on a laptop and several on a small board
/// (8 s of a 26 s boot in the emulated appliance): time in which the screen stayed dark
/// and systemd waited for READY=1. Nobody needs the engine before the photo step, a minute
/// into a visit, so the kiosk shows its first screen at once and this service loads the
/// models on a thread of its own. A photo asked for before then waits for the load.
/// When the load fails (no models yet) the fallback takes the photos, and the log says why.
public final class FaceEngineLoader: PhotoTaker, Service {
    private enum State {
        case loading(waiters: [CheckedContinuation<any PhotoTaker, Never>])
        case loaded(any PhotoTaker)
    }
    private let state = Mutex(State.loading(waiters: []))
    private let load: @Sendable () throws -> any PhotoTaker
    private let fallback: any PhotoTaker
    private let logger: Logger

    /// `load` builds the engine's photo taker on a thread of its own; `fallback` takes the
    /// photos when it throws.
    public init(logger: Logger, fallback: any PhotoTaker, load: @escaping @Sendable () throws -> any PhotoTaker) {
        self.logger = logger
        self.fallback = fallback
        self.load = load
    }

    public func run() async throws {
        let started = ContinuousClock.now
        let taker: any PhotoTaker = await withCheckedContinuation { continuation in
            let thread = Thread { [load, fallback, logger] in
                // The lowest priority: on a one-core board the load must not slow the
                // person's button presses (it took 53 s beside a visit under emulation,
                // and the visit ran into its inactivity timeout).
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)  // 0: this thread (Linux nice is per thread)
                do {
                    continuation.resume(returning: try load())
                } catch {
                    logger.warning("no face engine: photos are taken without a face check or template",
                                   metadata: ["error": "\(error)"])
                    continuation.resume(returning: fallback)
                }
            }
            thread.name = "wayside-face-load"
            thread.start()
        }
        logger.info("photo taker ready", metadata: ["seconds": "\(started.duration(to: .now))"])
        let waiters = state.withLock { state -> [CheckedContinuation<any PhotoTaker, Never>] in
            guard case .loading(let waiters) = state else { return [] }
            state = .loaded(taker)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: taker) }
    }

    /// The loaded photo taker, waiting for the load if it is not done yet.
    private func loadedTaker() async -> any PhotoTaker {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> (any PhotoTaker)? in
                switch state {
                case .loaded(let taker): return taker
                case .loading(var waiters):
                    waiters.append(continuation)
                    state = .loading(waiters: waiters)
                    return nil
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    public func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void) async throws -> CapturedPhoto {
        try await loadedTaker().takePhoto(from: camera, guidance: guidance)
    }

    public func takePhoto(from camera: any FrameSource, guidance: @escaping @Sendable (String) async -> Void,
                          preview: @escaping @Sendable (Frame, PixelRect?) async -> Void) async throws -> CapturedPhoto {
        try await loadedTaker().takePhoto(from: camera, guidance: guidance, preview: preview)
    }
}
