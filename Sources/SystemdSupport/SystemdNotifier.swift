import CSystemd
import Glibc

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

    /// `RELOADING=1` with `MONOTONIC_USEC=` (sd_notify(3)): the reload's start on
    /// CLOCK_MONOTONIC, which systemd needs to tell this reload from an earlier one.
    @discardableResult
    public func reloading() -> Bool {
        notify(Self.reloadingMessage(monotonicMicroseconds: Self.monotonicMicroseconds))
    }

    static func reloadingMessage(monotonicMicroseconds: UInt64) -> String {
        "RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds)"
    }

    /// CLOCK_MONOTONIC now, in microseconds.
    static var monotonicMicroseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }

    /// Whether the service manager expects watchdog pings, and how often (µs) it wants them.
    public var watchdogIntervalMicroseconds: UInt64? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 ? usec : nil
    }
}
