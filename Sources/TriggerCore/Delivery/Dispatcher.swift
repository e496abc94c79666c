public import Foundation
public import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle

/// Carries out one outbox job; never throws: every outcome is an ``StateStore/AttemptResult``.
public protocol JobPerformer: Sendable {
    func perform(_ job: StateStore.Job) async -> StateStore.AttemptResult
    /// The post-action job to queue when a (message, flow) reaches its outcome; nil for none.
    func postActions(for job: StateStore.Job, succeeded: Bool) -> Data?
    /// Whether any flow has post-actions; when none has, recording skips the outcome query.
    var hasPostActions: Bool { get }
}

extension JobPerformer {
    public var hasPostActions: Bool { true }
}

/// Runs outbox jobs with bounded concurrency (DESIGN.md §5): due jobs are started as slots
/// free up, each result is recorded (success, retry with backoff, dead letter), and a flow
/// whose actions are all final gets its post-action job in the same transaction. Wakes at once
/// when a watcher queues jobs, and at least every `tick` for retries that fall due.
///
/// On graceful shutdown it starts nothing new and gives running jobs `drainTimeout` to finish;
/// jobs still running then are cancelled and stay pending (delivered again after the restart —
/// at least once, receivers dedupe on `Idempotency-Key`).
public final class Dispatcher: Service, Sendable {
    public let store: StateStore
    public let performer: any JobPerformer
    public let policy: RetryPolicy
    public let concurrency: Int
    public let drainTimeout: Duration
    public let tick: Duration
    /// Where jobs run, in turn (one per event loop, so deliveries use every core); empty for the
    /// global executor.
    public let executors: [any TaskExecutor]
    let logger: Logger
    private let wakeStream: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let state = NIOLockedValueBox(State())

    struct State {
        /// Jobs started and not yet recorded: never read as due again.
        var inFlight: Set<Int64> = []
        /// How many of them have finished and wait for `finished` to be recorded. They hold no
        /// slot, so a commit does not stall the deliveries; `maxUnrecordedPerSlot` bounds them.
        var unrecorded = 0
        /// Jobs to start, the next one last: read ahead from the outbox (one query per batch,
        /// not one per job) or handed over by a watcher as it queued them (`offer`). Only the
        /// dispatcher starts pending jobs, so a queued job cannot be taken by anyone else.
        var queue: [StateStore.Job] = []
        /// The ids in `queue`: a job is queued once, and never while it runs.
        var queued: Set<Int64> = []
        /// The payload bytes of the jobs in `queue`.
        var queuedBytes = 0
        /// Whether to read the outbox at the next chance although `queue` is not empty: set
        /// every `tick`, so retries that fell due are not held back by a steady stream of offers.
        var readOutbox = true
        /// Whether `nextJob` is reading the outbox, and the jobs recorded meanwhile: the read may
        /// have seen them still pending, and they must not be queued again.
        var reading = false
        var recordedWhileReading: Set<Int64> = []
        /// Finished attempts waiting to be recorded; their jobs stay in `inFlight` until then.
        var finished: [StateStore.Attempt] = []
        /// Whether a task is recording `finished` now.
        var recording = false
        var stopping = false
        /// Whose turn it is among `executors`.
        var turn = 0
    }

