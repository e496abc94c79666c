public import Foundation
import GRDB

extension StateStore.MailboxState {
    init(row: Row) {
        self.init(profile: row["profile"], mailbox: row["mailbox"], uidValidity: UInt32(row["uid_validity"] as Int64),
                  cursor: UInt32(row["cursor"] as Int64),
                  lastSyncAt: (row["last_sync_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                  lastError: row["last_error"], reprocessThrough: (row["reprocess_through"] as Int64?).map { UInt32($0) })
    }
}

extension StateStore {
    /// What a watcher is doing, as `status` shows it.
    public enum WatcherState: String, Hashable, Sendable {
        case connecting
        /// Connected, mailbox selected, synced: waiting in IDLE or for the next poll.
        case watching
        case syncing
        /// The last attempt failed; the next one is scheduled.
        case backingOff = "backing-off"
        /// The server refused the credentials; retried with a longer backoff.
        case authFailed = "auth-failed"
        /// The OAuth 2.0 authorization server refused the refresh token or the client: only a
        /// new sign-in (`mailtrigger oauth login`) helps; retried with the longer backoff.
        case reauthNeeded = "reauth-needed"
        case stopped
    }

    /// A watcher's last reported state.
    public struct WatcherStatus: Hashable, Sendable {
        public var profile: String
        public var mailbox: String
        public var state: WatcherState
        /// When the watcher entered this state.
        public var since: Date
        /// When the watcher last wrote (a heartbeat while it waits).
        public var updatedAt: Date
        public var lastError: String?
        public var lastErrorAt: Date?
        public var nextAttemptAt: Date?
    }

    /// Records a watcher's state. `since` only moves when the state changes; an error is kept
    /// (with its time) until a later one replaces it, so `status` can show the last failure.
    public func setWatcherState(profile: String, mailbox: String, _ state: WatcherState, error: String? = nil,
                                nextAttemptAt: Date? = nil, now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO watcher_status (profile, mailbox, state, since, updated_at, last_error, last_error_at, next_attempt_at)
                VALUES (?1, ?2, ?3, ?4, ?4, ?5, CASE WHEN ?5 IS NULL THEN NULL ELSE ?4 END, ?6)
                ON CONFLICT (profile, mailbox) DO UPDATE SET
                    since = CASE WHEN state = excluded.state THEN since ELSE excluded.since END,
                    state = excluded.state, updated_at = excluded.updated_at,
                    last_error = COALESCE(excluded.last_error, last_error),
                    last_error_at = COALESCE(excluded.last_error_at, last_error_at),
                    next_attempt_at = excluded.next_attempt_at
                """, arguments: [profile, mailbox, state.rawValue, now.timeIntervalSince1970, error,
                                 nextAttemptAt?.timeIntervalSince1970])
        }
    }

    /// Every watcher's last reported state.
    public func watcherStatuses() throws -> [WatcherStatus] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM watcher_status ORDER BY profile, mailbox").map { row in
                WatcherStatus(profile: row["profile"], mailbox: row["mailbox"],
                              state: WatcherState(rawValue: row["state"]) ?? .stopped,
                              since: Date(timeIntervalSince1970: row["since"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
                              lastError: row["last_error"], lastErrorAt: (row["last_error_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                              nextAttemptAt: (row["next_attempt_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    /// Every mailbox's cursor.
    public func mailboxStates() throws -> [MailboxState] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM mailbox_state ORDER BY profile, mailbox").map(MailboxState.init(row:))
        }
    }

    /// The running daemon, as it last reported itself.
    public struct DaemonRecord: Hashable, Sendable {
        public var pid: Int32
        public var startedAt: Date
        public var heartbeatAt: Date
        public var stoppedAt: Date?
    }

    /// Records that a daemon started; its watchers' old states are stale and are cleared.
    public func daemonStarted(pid: Int32, now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO daemon (id, pid, started_at, heartbeat_at) VALUES (1, ?1, ?2, ?2)
                ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, started_at = excluded.started_at,
                    heartbeat_at = excluded.heartbeat_at, stopped_at = NULL
                """, arguments: [pid, now.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM watcher_status")
        }
    }

    public func daemonHeartbeat(now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE daemon SET heartbeat_at = ? WHERE id = 1", arguments: [now.timeIntervalSince1970])
        }
    }

    public func daemonStopped(now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE daemon SET stopped_at = ?1, heartbeat_at = ?1 WHERE id = 1", arguments: [now.timeIntervalSince1970])
            try db.execute(sql: "UPDATE watcher_status SET state = 'stopped', updated_at = ?1", arguments: [now.timeIntervalSince1970])
        }
    }

    public func daemonRecord() throws -> DaemonRecord? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM daemon WHERE id = 1").map { row in
                DaemonRecord(pid: Int32(row["pid"] as Int64), startedAt: Date(timeIntervalSince1970: row["started_at"]),
                             heartbeatAt: Date(timeIntervalSince1970: row["heartbeat_at"]),
                             stoppedAt: (row["stopped_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    /// Pending jobs and dead letters over the whole outbox (for the service's status line).
    public func outboxTotals() throws -> (pending: Int, dead: Int) {
        try database.read { db in
            let pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") ?? 0
            let dead = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE status = 'dead'") ?? 0
            return (pending, dead)
        }
    }

    /// Jobs by (profile, mailbox) and status, with the count of those that failed at least
    /// once and wait for a retry.
    public func jobSummary() throws -> [String: [String: Int]] {
        try database.read { db in
            var summary: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT profile, mailbox, CASE WHEN status = 'pending' AND attempts > 0 THEN 'retrying' ELSE status END, COUNT(*)
                FROM outbox GROUP BY 1, 2, 3
                """) {
                let key = "\(row[0] as String)/\(row[1] as String)"
                summary[key, default: [:]][row[2] as String] = row[3]
            }
            return summary
        }
    }
}
