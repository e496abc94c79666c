public import Logging
public import ServiceLifecycle

/// Pings the service manager's watchdog (sd_watchdog_enabled(3): `WATCHDOG=1` at least every
/// `WatchdogSec=`) only while every watcher kept its promise of progress (``WatcherBoard``,
/// DESIGN.md §5): proven alive by a recent round trip, or in a counted backoff. One wedged
/// watcher stops the pings, and systemd restarts the service: a restart is better than a
/// mailbox silently no longer watched. A wedge is logged once, at error, naming the watcher.
public struct WatchdogPinger: Service {
    /// How often to ping: half the service manager's interval.
    public let interval: Duration
    public let board: WatcherBoard
    public let ping: @Sendable () -> Void
    public let logger: Logger

    public init(interval: Duration, board: WatcherBoard, logger: Logger, ping: @escaping @Sendable () -> Void) {
        self.interval = interval
        self.board = board
        self.ping = ping
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var reported: Set<String> = []
            while !Task.isCancelled {
                reported = self.beat(reported: reported)
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One check: pings when no watcher is overdue, else logs the newly overdue ones. Returns
    /// the overdue watchers, so each wedge is logged once.
    func beat(reported: Set<String>, now: ContinuousClock.Instant = .now) -> Set<String> {
        let overdue = board.overdue(at: now)
        guard !overdue.isEmpty else {
            ping()
            return []
        }
        var names: Set<String> = []
        for entry in overdue {
            let name = entry.profile + "/" + entry.mailbox
            names.insert(name)
            guard !reported.contains(name) else { continue }
            logger.error("watcher wedged: no progress within its deadline; watchdog pings stopped",
                         metadata: ["MT_PROFILE": "\(entry.profile)", "MT_MAILBOX": "\(entry.mailbox)",
                                    "MT_STATE": "\(entry.state.rawValue)"])
        }
        return names
    }
}
