import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import TriggerCore

/// The dispatcher on a real SQLite outbox with a scripted performer: bounded concurrency, each
/// job run once, results recorded in groups, post-actions queued when a flow is final.
@Suite("Dispatcher")
struct DispatcherTests {
    /// Answers from a script per action index, after `delay`; counts calls and concurrency.
    final class ScriptedPerformer: JobPerformer {
        struct Counts {
            var calls: [String: Int] = [:]
            var running = 0
            var maxRunning = 0
            /// Per job, the event loop it started on, if any.
            var loops: [String: ObjectIdentifier?] = [:]
        }

        let counts = NIOLockedValueBox(Counts())
        let delay: Duration
        let result: @Sendable (StateStore.Job) -> StateStore.AttemptResult
        let hasPostActions: Bool

        init(delay: Duration = .milliseconds(2), hasPostActions: Bool = false,
             result: @escaping @Sendable (StateStore.Job) -> StateStore.AttemptResult = { _ in .succeeded }) {
            self.delay = delay
            self.hasPostActions = hasPostActions
            self.result = result
        }

        func perform(_ job: StateStore.Job) async -> StateStore.AttemptResult {
            let loop = MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0 as AnyObject) }
            counts.withLockedValue { counts in
                counts.loops[job.idempotencyKey] = loop
                counts.calls[job.idempotencyKey, default: 0] += 1
                counts.running += 1
                counts.maxRunning = max(counts.maxRunning, counts.running)
            }
            try? await Task.sleep(for: delay)
            counts.withLockedValue { $0.running -= 1 }
            return result(job)
        }

        func postActions(for job: StateStore.Job, succeeded: Bool) -> Data? {
            PostAction.encode([.addFlags(["$Done"])], outcome: succeeded ? .success : .failure)
        }
    }

    let policy = RetryPolicy(initialDelay: .seconds(60), maxAttempts: 3)
    /// The scripted failures would fill the test log with warnings.
    static let silent = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A store with `messages` messages of `actions` jobs each (flow "f").
    func store(messages: Int, actions: Int = 1) throws -> StateStore {
        let store = try TriggerTestSupport.temporaryStore()
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 1, cursor: 0)
        let batch = (1...messages).map { uid in
            StateStore.IngestedMessage(uid: UInt32(uid), jobs: (0..<actions).map {
                StateStore.NewJob(flow: "f", actionIndex: $0, idempotencyKey: "p/INBOX/1/\(uid)/f#\($0)", payload: Data("{}".utf8))
            })
        }
        try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 1, messages: batch)
        return store
    }

    /// Runs the dispatcher until `done` holds for the store (or 20 s pass), then stops it.
    func run(_ dispatcher: Dispatcher, until done: @escaping @Sendable () throws -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dispatcher.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while try !done(), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        #expect(try done(), "the dispatcher did not finish within 20 s")
    }

    @Test func everyJobRunsOnceWithinTheConcurrencyBound() async throws {
        let store = try store(messages: 200)
        let performer = ScriptedPerformer()
        let dispatcher = Dispatcher(store: store, performer: performer, policy: policy, concurrency: 4,
                                    logger: Self.silent)
        try await run(dispatcher) { try store.jobCounts(profile: "p", mailbox: "INBOX") == ["succeeded": 200] }
        let counts = performer.counts.withLockedValue { $0 }
        #expect(counts.calls.count == 200)
        #expect(counts.calls.values.allSatisfy { $0 == 1 }, "a job finished but not yet recorded must not run again")
        #expect(counts.maxRunning <= 4 && counts.maxRunning >= 2, "max running \(counts.maxRunning)")
        #expect(dispatcher.running == 0)
    }

    @Test func withExecutorsJobsRunOnTheEventLoopsInTurn() async throws {
        let store = try store(messages: 40)
        let performer = ScriptedPerformer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let dispatcher = Dispatcher(store: store, performer: performer, policy: policy, concurrency: 4,
                                    executors: group.makeIterator().map(EventLoopTaskExecutor.init), logger: Self.silent)
        try await run(dispatcher) { try store.jobCounts(profile: "p", mailbox: "INBOX") == ["succeeded": 40] }
        let loops = performer.counts.withLockedValue { $0.loops }
        let expected = Set(group.makeIterator().map { ObjectIdentifier($0 as AnyObject) })
        #expect(loops.count == 40)
        #expect(Set(loops.values.compactMap { $0 }) == expected, "both loops ran jobs, and nothing else did")
        #expect(loops.values.allSatisfy { $0 != nil })
        try await group.shutdownGracefully()
    }

    @Test func offeredJobsRunOnceAlsoWhenTheOutboxReadFindsThemToo() async throws {
        let store = try TriggerTestSupport.temporaryStore()
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 1, cursor: 0)
        let performer = ScriptedPerformer(delay: .milliseconds(1))
        // concurrency 2: at most 64 offered jobs wait in memory; the rest are read back later.
        let dispatcher = Dispatcher(store: store, performer: performer, policy: policy, concurrency: 2, logger: Self.silent)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dispatcher.run() }
            for batch in 0..<10 {
                let messages = (1...30).map { index in
                    let uid = UInt32(batch * 30 + index)
                    return StateStore.IngestedMessage(uid: uid, jobs: [
                        StateStore.NewJob(flow: "f", actionIndex: 0, idempotencyKey: "p/INBOX/1/\(uid)/f#0", payload: Data("{}".utf8)),
                    ])
                }
                try await store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 1, messages: messages) { jobs in
                    dispatcher.offer(jobs)
                    // A second offer of the same jobs (as a racing outbox read would find them) adds nothing.
                    dispatcher.offer(jobs)
                }
            }
            let deadline = ContinuousClock.now + .seconds(20)
            while try store.jobCounts(profile: "p", mailbox: "INBOX") != ["succeeded": 300], ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        #expect(try store.jobCounts(profile: "p", mailbox: "INBOX") == ["succeeded": 300])
        let calls = performer.counts.withLockedValue { $0.calls }
        #expect(calls.count == 300 && calls.values.allSatisfy { $0 == 1 })
    }

    @Test func largePayloadsWaitInTheOutboxBeyondTheQueuesByteBudget() async throws {
        let store = try TriggerTestSupport.temporaryStore()
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 1, cursor: 0)
        let size = 3 << 20
        let sizes = NIOLockedValueBox<[Int]>([])
        let performer = ScriptedPerformer(delay: .milliseconds(5)) { job in
            sizes.withLockedValue { $0.append(job.payload.count) }
            return .succeeded
        }
        let dispatcher = Dispatcher(store: store, performer: performer, policy: policy, concurrency: 1, logger: Self.silent)
        // 30 jobs of 3 MB: by count all would fit the queue (32 a slot); by bytes only 10 do.
        let messages = (UInt32(1)...30).map { uid in
            StateStore.IngestedMessage(uid: uid, jobs: [StateStore.NewJob(flow: "f", actionIndex: 0, idempotencyKey: "p/INBOX/1/\(uid)/f#0",
                                                                          payload: Data(repeating: UInt8(uid), count: size))])
        }
        try await store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 1, messages: messages) { dispatcher.offer($0) }
        #expect(dispatcher.queuedPayloadBytes <= Dispatcher.maxQueuedBytes)
        #expect(dispatcher.queuedPayloadBytes >= Dispatcher.maxQueuedBytes - size, "the queue took what fits")
        try await run(dispatcher) { try store.jobCounts(profile: "p", mailbox: "INBOX") == ["succeeded": 30] }
        let seen = sizes.withLockedValue { $0 }
        #expect(seen.count == 30 && seen.allSatisfy { $0 == size }, "every job once, its payload whole (from the queue or the outbox)")
        #expect(dispatcher.queuedPayloadBytes == 0)
    }

    @Test func aRetryFallingDueRunsWhileOffersKeepComing() async throws {
        let store = try store(messages: 1)
        let retry = try #require(try store.dueJobs(limit: 1).first)
        // The job failed once; its retry falls due in 300 ms.
        try store.record(.retryable("busy", retryAfter: nil), for: retry.id, policy: RetryPolicy(initialDelay: .milliseconds(300),
                                                                                                 maxAttempts: 5, jitter: 0))
        let performer = ScriptedPerformer(delay: .milliseconds(20))
        let dispatcher = Dispatcher(store: store, performer: performer, policy: policy, concurrency: 1,
                                    tick: .milliseconds(100), logger: Self.silent)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dispatcher.run() }
            // A steady stream of new jobs, each handed over: the queue never runs dry.
            for uid in UInt32(2)...60 {
                try await store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 1, messages: [.init(uid: uid, jobs: [
                    StateStore.NewJob(flow: "f", actionIndex: 0, idempotencyKey: "p/INBOX/1/\(uid)/f#0", payload: Data("{}".utf8)),
                ])]) { dispatcher.offer($0) }
                if performer.counts.withLockedValue({ $0.calls[retry.idempotencyKey] }) == 1 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        let counts = performer.counts.withLockedValue { $0 }
        #expect(counts.calls[retry.idempotencyKey] == 1, "the retry ran although the queue was never empty")
        #expect(counts.calls.count < 59, "it ran before the stream of new jobs ended")
    }

    @Test func failuresAreRecordedAndTheFlowGetsItsFailurePostActions() async throws {
        let store = try store(messages: 20, actions: 2)
        // Action 1 of odd UIDs fails for good; action 0 of UID 2 is retried later.
        let performer = ScriptedPerformer(hasPostActions: true) { job in
            if job.actionIndex == 1, job.uid % 2 == 1 { return .permanent("HTTP 410") }
            if job.actionIndex == 0, job.uid == 2 { return .retryable("HTTP 503", retryAfter: nil) }
            return .succeeded
        }
        let dispatcher = Dispatcher(store: store, performer: performer, policy: policy, concurrency: 8,
                                    logger: Self.silent)
        try await run(dispatcher) {
            // 40 actions + post jobs of the 19 settled flows, which also run (and succeed).
            try store.jobCounts(profile: "p", mailbox: "INBOX") == ["succeeded": 39 - 10 + 19, "dead": 10, "pending": 1]
        }
        let keys = try store.queuedKeys(profile: "p", mailbox: "INBOX")
        #expect(keys.filter { $0.hasSuffix("#failure") }.count == 10)
        #expect(keys.filter { $0.hasSuffix("#success") }.count == 9)
        #expect(!keys.contains("p/INBOX/1/2/f#success"), "UID 2's flow is not final while its retry waits")
        let retrying = try #require(try store.dueJobs(limit: 5, now: Date() + 3600).first)
        #expect(retrying.idempotencyKey == "p/INBOX/1/2/f#0" && retrying.attempts == 1 && retrying.lastError == "HTTP 503")
    }

    @Test func resultsTheStoreRefusesAreRecordedLaterWithoutRunningTheJobsAgain() async throws {
        let store = try store(messages: 5)
        // The writer refuses every write, as with a full disk.
        try await store.database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = 1") }
        let performer = ScriptedPerformer()
        let dispatcher = Dispatcher(store: store, performer: performer, policy: policy, concurrency: 8,
                                    tick: .milliseconds(100), logger: Self.silent)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dispatcher.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while performer.counts.withLockedValue({ $0.calls.count }) < 5, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .seconds(1))
            #expect(try store.jobCounts(profile: "p", mailbox: "INBOX") == ["pending": 5])
            #expect(dispatcher.running == 5, "finished but unrecorded jobs stay running")
            try await store.database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = 0") }
            while try store.jobCounts(profile: "p", mailbox: "INBOX") != ["succeeded": 5], ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        #expect(try store.jobCounts(profile: "p", mailbox: "INBOX") == ["succeeded": 5])
        let calls = performer.counts.withLockedValue { $0.calls }
        #expect(calls.count == 5 && calls.values.allSatisfy { $0 == 1 }, "each job ran once: \(calls)")
    }

    @Test func unrecordedResultsFreeTheirSlotButAreBounded() async throws {
        let store = try store(messages: 100)
        // The writer refuses every write: no result can be recorded.
        try await store.database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = 1") }
        let performer = ScriptedPerformer()
        let concurrency = 4, bound = concurrency * (1 + Dispatcher.maxUnrecordedPerSlot)
        let dispatcher = Dispatcher(store: store, performer: performer, policy: policy, concurrency: concurrency,
                                    tick: .milliseconds(100), logger: Self.silent)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dispatcher.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while performer.counts.withLockedValue({ $0.calls.count }) < bound, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(500))
            // A waiting commit does not stall deliveries, but a store that refuses them does.
            #expect(performer.counts.withLockedValue { $0.calls.count } == bound)
            #expect(dispatcher.running == bound)
            try await store.database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = 0") }
            while try store.jobCounts(profile: "p", mailbox: "INBOX") != ["succeeded": 100], ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            group.cancelAll()
        }
        #expect(try store.jobCounts(profile: "p", mailbox: "INBOX") == ["succeeded": 100])
        let counts = performer.counts.withLockedValue { $0 }
        #expect(counts.calls.count == 100 && counts.calls.values.allSatisfy { $0 == 1 }, "each job ran once")
        #expect(counts.maxRunning <= concurrency, "max running \(counts.maxRunning)")
    }
}
