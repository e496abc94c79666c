import CSystemd

/// The service manager notification protocol (sd_notify(3)): READY=1, STATUS=…, WATCHDOG=1,
/// RELOADING=1, STOPPING=1. Does nothing when not started by systemd (`NOTIFY_SOCKET` unset).
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends one or more newline-separated `KEY=VALUE` assignments. Returns whether a
    /// notification socket was found and the message sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    /// Whether the service manager expects watchdog pings, and how often (µs) it wants them.
    public var watchdogIntervalMicroseconds: UInt64? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 ? usec : nil
    }
}
