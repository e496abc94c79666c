public import Foundation
import GRDB

extension StateStore {
    /// A queued job.
    public struct Job: Hashable, Sendable {
        public var id: Int64
        public var idempotencyKey: String
        public var profile: String
        public var mailbox: String
        public var uidValidity: UInt32
        public var uid: UInt32
        public var flow: String
        public var actionIndex: Int
        public var kind: NewJob.Kind
        public var payload: Data
        public var status: String
        public var attempts: Int
        public var nextAttemptAt: Date
        public var createdAt: Date
        public var lastError: String?

        /// The columns and the source a job is read from (`SELECT \(columns) FROM \(source)`),
        /// in the order `init(row:)` reads them by position: looking a column up by name
        /// lower-cases the name each time, which showed in a burst's profile.
        static let columns = """
            outbox.id, idempotency_key, profile, mailbox, uid_validity, uid, flow, action_index, kind, \
            outbox_payload.payload, status, attempts, next_attempt_at, created_at, last_error
            """
        static let source = "outbox JOIN outbox_payload ON outbox_payload.job_id = outbox.id"

        init(row: Row) {
            id = row[0]
            idempotencyKey = row[1]
            profile = row[2]
            mailbox = row[3]
            uidValidity = UInt32(row[4] as Int64)
            uid = UInt32(row[5] as Int64)
            flow = row[6]
            actionIndex = row[7]
            kind = NewJob.Kind(rawValue: row[8]) ?? .action
            payload = row[9]
            status = row[10]
            attempts = row[11]
            nextAttemptAt = Date(timeIntervalSince1970: row[12])
            createdAt = Date(timeIntervalSince1970: row[13])
            lastError = row[14]
        }
    }

    /// How one attempt ended.
    public enum AttemptResult: Hashable, Sendable {
        case succeeded
        /// Worth trying again (5xx, 408, 429, connection errors, exit 75); `retryAfter` from the
        /// receiver is honoured when longer than the backoff.
        case retryable(String, retryAfter: Duration?)
        /// Not worth trying again (other 4xx, other exit codes): a dead letter at once.
        case permanent(String)
    }

    /// Pending jobs whose time has come, oldest due first: at most `limit`, none of
    /// `excluding`, and as many as fit in `maxBytes` of payload (always at least one).
    ///
    /// The ids and payload sizes are read first (SQLite's `length()` of a blob reads no
    /// content), so the jobs passed over (running, already queued, or beyond the byte budget)
    /// cost no payload reads.
    public func dueJobs(limit: Int, excluding: Set<Int64> = [], maxBytes: Int = .max, now: Date = Date()) throws -> [Job] {
        try database.read { db in
            let candidates = try db.cachedStatement(sql: """
                SELECT outbox.id, length(outbox_payload.payload) FROM \(Job.source)
                WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                """)
            var chosen: [Int64] = []
            var bytes = 0
            let rows = try Row.fetchCursor(candidates, arguments: [now.timeIntervalSince1970, limit + excluding.count])
            while chosen.count < limit, let row = try rows.next() {
                let (id, size): (Int64, Int) = (row[0], row[1] ?? 0)
                guard !excluding.contains(id) else { continue }
                if !chosen.isEmpty, bytes + size > maxBytes { break }
                chosen.append(id)
                bytes += size
            }
            guard !chosen.isEmpty else { return [] }
            let marks = Array(repeating: "?", count: chosen.count).joined(separator: ",")
            let jobs = try Row.fetchAll(db, sql: "SELECT \(Job.columns) FROM \(Job.source) WHERE outbox.id IN (\(marks))",
                                        arguments: StatementArguments(chosen)).map(Job.init(row:))
            let order = Dictionary(uniqueKeysWithValues: chosen.enumerated().map { ($1, $0) })
            return jobs.sorted { order[$0.id, default: 0] < order[$1.id, default: 0] }
        }
    }

    /// Dead letters (for `outbox list`).
    public func deadJobs() throws -> [Job] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Job.columns) FROM \(Job.source) WHERE status = 'dead' ORDER BY id").map(Job.init(row:))
        }
    }

    /// Puts dead letters back in the queue with fresh attempts (`outbox retry`); all when `id`
    /// is nil. Returns how many.
    @discardableResult
    public func retryDead(id: Int64? = nil, now: Date = Date()) throws -> Int {
        try database.write { db in
            try db.execute(sql: """
                UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, created_at = ?
                WHERE status = 'dead' AND (? IS NULL OR id = ?)
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, id, id])
            return db.changesCount
        }
    }

    /// Deletes dead letters (`outbox drop`); all when `id` is nil. Returns how many.
    @discardableResult
    public func dropDead(id: Int64? = nil) throws -> Int {
        try database.write { db in
            try db.execute(sql: "DELETE FROM outbox WHERE status = 'dead' AND (? IS NULL OR id = ?)", arguments: [id, id])
            return db.changesCount
        }
    }

    /// Where a (message, flow) stands: nil while any of its actions is still pending; else
    /// whether every action succeeded, which picks the post-action list (DESIGN.md §5).
    public func flowOutcome(profile: String, mailbox: String, uidValidity: UInt32, uid: UInt32, flow: String) throws -> Bool? {
        try database.read { db in try Self.flowOutcome(db, profile, mailbox, uidValidity, uid, flow) }
    }

    static func flowOutcome(_ db: Database, _ profile: String, _ mailbox: String, _ uidValidity: UInt32, _ uid: UInt32,
                            _ flow: String) throws -> Bool? {
        let statement = try db.cachedStatement(sql: """
            SELECT status FROM outbox WHERE profile = ? AND mailbox = ? AND uid_validity = ? AND uid = ? AND flow = ?
                AND kind = 'action'
            """)
        let statuses = try String.fetchAll(statement, arguments: [profile, mailbox, Int64(uidValidity), Int64(uid), flow])
        guard !statuses.isEmpty, !statuses.contains("pending") else { return nil }
        return statuses.allSatisfy { $0 == "succeeded" }
    }

    /// The earliest time a pending job is due, if any (the dispatcher sleeps until then).
    public func nextDueDate() throws -> Date? {
        try database.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'")
                .map(Date.init(timeIntervalSince1970:))
        }
    }
}

extension StateStore {
    /// Deletes what is no longer needed: succeeded jobs older than `succeededJobs` (their
    /// payloads hold mail) and Message-IDs older than `messageIDs` (the `reprocess` window).
    /// Dead letters stay until replayed or dropped. Returns the number of rows deleted.
    @discardableResult
    public func prune(succeededJobs: TimeInterval = 7 * 86_400, messageIDs: TimeInterval = 30 * 86_400,
                      now: Date = Date()) throws -> Int {
        try database.write { db in
            try db.execute(sql: "DELETE FROM outbox WHERE status = 'succeeded' AND created_at < ?",
                           arguments: [now.timeIntervalSince1970 - succeededJobs])
            var deleted = db.changesCount
            try db.execute(sql: "DELETE FROM seen_message_ids WHERE seen_at < ?", arguments: [now.timeIntervalSince1970 - messageIDs])
            deleted += db.changesCount
            return deleted
        }
    }
}
