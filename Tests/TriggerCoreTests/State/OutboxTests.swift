import Foundation
import IMAPTestSupport
import GRDB
import Testing
@testable import TriggerCore

/// Outbox transitions on a real SQLite file.
@Suite("Outbox")
struct OutboxTests {
    let policy = RetryPolicy(initialDelay: .seconds(10), multiplier: 2, maxDelay: .seconds(100), maxAttempts: 4,
                             maxAge: .seconds(3600), jitter: 0.2)

    func storeWithJobs(_ count: Int, flow: String = "f") throws -> StateStore {
        let directory = URL(fileURLWithPath: try TestFiles.directory("mt-outbox"))
        let store = try StateStore(path: directory.appendingPathComponent("state.sqlite").path)
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 1, cursor: 0)
        let jobs = (0..<count).map {
            StateStore.NewJob(flow: flow, actionIndex: $0, idempotencyKey: "p/INBOX/1/1/\(flow)#\($0)", payload: Data([UInt8($0)]))
        }
        try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 1, uid: 1, jobs: jobs)
        return store
    }

    @Test(arguments: [(1, 0.5, 10.0), (2, 0.5, 20.0), (3, 0.5, 40.0), (4, 0.5, 80.0), (5, 0.5, 100.0), (9, 0.5, 100.0),
                      (1, 0.0, 8.0), (1, 0.999_999, 12.0)])
    func backoffGrowsCapsAndJitters(failures: Int, unit: Double, seconds: Double) {
        let delay = policy.delay(afterFailures: failures, unit: unit)
        #expect(abs(policy.seconds(delay) - seconds) < 0.01, "\(delay)")
    }

    @Test func successAndDueOrder() throws {
        let store = try storeWithJobs(2)
        let now = Date()
        let due = try store.dueJobs(limit: 10, now: now)
        #expect(due.map(\.actionIndex) == [0, 1])
        #expect(try store.record(.succeeded, for: due[0].id, policy: policy, now: now) == "succeeded")
        #expect(try store.dueJobs(limit: 10, now: now).map(\.actionIndex) == [1])
        #expect(try store.flowOutcome(profile: "p", mailbox: "INBOX", uidValidity: 1, uid: 1, flow: "f") == nil,
                "one action is still pending")
        try store.record(.succeeded, for: due[1].id, policy: policy, now: now)
        #expect(try store.flowOutcome(profile: "p", mailbox: "INBOX", uidValidity: 1, uid: 1, flow: "f") == true)
    }

    @Test func retryableFailuresWaitThenDieAfterMaxAttempts() throws {
        let store = try storeWithJobs(1)
        var now = Date()
        let id = try store.dueJobs(limit: 1, now: now)[0].id
        for attempt in 1...3 {
            #expect(try store.record(.retryable("503", retryAfter: nil), for: id, policy: policy, now: now, random: 0.5) == "pending")
            #expect(try store.dueJobs(limit: 1, now: now).isEmpty, "not due before its backoff (attempt \(attempt))")
            now += 10 * pow(2, Double(attempt - 1)) + 0.001
            #expect(try store.dueJobs(limit: 1, now: now).map(\.id) == [id])
        }
        #expect(try store.record(.retryable("503", retryAfter: nil), for: id, policy: policy, now: now, random: 0.5) == "dead")
        let dead = try store.deadJobs()
        #expect(dead.map(\.id) == [id] && dead[0].attempts == 4 && dead[0].lastError == "503")
        #expect(try store.flowOutcome(profile: "p", mailbox: "INBOX", uidValidity: 1, uid: 1, flow: "f") == false)
    }

    @Test func retryAfterIsHonouredWhenLonger() throws {
        let store = try storeWithJobs(1)
        let now = Date()
        let id = try store.dueJobs(limit: 1, now: now)[0].id
        try store.record(.retryable("429", retryAfter: .seconds(120)), for: id, policy: policy, now: now, random: 0.5)
        #expect(try store.dueJobs(limit: 1, now: now + 119).isEmpty)
        #expect(try store.dueJobs(limit: 1, now: now + 121).count == 1)
    }

    @Test func dueJobsSkipTheExcludedAndStopAtTheByteBudget() throws {
        let directory = URL(fileURLWithPath: try TestFiles.directory("mt-outbox"))
        let store = try StateStore(path: directory.appendingPathComponent("state.sqlite").path)
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 1, cursor: 0)
        // Six jobs of 100, 200, ... 600 bytes.
        let jobs = (0..<6).map {
            StateStore.NewJob(flow: "f", actionIndex: $0, idempotencyKey: "p/INBOX/1/1/f#\($0)", payload: Data(count: 100 * ($0 + 1)))
        }
        try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 1, uid: 1, jobs: jobs)
        let now = Date()
        let all = try store.dueJobs(limit: 10, now: now)
        #expect(all.map(\.actionIndex) == [0, 1, 2, 3, 4, 5])
        // Past the first two (running or queued), within 700 bytes: 300 + 400 fit, 500 does not.
        let next = try store.dueJobs(limit: 10, excluding: [all[0].id, all[1].id], maxBytes: 700, now: now)
        #expect(next.map(\.actionIndex) == [2, 3])
        #expect(next.map(\.payload.count) == [300, 400], "payloads read whole")
        // One job always comes, however small the budget; the limit counts only jobs returned.
        #expect(try store.dueJobs(limit: 10, excluding: [all[0].id], maxBytes: 1, now: now).map(\.actionIndex) == [1])
        #expect(try store.dueJobs(limit: 2, excluding: [all[0].id, all[2].id], now: now).map(\.actionIndex) == [1, 3])
    }

    @Test func permanentFailureAndAgeMakeDeadLetters() throws {
        let store = try storeWithJobs(2)
        let now = Date()
        let jobs = try store.dueJobs(limit: 2, now: now)
        #expect(try store.record(.permanent("404"), for: jobs[0].id, policy: policy, now: now) == "dead")
        // Past maxAge by the time of the next attempt: dead, not retried.
        #expect(try store.record(.retryable("timeout", retryAfter: nil), for: jobs[1].id, policy: policy,
                                 now: now + 3595, random: 0.5) == "dead")
        #expect(try store.deadJobs().count == 2)
    }

    @Test func deadLettersCanBeReplayedOrDropped() throws {
        let store = try storeWithJobs(2)
        let now = Date()
        for job in try store.dueJobs(limit: 2, now: now) {
            try store.record(.permanent("400"), for: job.id, policy: policy, now: now)
        }
        let dead = try store.deadJobs()
        #expect(try store.retryDead(id: dead[0].id, now: now) == 1)
        let replayed = try store.dueJobs(limit: 5, now: now)
        #expect(replayed.map(\.id) == [dead[0].id] && replayed[0].attempts == 0)
        #expect(try store.dropDead() == 1)
        #expect(try store.deadJobs().isEmpty)
        #expect(try store.jobCounts(profile: "p", mailbox: "INBOX") == ["pending": 1])
    }

    @Test func theLastFinalActionQueuesThePostActionsOfItsOutcomeAtomically() throws {
        let store = try storeWithJobs(2)
        let due = try store.dueJobs(limit: 10)
        let post: (Bool) -> Data? = { succeeded in PostAction.encode([.markSeen], outcome: succeeded ? .success : .failure) }
        try store.record(.succeeded, for: due[0].id, policy: policy, postActions: post)
        #expect(try store.queuedKeys(profile: "p", mailbox: "INBOX").count == 2, "no post job while an action is pending")
        try store.record(.permanent("HTTP 404"), for: due[1].id, policy: policy, postActions: post)
        #expect(try store.queuedKeys(profile: "p", mailbox: "INBOX").last == "p/INBOX/1/1/f#failure")
        // Replayed to success, the dead letter's flow gets its success post-actions too.
        try store.retryDead()
        let replayed = try #require(try store.dueJobs(limit: 10).first { $0.kind == .action })
        try store.record(.succeeded, for: replayed.id, policy: policy, postActions: post)
        #expect(try store.queuedKeys(profile: "p", mailbox: "INBOX").suffix(2) == ["p/INBOX/1/1/f#failure", "p/INBOX/1/1/f#success"])
    }

    @Test func aBatchOfAttemptsIsRecordedInOneCallWithEachOutcome() async throws {
        let store = try storeWithJobs(3)
        let now = Date()
        let due = try store.dueJobs(limit: 10, now: now)
        let results: [StateStore.AttemptResult] = [.succeeded, .retryable("503", retryAfter: nil), .permanent("410")]
        let post: @Sendable (StateStore.Job, Bool) -> Data? = { _, succeeded in
            PostAction.encode([.markSeen], outcome: succeeded ? .success : .failure)
        }
        let statuses = try await store.record(zip(due, results).map { StateStore.Attempt(job: $0, result: $1) },
                                              policy: policy, now: now, postActions: post)
        #expect(statuses == ["succeeded", "pending", "dead"])
        #expect(try store.jobCounts(profile: "p", mailbox: "INBOX") == ["succeeded": 1, "pending": 1, "dead": 1])
        #expect(try store.dueJobs(limit: 10, now: now).isEmpty, "the retry waits for its backoff")
        #expect(!(try store.queuedKeys(profile: "p", mailbox: "INBOX").contains { $0.hasSuffix("#failure") }),
                "one action is still pending: no post-actions yet")
        // The retry's last attempt settles the flow; its failure post-actions are queued once.
        let retried = try #require(try store.dueJobs(limit: 10, now: now + 3600).first)
        #expect(retried.attempts == 1)
        try await store.record([StateStore.Attempt(job: retried, result: .succeeded)], policy: policy, now: now + 3600,
                               postActions: post)
        #expect(try store.queuedKeys(profile: "p", mailbox: "INBOX").filter { $0.contains("#failure") } == ["p/INBOX/1/1/f#failure"])
        #expect(try await store.record([], policy: policy).isEmpty)
    }

    @Test func pruneDropsOldSucceededJobsAndKeepsDeadLetters() throws {
        let store = try storeWithJobs(3)
        let due = try store.dueJobs(limit: 10)
        try store.record(.succeeded, for: due[0].id, policy: policy)
        try store.record(.permanent("no"), for: due[1].id, policy: policy)
        #expect(try store.prune(now: Date()) == 0, "nothing is old yet")
        #expect(try store.prune(now: Date().addingTimeInterval(8 * 86_400)) == 1)
        #expect(try store.jobCounts(profile: "p", mailbox: "INBOX") == ["dead": 1, "pending": 1])
        #expect(try payloadCount(store) == 2, "the pruned job's payload went with it")
        try store.dropDead()
        #expect(try payloadCount(store) == 1)
        #expect(try store.dueJobs(limit: 10).map(\.payload) == [Data([2])])
    }

    func payloadCount(_ store: StateStore) throws -> Int {
        try store.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox_payload") ?? -1 }
    }

    @Test func aRetriedJobKeepsItsPayloadInItsOwnTable() throws {
        let store = try storeWithJobs(1)
        let due = try #require(try store.dueJobs(limit: 10).first)
        try store.record(.retryable("busy", retryAfter: nil), for: due.id, policy: policy)
        let retried = try #require(try store.dueJobs(limit: 10, now: Date().addingTimeInterval(60)).first)
        #expect(retried.id == due.id && retried.payload == due.payload && retried.attempts == 1 && retried.lastError == "busy")
        #expect(try payloadCount(store) == 1)
    }
}
