public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `mailtrigger status` shows: per configured mailbox its watcher state, last sync,
/// cursor, UIDVALIDITY, queued/retrying/dead jobs and last error, read from the state store
/// (works while the daemon runs; WAL readers never block it). Holds no secret.
public struct StatusReport: Sendable {
    public struct Mailbox: Sendable {
        public var profile: String
        public var mailbox: String
        /// `not-listening`, `never-started`, a ``StateStore/WatcherState`` raw value, or
        /// `stopped` when the daemon is not running.
        public var state: String
        public var since: Date?
        public var lastSync: Date?
        public var cursor: UInt32?
        public var uidValidity: UInt32?
        public var queued = 0
        public var retrying = 0
        public var dead = 0
        public var lastError: String?
        public var lastErrorAt: Date?
        public var nextAttemptAt: Date?
    }

    public var daemon: StateStore.DaemonRecord?
    /// Whether the recorded daemon is alive: its process exists and its heartbeat is fresh.
    public var daemonRunning: Bool
    public var mailboxes: [Mailbox]

    public init(configuration: Configuration, store: StateStore, now: Date = Date()) throws {
        daemon = try store.daemonRecord()
        if let daemon, daemon.stoppedAt == nil, now.timeIntervalSince(daemon.heartbeatAt) < 35 {
            daemonRunning = kill(daemon.pid, 0) == 0 || errno == EPERM
        } else {
            daemonRunning = false
        }
        let watchers = Dictionary(try store.watcherStatuses().map { ("\($0.profile)/\($0.mailbox)", $0) }) { $1 }
        let states = Dictionary(try store.mailboxStates().map { ("\($0.profile)/\($0.mailbox)", $0) }) { $1 }
        let jobs = try store.jobSummary()
        var mailboxes: [Mailbox] = []
        for profile in configuration.profiles {
            for name in profile.mailboxes {
                let key = "\(profile.name)/\(name)"
                var entry = Mailbox(profile: profile.name, mailbox: name, state: "never-started")
                if let watcher = watchers[key] {
                    entry.state = daemonRunning ? watcher.state.rawValue : "stopped"
                    entry.since = watcher.since
                    entry.lastError = watcher.lastError
                    entry.lastErrorAt = watcher.lastErrorAt
                    entry.nextAttemptAt = daemonRunning ? watcher.nextAttemptAt : nil
                } else if daemon != nil, !daemonRunning {
                    entry.state = "stopped"
                }
                if !profile.listen { entry.state = "not-listening" }
                if let state = states[key] {
                    entry.lastSync = state.lastSyncAt
                    entry.cursor = state.cursor
                    entry.uidValidity = state.uidValidity
                }
                let counts = jobs[key] ?? [:]
                entry.queued = counts["pending"] ?? 0
                entry.retrying = counts["retrying"] ?? 0
                entry.dead = counts["dead"] ?? 0
                mailboxes.append(entry)
            }
        }
        self.mailboxes = mailboxes
    }
}
