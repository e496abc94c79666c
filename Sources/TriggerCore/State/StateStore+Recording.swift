public import Foundation
import GRDB

extension StateStore {
    /// One finished attempt of a job, to record.
    public struct Attempt: Sendable {
        /// The job as it was read from the outbox (its attempts and age decide a retry).
        public var job: Job
        public var result: AttemptResult

        public init(job: Job, result: AttemptResult) {
            self.job = job
            self.result = result
        }
    }

    /// Records one attempt of the job `id` (see ``record(_:policy:now:postActions:)``); for tests and tools.
    @discardableResult
    public func record(_ result: AttemptResult, for id: Int64, policy: RetryPolicy, now: Date = Date(),
                       random: Double = Double.random(in: 0..<1),
                       postActions: ((_ succeeded: Bool) -> Data?)? = nil) throws -> String {
        let job = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Job.columns) FROM \(Job.source) WHERE id = ?", arguments: [id]).map(Job.init(row:))
        }
        guard let job else { throw StateError(description: "no job \(id)") }
        return try database.write { db in
            try Self.record(db, [Attempt(job: job, result: result)], policy: policy, now: now, random: { random },
                            postActions: postActions.map { post in { _, succeeded in post(succeeded) } })[0]
        }
    }

    /// Records finished attempts in one transaction (a burst commits once per group of results,
    /// not once per job): each job becomes succeeded, pending again at the policy's retry time,
    /// or a dead letter when it failed permanently, ran out of attempts, or grew too old.
    /// Returns the new status of each, in order.
    ///
    /// When an attempt makes every action of its (message, flow) final, `postActions` is asked
    /// for the post-action job of that outcome (true = all succeeded) and the job is queued in
    /// the same transaction: a crash can never record the outcome and lose its post-actions.
    /// Pass nil when no flow has post-actions, which spares the outcome query.
    ///
    /// The task waits for SQLite's writer without holding a thread of the cooperative pool.
    @discardableResult
    public func record(_ attempts: [Attempt], policy: RetryPolicy, now: Date = Date(),
                       postActions: (@Sendable (_ job: Job, _ succeeded: Bool) -> Data?)? = nil) async throws -> [String] {
        guard !attempts.isEmpty else { return [] }
        return try await database.write { db in
            try Self.record(db, attempts, policy: policy, now: now, random: { Double.random(in: 0..<1) }, postActions: postActions)
        }
    }

    static func record(_ db: Database, _ attempts: [Attempt], policy: RetryPolicy, now: Date, random: () -> Double,
                       postActions: ((_ job: Job, _ succeeded: Bool) -> Data?)?) throws -> [String] {
        let update = try db.cachedStatement(sql: """
            UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?
            """)
        var statuses: [String] = []
        statuses.reserveCapacity(attempts.count)
        for attempt in attempts {
            let job = attempt.job
            let (status, next, error) = Self.transition(job, attempt.result, policy: policy, now: now, random: random)
            try update.execute(arguments: [status, job.attempts + 1, next, error, job.id])
            statuses.append(status)
            guard job.kind == .action, status != "pending", let postActions,
                  let succeeded = try Self.flowOutcome(db, job.profile, job.mailbox, job.uidValidity, job.uid, job.flow),
                  let payload = postActions(job, succeeded) else { continue }
            let post = NewJob(flow: job.flow, actionIndex: 0, kind: .post,
                              idempotencyKey: DeliveryKey.post(job.messageKey, outcome: succeeded ? .success : .failure),
                              payload: payload)
            _ = try insertJob(db, post, profile: job.profile, mailbox: job.mailbox, uidValidity: job.uidValidity, uid: job.uid,
                              now: now.timeIntervalSince1970)
        }
        return statuses
    }

    /// The status, next attempt time and error after one attempt of `job`.
    static func transition(_ job: Job, _ result: AttemptResult, policy: RetryPolicy, now: Date,
                           random: () -> Double) -> (status: String, next: Double, error: String?) {
        let attempts = job.attempts + 1
        let next = now.timeIntervalSince1970
        switch result {
        case .succeeded:
            return ("succeeded", next, nil)
        case let .permanent(reason):
            return ("dead", next, reason)
        case let .retryable(reason, retryAfter):
            var delay = policy.seconds(policy.delay(afterFailures: attempts, unit: random()))
            if let retryAfter { delay = max(delay, policy.seconds(retryAfter)) }
            let tooOld = now.timeIntervalSince(job.createdAt) + delay > policy.seconds(policy.maxAge)
            return (attempts >= policy.maxAttempts || tooOld ? "dead" : "pending", next + delay, reason)
        }
    }
}
