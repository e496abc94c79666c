public import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// Durable state in SQLite (WAL): per-mailbox cursors and the outbox (DESIGN.md §5).
///
/// The cursor of a (profile, mailbox) is the highest UID fully ingested under its UIDVALIDITY.
/// Ingesting a message — queueing one job per matched action and advancing the cursor — is one
/// transaction: a crash before the commit re-fetches the message, after it the jobs are durable.
public final class StateStore: Sendable {
    let database: DatabasePool
    /// Whether this open created the database file: a first start, or a database deleted
    /// while the daemon was stopped. Every mailbox then starts by its `startFrom` policy.
    public let created: Bool

    /// The schema version after migrations (`grdb_migrations` holds the applied ones).
    public static let schemaVersion = "v4"

    /// Opens (creating if needed) the database at `path`, in WAL mode, and migrates it. The file
    /// is made readable by its owner only (0600) whatever the umask: it holds mail-derived
    /// payloads and OAuth tokens. SQLite gives its `-wal` and `-shm` files the database file's
    /// mode.
    public init(path: String) throws {
        var fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        created = fd >= 0
        if fd < 0 { fd = Glibc.open(path, O_WRONLY | O_CLOEXEC) }
        if fd >= 0 {
            fchmod(fd, 0o600)
            close(fd)
        }
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        // WAL with synchronous=NORMAL survives a process crash (kill -9) without losing a commit;
        // a power cut may roll back the newest commits, but cursor and jobs roll back together,
        // so those messages are fetched and queued again: duplicates at worst (receivers dedupe
        // on Idempotency-Key), never a loss. FULL would add an fsync to every batch.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        do {
            try Self.migrator.migrate(database)
        } catch {
            // Two processes opening a new database at once (`run` and `status`) both see no
            // tables; the loser's CREATE fails. Once the winner committed, a second attempt
            // finds the migrations applied.
            try Self.migrator.migrate(database)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE mailbox_state (
                    profile TEXT NOT NULL,
                    mailbox TEXT NOT NULL,
                    uid_validity INTEGER NOT NULL,
                    cursor INTEGER NOT NULL,
                    baselined_at REAL NOT NULL,
                    last_sync_at REAL,
                    last_error TEXT,
                    PRIMARY KEY (profile, mailbox)
                ) STRICT;
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    profile TEXT NOT NULL,
                    mailbox TEXT NOT NULL,
                    uid_validity INTEGER NOT NULL,
                    uid INTEGER NOT NULL,
                    flow TEXT NOT NULL,
                    action_index INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('action', 'post')),
                    payload BLOB NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    created_at REAL NOT NULL,
                    last_error TEXT
                ) STRICT;
                CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
                CREATE INDEX outbox_message ON outbox (profile, mailbox, uid_validity, uid, flow);
                CREATE TABLE seen_message_ids (
                    profile TEXT NOT NULL,
                    mailbox TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    seen_at REAL NOT NULL,
                    PRIMARY KEY (profile, mailbox, message_id)
                ) STRICT;
                """)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE watcher_status (
                    profile TEXT NOT NULL,
                    mailbox TEXT NOT NULL,
                    state TEXT NOT NULL,
                    since REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    last_error TEXT,
                    last_error_at REAL,
                    next_attempt_at REAL,
                    PRIMARY KEY (profile, mailbox)
                ) STRICT;
                CREATE TABLE daemon (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    pid INTEGER NOT NULL,
                    started_at REAL NOT NULL,
                    heartbeat_at REAL NOT NULL,
                    stopped_at REAL
                ) STRICT;
                ALTER TABLE mailbox_state ADD COLUMN reprocess_through INTEGER;
                """)
        }
        // Payloads move to their own table. A job's status changes up to three times; with its
        // payload (a few KB of mail, larger than a page) in the same row, SQLite rewrote the
        // whole record and its overflow pages each time. The migrator runs with foreign keys
        // off and checks them at the end.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE outbox_v3 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    profile TEXT NOT NULL,
                    mailbox TEXT NOT NULL,
                    uid_validity INTEGER NOT NULL,
                    uid INTEGER NOT NULL,
                    flow TEXT NOT NULL,
                    action_index INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('action', 'post')),
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    created_at REAL NOT NULL,
                    last_error TEXT
                ) STRICT;
                INSERT INTO outbox_v3 (id, idempotency_key, profile, mailbox, uid_validity, uid, flow, action_index, kind, status,
                                       attempts, next_attempt_at, created_at, last_error)
                    SELECT id, idempotency_key, profile, mailbox, uid_validity, uid, flow, action_index, kind, status,
                           attempts, next_attempt_at, created_at, last_error FROM outbox;
                CREATE TABLE outbox_payload (
                    job_id INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
                    payload BLOB NOT NULL
                ) STRICT;
                INSERT INTO outbox_payload (job_id, payload) SELECT id, payload FROM outbox;
                DROP TABLE outbox;
                ALTER TABLE outbox_v3 RENAME TO outbox;
                CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
                CREATE INDEX outbox_message ON outbox (profile, mailbox, uid_validity, uid, flow);
                """)
        }
        // OAuth 2.0 tokens per profile (docs/oauth2.md): the access token with its expiry, so a
        // restart does not fetch a new one, and a rotated refresh token, which replaces the
        // configured one as long as that stays the one it came from (`refresh_origin`).
        migrator.registerMigration("v4") { db in
            try db.execute(sql: """
                CREATE TABLE oauth_token (
                    profile TEXT PRIMARY KEY,
                    access_token TEXT,
                    expires_at REAL,
                    refresh_token TEXT,
                    refresh_origin TEXT,
                    updated_at REAL NOT NULL
                ) STRICT;
                """)
        }
        return migrator
    }

    /// Where a mailbox stands.
    public struct MailboxState: Hashable, Sendable {
        public var profile: String
        public var mailbox: String
        public var uidValidity: UInt32
        /// The highest UID fully ingested.
        public var cursor: UInt32
        public var lastSyncAt: Date?
        public var lastError: String?
        /// Under the `reprocess` policy: UIDs up to this one are deduped by Message-ID.
        public var reprocessThrough: UInt32?
    }

    /// A job to queue while ingesting a message.
    public struct NewJob: Hashable, Sendable {
        public enum Kind: String, Sendable { case action, post }

        public var flow: String
        public var actionIndex: Int
        public var kind: Kind
        /// `<profile>/<mailbox>/<uidvalidity>/<uid>/<flow>` plus the action index: the same
        /// message, flow and action never queue twice.
        public var idempotencyKey: String
        public var payload: Data

        public init(flow: String, actionIndex: Int, kind: Kind = .action, idempotencyKey: String, payload: Data) {
            self.flow = flow
            self.actionIndex = actionIndex
            self.kind = kind
            self.idempotencyKey = idempotencyKey
            self.payload = payload
        }
    }

    /// The state store refused an operation that would break delivery semantics.
    public struct StateError: Error, CustomStringConvertible {
        public var description: String
    }

    public func mailboxState(profile: String, mailbox: String) throws -> MailboxState? {
        try database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM mailbox_state WHERE profile = ? AND mailbox = ?
                """, arguments: [profile, mailbox]).map(MailboxState.init(row:))
        }
    }

    /// Sets the baseline: a first run (`startFrom`) or a UIDVALIDITY change. Messages at or
    /// below `cursor` are never processed under this UIDVALIDITY.
    /// With `reprocessThrough`, messages up to that UID are checked against recently seen
    /// Message-IDs before they fire (the `reprocess` policy after a UIDVALIDITY change).
    public func setBaseline(profile: String, mailbox: String, uidValidity: UInt32, cursor: UInt32,
                            reprocessThrough: UInt32? = nil) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO mailbox_state (profile, mailbox, uid_validity, cursor, baselined_at, reprocess_through)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (profile, mailbox) DO UPDATE SET uid_validity = excluded.uid_validity,
                    cursor = excluded.cursor, baselined_at = excluded.baselined_at,
                    reprocess_through = excluded.reprocess_through
                """, arguments: [profile, mailbox, Int64(uidValidity), Int64(cursor), Date().timeIntervalSince1970,
                                 reprocessThrough.map { Int64($0) }])
        }
    }

    /// One message to ingest: its UID, its jobs and (for the `reprocess` dedupe) its Message-ID.
    public struct IngestedMessage: Hashable, Sendable {
        public var uid: UInt32
        public var messageID: String?
        public var jobs: [NewJob]

        public init(uid: UInt32, messageID: String? = nil, jobs: [NewJob]) {
            self.uid = uid
            self.messageID = messageID
            self.jobs = jobs
        }
    }

    /// Ingests one message in one transaction: queues its jobs (a job whose idempotency key is
    /// already queued is skipped) and advances the cursor to `uid`. Refuses when the stored
    /// UIDVALIDITY differs (the caller must rebaseline first). Returns the number of new jobs.
    @discardableResult
    public func ingest(profile: String, mailbox: String, uidValidity: UInt32, uid: UInt32, jobs: [NewJob],
                       messageID: String? = nil) throws -> Int {
        try ingest(profile: profile, mailbox: mailbox, uidValidity: uidValidity,
                   messages: [IngestedMessage(uid: uid, messageID: messageID, jobs: jobs)])
    }

    /// Ingests a batch of messages in one transaction (one commit per fetch batch keeps a burst
    /// fast): every job is queued and the cursor advances to the highest UID, or nothing
    /// happens at all. The caller passes every message of the batch, so no UID below the new
    /// cursor is left out. `beforeCommit` lets tests fail the transaction at its last moment,
    /// as a crash would.
    @discardableResult
    public func ingest(profile: String, mailbox: String, uidValidity: UInt32, messages: [IngestedMessage],
                       beforeCommit: (() throws -> Void)? = nil) throws -> Int {
        try database.write { db in
            let inserted = try Self.ingest(db, profile: profile, mailbox: mailbox, uidValidity: uidValidity, messages: messages)
            try beforeCommit?()
            return inserted
        }
    }

    /// ``ingest(profile:mailbox:uidValidity:messages:beforeCommit:)`` for the daemon: the task
    /// waits for SQLite's writer without holding one of the few threads of the cooperative pool.
    ///
    /// `onCommit` gets the jobs queued, as the outbox now holds them, right after the commit and
    /// before the writer does anything else: the dispatcher can take them without reading them
    /// back, and no result of theirs can have been recorded before it has them.
    @discardableResult
    public func ingest(profile: String, mailbox: String, uidValidity: UInt32, messages: [IngestedMessage],
                       onCommit: (@Sendable ([Job]) -> Void)? = nil) async throws -> Int {
        // The transaction is run by hand, so `onCommit` is called on the writer once COMMIT has
        // succeeded, and never otherwise. A commit-time observer (`afterNextTransaction`) is not
        // enough: when COMMIT fails on a full disk, SQLite rolls back by itself, GRDB tells no
        // observer, and the observer fired at the next commit of anything else — handing the
        // dispatcher jobs that were never stored, which ran twice once space returned.
        try await database.writeWithoutTransaction { db in
            var queued: [Job]?
            if onCommit != nil { queued = [] }
            var count = 0
            try db.inTransaction(.immediate) {
                count = try Self.ingest(db, profile: profile, mailbox: mailbox, uidValidity: uidValidity, messages: messages,
                                        queued: &queued)
                return .commit
            }
            if let onCommit, let queued, !queued.isEmpty { onCommit(queued) }
            return count
        }
    }

    static func ingest(_ db: Database, profile: String, mailbox: String, uidValidity: UInt32,
                       messages: [IngestedMessage]) throws -> Int {
        var queued: [Job]?
        return try ingest(db, profile: profile, mailbox: mailbox, uidValidity: uidValidity, messages: messages, queued: &queued)
    }

    /// Ingests `messages`; when `queued` is not nil, appends each job queued to it.
    static func ingest(_ db: Database, profile: String, mailbox: String, uidValidity: UInt32,
                       messages: [IngestedMessage], queued: inout [Job]?) throws -> Int {
        guard let highest = messages.map(\.uid).max() else { return 0 }
        let stored = try db.cachedStatement(sql: "SELECT uid_validity FROM mailbox_state WHERE profile = ? AND mailbox = ?")
        guard let row = try Row.fetchOne(stored, arguments: [profile, mailbox]) else {
            throw StateError(description: "\(profile)/\(mailbox) has no baseline; set one before ingesting")
        }
        guard UInt32(row[0] as Int64) == uidValidity else {
            throw StateError(description: "\(profile)/\(mailbox): UIDVALIDITY changed (stored \(row[0] as Int64), got \(uidValidity)); rebaseline first")
        }
        let now = Date().timeIntervalSince1970
        var inserted = 0
        for message in messages {
            for job in message.jobs {
                guard let id = try insertJob(db, job, profile: profile, mailbox: mailbox, uidValidity: uidValidity,
                                             uid: message.uid, now: now) else { continue }
                inserted += 1
                queued?.append(Job(id: id, idempotencyKey: job.idempotencyKey, profile: profile, mailbox: mailbox,
                                   uidValidity: uidValidity, uid: message.uid, flow: job.flow, actionIndex: job.actionIndex,
                                   kind: job.kind, payload: job.payload, nextAttemptAt: Date(timeIntervalSince1970: now),
                                   createdAt: Date(timeIntervalSince1970: now)))
            }
            if let messageID = message.messageID {
                try db.cachedStatement(sql: """
                    INSERT INTO seen_message_ids (profile, mailbox, message_id, seen_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET seen_at = excluded.seen_at
                    """).execute(arguments: [profile, mailbox, messageID, now])
            }
        }
        try db.cachedStatement(sql: """
            UPDATE mailbox_state SET cursor = MAX(cursor, ?), last_sync_at = ?, last_error = NULL
            WHERE profile = ? AND mailbox = ?
            """).execute(arguments: [Int64(highest), now, profile, mailbox])
        return inserted
    }

    /// Queues `job` unless a job with its idempotency key exists; returns its id if it was queued.
    static func insertJob(_ db: Database, _ job: NewJob, profile: String, mailbox: String, uidValidity: UInt32, uid: UInt32,
                          now: Double) throws -> Int64? {
        try db.cachedStatement(sql: """
            INSERT INTO outbox (idempotency_key, profile, mailbox, uid_validity, uid, flow, action_index, kind,
                                next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING
            """).execute(arguments: [job.idempotencyKey, profile, mailbox, Int64(uidValidity), Int64(uid), job.flow,
                                     job.actionIndex, job.kind.rawValue, now, now])
        guard db.changesCount > 0 else { return nil }
        let id = db.lastInsertedRowID
        try db.cachedStatement(sql: "INSERT INTO outbox_payload (job_id, payload) VALUES (?, ?)").execute(arguments: [id, job.payload])
        return id
    }

    /// Records a completed sync that found nothing new (for `status`).
    public func recordSync(profile: String, mailbox: String, at date: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE mailbox_state SET last_sync_at = ? WHERE profile = ? AND mailbox = ?",
                           arguments: [date.timeIntervalSince1970, profile, mailbox])
        }
    }

    /// Whether a Message-ID was ingested in this mailbox since `since` (the `reprocess` policy's
    /// dedupe after a UIDVALIDITY change).
    public func hasSeen(messageID: String, profile: String, mailbox: String, since: Date) throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM seen_message_ids WHERE profile = ? AND mailbox = ? AND message_id = ? AND seen_at >= ?)
                """, arguments: [profile, mailbox, messageID, since.timeIntervalSince1970]) ?? false
        }
    }

    /// Jobs by status for one mailbox (for `status`).
    public func jobCounts(profile: String, mailbox: String) throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT status, COUNT(*) FROM outbox WHERE profile = ? AND mailbox = ? GROUP BY status
                """, arguments: [profile, mailbox]) {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }

    /// The idempotency keys of queued jobs, oldest first (for tests and `outbox list`).
    public func queuedKeys(profile: String, mailbox: String) throws -> [String] {
        try database.read { db in
            try String.fetchAll(db, sql: "SELECT idempotency_key FROM outbox WHERE profile = ? AND mailbox = ? ORDER BY id",
                                arguments: [profile, mailbox])
        }
    }

    /// The SQLite journal mode (`wal` expected).
    public func journalMode() throws -> String {
        try database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// SQLite's `PRAGMA integrity_check`: `["ok"]`, or the problems it found.
    public func integrityCheck() throws -> [String] {
        try database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }
}
