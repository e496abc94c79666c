import Logging
import ServiceLifecycle

/// Writes the daemon's heartbeat to the store, so `status` (another process) can tell a live
/// daemon from one that died without saying so.
struct Heartbeat: Service {
    let store: StateStore
    let logger: Logger
    var interval: Duration = .seconds(10)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try store.daemonHeartbeat()
                } catch {
                    logger.error("cannot write the heartbeat", metadata: ["MT_ERROR": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