    public init(store: StateStore, performer: any JobPerformer, policy: RetryPolicy = RetryPolicy(), concurrency: Int = 8,
                drainTimeout: Duration = .seconds(30), tick: Duration = .seconds(1), executors: [any TaskExecutor] = [],
                logger: Logger) {
        self.store = store
        self.performer = performer
        self.policy = policy
        self.concurrency = max(1, concurrency)
        self.drainTimeout = drainTimeout
        self.tick = tick
        self.executors = executors
        self.logger = logger
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// New jobs are queued: look now rather than at the next tick.
    public func wake() {
        wakeContinuation.yield()
    }

    /// Jobs the outbox holds more of than this are left there to be read when the queue runs
    /// dry: offered payloads wait in memory.
    var maxQueued: Int { concurrency * 32 }

    /// The payload bytes the queue holds at most (it always takes one job): a payload can be a
    /// few MB (1 MB of text, 1 MB of HTML, headers, and more for an exec hook's raw message),
    /// and 32 jobs a slot of those would hold hundreds of MB of a burst of large mail.
    static let maxQueuedBytes = 32 << 20

    /// The payload bytes queued now.
    var queuedPayloadBytes: Int { state.withLockedValue { $0.queuedBytes } }

    /// Whether the queue has room for a job of `bytes` payload bytes after `adding` more.
    private func hasRoom(_ state: State, adding count: Int, bytes: Int) -> Bool {
        guard state.queue.count + count < maxQueued else { return false }
        return state.queue.isEmpty && count == 0 || state.queuedBytes + bytes <= Self.maxQueuedBytes
    }

    /// Jobs a watcher has just committed to the outbox (`StateStore.ingest`'s `onCommit`): they
    /// are queued without being read back, as far as there is room; the rest are read from
    /// the outbox later. A job already queued or running is not queued again.
    public func offer(_ jobs: [StateStore.Job]) {
        state.withLockedValue { state in
            var added: [StateStore.Job] = []
            for job in jobs where !state.inFlight.contains(job.id) && !state.queued.contains(job.id) {
                guard hasRoom(state, adding: added.count, bytes: job.payload.count) else { break }
                added.append(job)
                state.queued.insert(job.id)
                state.queuedBytes += job.payload.count
            }
            // After everything queued before them: the queue runs from its end.
            state.queue.insert(contentsOf: added.reversed(), at: 0)
        }
        wake()
    }

    /// Finished attempts allowed to wait for their commit, per slot: enough to cover a commit's
    /// time at full speed — including a commit that waits behind a watcher's ingest
    /// transaction, which in a burst took 3 per slot to the limit and halved the deliveries
    /// during ingest — and a bound when the store refuses writes (nothing new starts then).
    static let maxUnrecordedPerSlot = 16

    /// The jobs started and not yet recorded: running, or finished and waiting for their commit.
    public var running: Int { state.withLockedValue { $0.inFlight.count } }

    public func run() async throws {
        await withTaskExecutorPreference(executors.first) { await runGroup() }
    }

    private func runGroup() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.ticker() }
            await withGracefulShutdownHandler {
                await self.loop(group: &group)
            } onGracefulShutdown: {
                self.state.withLockedValue { $0.stopping = true }
                self.wake()
            }
            await self.drain()
            group.cancelAll()
        }
    }

    private var isStopping: Bool { state.withLockedValue { $0.stopping } }

    private func ticker() async {
        // A cancelled sleep returns at once: without the cancellation check this would spin.
        while !isStopping, !Task.isCancelled {
            try? await Task.sleep(for: tick)
            state.withLockedValue { $0.readOutbox = true }
            wake()
        }
    }

    private func loop(group: inout DiscardingTaskGroup) async {
        var wakes = wakeStream.makeAsyncIterator()
        while !isStopping, !Task.isCancelled {
            startDueJobs(group: &group)
            guard await wakes.next() != nil else { return }
        }
    }

    private func startDueJobs(group: inout DiscardingTaskGroup) {
        while let job = nextJob() {
            group.addTask(executorPreference: nextExecutor()) {
                await self.execute(job)
                self.wake()
            }
        }
    }

    /// The executor of the next job, in turn.
    private func nextExecutor() -> (any TaskExecutor)? {
        guard !executors.isEmpty else { return nil }
        let turn = state.withLockedValue { state in
            defer { state.turn &+= 1 }
            return state.turn
        }
        return executors[turn % executors.count]
    }

    /// The next job to start, if a slot is free: from the queue, which is topped up from the
    /// outbox when it is empty or a tick asked for it.
    private func nextJob() -> StateStore.Job? {
        let (free, read) = state.withLockedValue { state -> (Int, (skip: Set<Int64>, bytes: Int)?) in
            let free = min(concurrency - (state.inFlight.count - state.unrecorded),
                           concurrency * (1 + Self.maxUnrecordedPerSlot) - state.inFlight.count)
            guard free > 0, state.queue.isEmpty || state.readOutbox else { return (free, nil) }
            state.readOutbox = false
            state.reading = true
            return (free, (state.inFlight.union(state.queued), Self.maxQueuedBytes - state.queuedBytes))
        }
        guard free > 0 else { return nil }
        if let read {
            let due: [StateStore.Job]
            do {
                // Past the jobs that are queued or running (they are due too), without loading
                // their payloads again; as many as the queue has bytes left for.
                due = try store.dueJobs(limit: concurrency * 8, excluding: read.skip, maxBytes: read.bytes)
            } catch {
                state.withLockedValue { state in
                    state.reading = false
                    state.recordedWhileReading.removeAll()
                }
                logger.error("cannot read the outbox", metadata: ["MT_ERROR": "\(error)"])
                return nil
            }
            state.withLockedValue { state in
                // Not a job queued or running now, nor one that ran and was recorded while the
                // read was under way (the read may have seen it still pending).
                let fresh = due.filter {
                    !state.inFlight.contains($0.id) && !state.queued.contains($0.id) && !state.recordedWhileReading.contains($0.id)
                }
                state.reading = false
                state.recordedWhileReading.removeAll()
                // Due in the outbox means older than anything offered: these go first.
                state.queue.append(contentsOf: fresh.reversed())
                state.queued.formUnion(fresh.map(\.id))
                state.queuedBytes += fresh.reduce(0) { $0 + $1.payload.count }
            }
        }
        return state.withLockedValue { state in
            guard let job = state.queue.popLast() else { return nil }
            state.queued.remove(job.id)
            state.queuedBytes -= job.payload.count
            state.inFlight.insert(job.id)
            return job
        }
    }

    /// Waits for running jobs, up to `drainTimeout`.
    private func drain() async {
        let deadline = ContinuousClock.now + drainTimeout
        var announced = false
        while running > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            if !announced {
                logger.info("draining running jobs", metadata: ["MT_RUNNING": "\(running)"])
                announced = true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        if running > 0 {
            logger.warning("drain timeout: running jobs cancelled; they stay queued", metadata: ["MT_RUNNING": "\(running)"])
        }
    }

    func execute(_ job: StateStore.Job) async {
        if job.kind == .action { CrashSeam.beforeAction.pass() }
        let result = await performer.perform(job)
        if job.kind == .action, case .succeeded = result { CrashSeam.afterAction.pass() }
        if Task.isCancelled {
            state.withLockedValue { _ = $0.inFlight.remove(job.id) }
            return
        }
        // Recording needs the job's identity and history, not its payload: up to 16 finished
        // attempts a slot may wait for their commit, and they should not hold MBs each.
        var done = job
        done.payload = Data()
        await record(StateStore.Attempt(job: done, result: result))
    }

    /// Group commit: the first task to finish records every attempt finished meanwhile in one
    /// transaction, and again until none is left; the others hand theirs over and return. A
    /// job leaves `inFlight` only once recorded, so it cannot be read as due and run twice.
    private func record(_ attempt: StateStore.Attempt) async {
        let leads = state.withLockedValue { state in
            state.finished.append(attempt)
            state.unrecorded += 1
            guard !state.recording else { return false }
            state.recording = true
            return true
        }
        // Its slot is free now: start the next job while this result waits for its commit.
        wake()
        guard leads else { return }
        let performer = self.performer
        var postActions: (@Sendable (StateStore.Job, Bool) -> Data?)?
        if performer.hasPostActions {
            postActions = { @Sendable job, succeeded in performer.postActions(for: job, succeeded: succeeded) }
        }
        while let batch = takeFinished() {
            let statuses: [String]
            do {
                statuses = try await store.record(batch, policy: policy, postActions: postActions)
                if batch.contains(where: { $0.job.kind == .action }) { CrashSeam.committed.pass() }
            } catch {
                logger.error("cannot record job results; trying again", metadata: ["MT_ERROR": "\(error)", "MT_JOBS": "\(batch.count)"])
                // The actions ran; only their results are missing. Releasing the jobs would run
                // them again at once, and again, for as long as the store refuses writes (a full
                // disk): keep them running and retry the recording instead. Cancelled (the drain
                // timed out), they stay pending and run after the restart — at least once.
                if !Task.isCancelled {
                    state.withLockedValue { $0.finished.insert(contentsOf: batch, at: 0) }
                    try? await Task.sleep(for: tick)
                    continue
                }
                statuses = []
            }
            for (attempt, status) in zip(batch, statuses) { log(attempt, status: status) }
            state.withLockedValue { state in
                for attempt in batch {
                    state.inFlight.remove(attempt.job.id)
                    if state.reading { state.recordedWhileReading.insert(attempt.job.id) }
                }
                state.unrecorded -= batch.count
            }
            wake()
        }
    }

    /// The attempts waiting to be recorded, or nil (and leadership given up) when none is.
    private func takeFinished() -> [StateStore.Attempt]? {
        state.withLockedValue { state in
            guard !state.finished.isEmpty else {
                state.recording = false
                return nil
            }
            defer { state.finished.removeAll(keepingCapacity: true) }
            return state.finished
        }
    }

    private func log(_ attempt: StateStore.Attempt, status: String) {
        let job = attempt.job
        let (level, message, reason): (Logger.Level, Logger.Message, String?) = switch attempt.result {
        case .succeeded: (.info, job.kind == .post ? "post-actions done" : "action delivered", nil)
        case let .retryable(reason, _) where status != "dead": (.warning, "action failed; will retry", reason)
        case let .retryable(reason, _), let .permanent(reason): (.error, "action failed for good: kept as a dead letter", reason)
        }
        // A burst logs thousands of successes below the usual level: skip building their metadata.
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "MT_PROFILE": "\(job.profile)", "MT_MAILBOX": "\(job.mailbox)", "MT_UIDVALIDITY": "\(job.uidValidity)",
            "MT_UID": "\(job.uid)", "MT_FLOW": "\(job.flow)", "MT_ACTION": "\(job.kind == .post ? "post" : "\(job.actionIndex)")",
            "MT_RESULT": "\(status)", "MT_ATTEMPT": "\(job.attempts + 1)",
        ]
        if let reason { metadata["MT_ERROR"] = "\(reason)" }
        logger.log(level: level, message, metadata: metadata)
    }
}
