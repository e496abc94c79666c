import Logging
import ServiceLifecycle

/// Writes the daemon's heartbeat to the store, so `status` (another process) can tell a live
/// daemon from one that died without saying so; and prunes old state once an hour (succeeded
/// jobs after 7 days, Message-IDs after 30), so the database does not grow for ever.
struct Heartbeat: Service {
    let store: StateStore
    let logger: Logger
    var interval: Duration = .seconds(10)
    var pruneEvery = 360
    /// Runs after each beat (the status line's outbox counts).
    var afterBeat: @Sendable () -> Void = {}

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var beats = 0
            while !Task.isCancelled {
                do {
                    try store.daemonHeartbeat()
                    if beats % pruneEvery == 0 {
                        let deleted = try store.prune()
                        if deleted > 0 { logger.info("pruned old state", metadata: ["MT_ROWS": "\(deleted)"]) }
                    }
                } catch {
                    logger.error("cannot write the heartbeat", metadata: ["MT_ERROR": "\(error)"])
                }
                afterBeat()
                beats += 1
                try await Task.sleep(for: interval)
            }
        }
    }
}

/// Calls `action` as soon as a graceful shutdown begins (systemd's STOPPING=1 goes out then, not
/// after the drain).
struct ShutdownNotice: Service {
    let action: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        action()
    }
}
