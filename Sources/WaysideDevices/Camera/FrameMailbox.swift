import Synchronization
import WaysideCore

/// Hands events from a capture thread to one consumer: the newest frame wins, changes of
/// health are never lost.
///
/// An `AsyncStream` with `.bufferingNewest(1)` would also drop a fault or a `.recovered`
/// that a frame follows within one consumer step, and the screen would miss "camera
/// unavailable". Here a posted frame replaces a frame still waiting, while faults and
/// recoveries queue in order (the last 16, should a consumer stop reading altogether).
final class FrameMailbox: Sendable {
    private struct State {
        var queue: [FrameEvent] = []
        var waiter: CheckedContinuation<FrameEvent?, Never>?
        var finished = false
    }
    private let state = Mutex(State())

    /// Counts frames replaced before the consumer took them (for statistics).
    private let replaced = Atomic<Int>(0)

    var framesReplaced: Int { replaced.load(ordering: .relaxed) }

    /// Posts an event from the producer.
    func post(_ event: FrameEvent) {
        let waiter = state.withLock { state -> CheckedContinuation<FrameEvent?, Never>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            if case .frame = event, let stale = state.queue.lastIndex(where: { if case .frame = $0 { true } else { false } }) {
                state.queue.remove(at: stale)
                replaced.add(1, ordering: .relaxed)
            }
            state.queue.append(event)
            if state.queue.count > 17 { state.queue.removeFirst() }
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// Ends the stream: the consumer gets what is queued, then nil.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<FrameEvent?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.queue.isEmpty ? state.waiter : nil
        }
        waiter?.resume(returning: nil)
    }

    /// The next event, or nil once finished and drained.
    func next() async -> FrameEvent? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> FrameEvent?? in
                if !state.queue.isEmpty { return .some(state.queue.removeFirst()) }
                if state.finished { return .some(nil) }
                state.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// An `AsyncStream` over this mailbox; `onEnd` runs once when the consumer cancels its
    /// task or drops the stream (so the capture thread can stop).
    func stream(onEnd: @escaping @Sendable () -> Void) -> AsyncStream<FrameEvent> {
        let token = EndToken(onEnd)
        return AsyncStream(unfolding: { [self] in
            _ = token  // the stream owns the token: dropping the stream ends the session
            return await next()
        }, onCancel: { [self] in
            finish()
            token.fire()
        })
    }
}

/// Runs its action once: when fired, or when the last reference goes.
private final class EndToken: Sendable {
    private let action: Mutex<(@Sendable () -> Void)?>

    init(_ action: @escaping @Sendable () -> Void) { self.action = Mutex(action) }

    func fire() {
        let action = self.action.withLock { value -> (@Sendable () -> Void)? in
            defer { value = nil }
            return value
        }
        action?()
    }

    deinit { fire() }
}
