import Synchronization

/// Bounds how many watchers open a connection at once: connect, TLS handshake, sign-in and
/// SELECT — the steps that cost the server a process, a handshake and an authentication each.
///
/// A daemon with a thousand mailboxes starts (or restarts) all its watchers together; without a
/// bound every one of them would connect in the same instant and the server, or its
/// authentication back end, would see a storm. Waiters are served first come, first served; a
/// cancelled waiter leaves the queue without taking a permit. The holders make progress on
/// their own timeouts (``IMAPClientConfiguration/connectTimeout`` and `commandTimeout`), so
/// the queue always moves.
public final class ConnectGate: Sendable {
    /// The default bound: enough to bring 1,000 mailboxes up in seconds on a nearby server,
    /// few enough that a restart does not look like an attack (docs/operations.md).
    public static let defaultLimit = 16

    /// Permits held at most at once.
    public let limit: Int

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var free: Int
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(limit: Int = ConnectGate.defaultLimit) {
        self.limit = max(1, limit)
        state = Mutex(State(free: max(1, limit)))
    }

    /// Runs `work` holding a permit. When none is free, calls `onWait` once, then waits its turn
    /// (throwing `CancellationError` if the task is cancelled while waiting).
    public func withPermit<T>(onWait: () -> Void = {}, _ work: () async throws -> T) async throws -> T {
        try await acquire(onWait: onWait)
        defer { release() }
        return try await work()
    }

    /// Permits held now.
    public var held: Int { state.withLock { limit - $0.free } }

    /// Tasks waiting for a permit now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    private func acquire(onWait: () -> Void) async throws {
        let id: UInt64? = state.withLock { state in
            if state.free > 0 {
                state.free -= 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        onWait()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let now: Result<Void, any Error>? = state.withLock { state in
                    // Cancelled before it could queue: the cancellation handler found nothing.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    // A permit freed between the first look and now.
                    if state.free > 0 {
                        state.free -= 1
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let leaving = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            leaving?.resume(throwing: CancellationError())
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            // The permit passes straight to the longest waiter.
            guard !state.waiters.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}
