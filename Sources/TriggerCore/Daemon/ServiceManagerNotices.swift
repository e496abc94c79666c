/// What the daemon tells its service manager: the CLI sends each with sd_notify(3)
/// (SystemdSupport), which TriggerCore does not import (DESIGN.md §2).
public struct ServiceManagerNotices: Sendable {
    /// The configuration is loaded and the store open (`READY=1`); again after each reload.
    public var ready: @Sendable () -> Void
    /// The one-line summary (``StatusSummary``), whenever it changes (`STATUS=`).
    public var status: @Sendable (String) -> Void
    /// A reload (SIGHUP) begins (`RELOADING=1` with `MONOTONIC_USEC=`).
    public var reloading: @Sendable () -> Void
    /// A graceful shutdown begins (`STOPPING=1`).
    public var stopping: @Sendable () -> Void
    /// When the service manager runs a watchdog: how often to ping (half its interval) and the
    /// ping (`WATCHDOG=1`), sent per ``WatchdogPinger``.
    public var watchdog: (interval: Duration, ping: @Sendable () -> Void)?

    public init(ready: @escaping @Sendable () -> Void = {}, status: @escaping @Sendable (String) -> Void = { _ in },
                reloading: @escaping @Sendable () -> Void = {}, stopping: @escaping @Sendable () -> Void = {},
                watchdog: (interval: Duration, ping: @Sendable () -> Void)? = nil) {
        self.ready = ready
        self.status = status
        self.reloading = reloading
        self.stopping = stopping
        self.watchdog = watchdog
    }
}
