public import Foundation
public import IMAPClient
import IMAPCore
public import Logging

/// The one sync of DESIGN.md §5, run on every (re)connect, after every IDLE wake-up and at every
/// refresh: NOOP, `UID SEARCH UID <cursor+1>:*`, pipelined `UID FETCH … BODY.PEEK[]` in
/// batches, and one ingest transaction per batch. Fetching never sets `\Seen`, and the mailbox
/// is opened read-only (EXAMINE): watching changes nothing on the server.
public struct MailboxSynchronizer: Sendable {
    public var store: StateStore
    public var planner: IngestPlanner
    public var logger: Logger
    /// Messages per `UID FETCH` and per ingest transaction.
    public var batchSize: Int
    /// Bytes a fetch batch and an ingest batch may hold, whatever their count: a hundred
    /// messages of 25 MB must not all be in flight or wait in memory at once.
    public var batchBytes = 16 << 20
    /// How far back a Message-ID counts as already processed under the `reprocess` policy.
    public var reprocessWindow: TimeInterval = 30 * 86_400
    /// Given the jobs of each committed batch that queued any, right after its commit (see
    /// `StateStore.ingest`'s `onCommit`): the dispatcher takes them without reading them back.
    public var onQueued: @Sendable ([StateStore.Job]) -> Void
    /// Called for every message fetched and every batch committed: the watcher's proof of
    /// progress for the watchdog (``WatcherBoard``), however long the whole sync takes.
    public var onProgress: @Sendable () -> Void = {}
    /// How many tasks plan a batch (`IngestPlanner.plan(_:uidValidity:ways:)`): one per core.
    public var planningWays = ProcessInfo.processInfo.activeProcessorCount
    /// Messages planned together: their parsed messages and payloads are in memory at once.
    public var planningChunk = ProcessInfo.processInfo.activeProcessorCount * 8

    public init(store: StateStore, planner: IngestPlanner, logger: Logger, batchSize: Int = 100,
                onQueued: @escaping @Sendable ([StateStore.Job]) -> Void = { _ in }) {
        self.store = store
        self.planner = planner
        self.logger = logger
        self.batchSize = batchSize
        self.onQueued = onQueued
    }

    var profile: Profile { planner.profile }
    var mailbox: String { planner.mailbox }

    /// What one sync did.
    public struct Outcome: Hashable, Sendable {
        public var ingested = 0
        public var queued = 0
    }

    /// Opens the mailbox read-only and settles its baseline: the first-run policy when it has
    /// no state, the UIDVALIDITY policy when its UIDVALIDITY changed.
    public func open(_ session: IMAPSession) async throws -> SelectedMailbox {
        let selected = try await session.select(mailbox, readOnly: true)
        try await settleBaseline(session, selected)
        return selected
    }

    func settleBaseline(_ session: IMAPSession, _ selected: SelectedMailbox) async throws {
        let existing = try store.mailboxState(profile: profile.name, mailbox: mailbox)
        if let existing, existing.uidValidity == selected.uidValidity { return }
        let top = try await highestUID(session, selected)
        var metadata: Logger.Metadata = ["MT_PROFILE": "\(profile.name)", "MT_MAILBOX": "\(mailbox)",
                                         "MT_UIDVALIDITY": "\(selected.uidValidity)"]
        if let existing {
            metadata["MT_OLD_UIDVALIDITY"] = "\(existing.uidValidity)"
            switch profile.onUIDValidityChange {
            case .rebaseline:
                try store.setBaseline(profile: profile.name, mailbox: mailbox, uidValidity: selected.uidValidity, cursor: top)
                logger.warning("UIDVALIDITY changed: rebaselined; messages already in the mailbox will not fire",
                               metadata: metadata.merging(["MT_CURSOR": "\(top)"]) { $1 })
            case .reprocess:
                try store.setBaseline(profile: profile.name, mailbox: mailbox, uidValidity: selected.uidValidity, cursor: 0,
                                      reprocessThrough: top)
                logger.warning("UIDVALIDITY changed: reprocessing the mailbox, skipping Message-IDs already processed",
                               metadata: metadata.merging(["MT_REPROCESS_THROUGH": "\(top)"]) { $1 })
            }
            return
        }
        let cursor: UInt32
        switch profile.startFrom {
        case .new:
            cursor = top
        case .all:
            cursor = 0
        case let .last(count):
            let uids = try await session.uidSearch(.all)
            cursor = uids.count > count ? uids[uids.count - count - 1] : 0
        case let .since(year, month, day):
            // SINCE compares the internal date, by day (RFC 3501 §6.4.4).
            let uids = try await session.uidSearch(.since(year: year, month: month, day: day))
            cursor = uids.first.map { $0 - 1 } ?? top
        }
        try store.setBaseline(profile: profile.name, mailbox: mailbox, uidValidity: selected.uidValidity, cursor: cursor)
        logger.info("first run: baseline set", metadata: metadata.merging(["MT_CURSOR": "\(cursor)"]) { $1 })
    }

    /// UIDNEXT-1, or the highest UID present when the server sent no UIDNEXT.
    func highestUID(_ session: IMAPSession, _ selected: SelectedMailbox) async throws -> UInt32 {
        if let next = selected.uidNext, next > 0 { return next - 1 }
        return try await session.uidSearch(.all).last ?? 0
    }

    /// Fetches and ingests every message above the cursor.
    @discardableResult
    public func sync(_ session: IMAPSession, uidValidity: UInt32) async throws -> Outcome {
        // Dovecot answers SEARCH from the view of the previous command; NOOP refreshes it.
        try await session.noop()
        guard let state = try store.mailboxState(profile: profile.name, mailbox: mailbox),
              state.uidValidity == uidValidity else {
            throw IMAPClientError(.invalidState, "the mailbox's baseline changed under the session")
        }
        // `n:*` always includes the highest UID, even one at or below the cursor (RFC 3501 §6.4.8).
        let uids = try await session.uidSearch(.uid(.from(state.cursor &+ 1))).filter { $0 > state.cursor }
        guard !uids.isEmpty else {
            try store.recordSync(profile: profile.name, mailbox: mailbox)
            return Outcome()
        }
        var outcome = Outcome()
        var pending: [FetchedMessage] = []
        var pendingBytes = 0
        let dedupeSince = Date().addingTimeInterval(-reprocessWindow)
        let (store, profileName, mailbox, onQueued, progress) = (store, profile.name, mailbox, onQueued, onProgress)
        try await withThrowingTaskGroup(of: (ingested: Int, queued: Int).self) { writes in
            func committed(_ batch: (ingested: Int, queued: Int)) {
                progress()
                outcome.ingested += batch.ingested
                outcome.queued += batch.queued
            }
            // One batch commits while the next is planned; never two at once, so batches
            // commit in order and the cursor only moves forward.
            func commit(_ batch: [StateStore.IngestedMessage]) async throws {
                if let previous = try await writes.next() { committed(previous) }
                writes.addTask {
                    let queued = try await store.ingest(profile: profileName, mailbox: mailbox, uidValidity: uidValidity,
                                                        messages: batch, onCommit: onQueued)
                    CrashSeam.queued.pass()
                    return (batch.count, queued)
                }
            }
            // Planned a few messages at a time, and committed as soon as their payloads reach
            // `batchBytes`: a fetch batch of 16 MB of adversarial mail (10,000 addresses or
            // parts a message) plans into far more than 16 MB, and all of it held at once made
            // the peak grow with how densely such messages came.
            func flush() async throws {
                guard !pending.isEmpty else { return }
                var batch: [StateStore.IngestedMessage] = []
                var planned = 0
                for start in stride(from: 0, to: pending.count, by: max(1, planningChunk)) {
                    let chunk = pending[start..<min(start + max(1, planningChunk), pending.count)]
                    let plans = await planner.plan(Array(chunk), uidValidity: uidValidity, ways: planningWays)
                    for (fetched, var plan) in zip(chunk, plans) {
                        if let through = state.reprocessThrough, fetched.uid <= through, let messageID = plan.message.messageID,
                           try store.hasSeen(messageID: messageID, profile: profileName, mailbox: mailbox, since: dedupeSince) {
                            plan.message.jobs = []
                            logger.info("skipped: Message-ID already processed before the UIDVALIDITY change",
                                        metadata: ["MT_PROFILE": "\(profileName)", "MT_MAILBOX": "\(mailbox)", "MT_UID": "\(fetched.uid)",
                                                   "MT_MESSAGE_ID": "\(messageID)"])
                        }
                        for note in plan.matchNotes {
                            logger.warning("\(note)", metadata: ["MT_PROFILE": "\(profileName)", "MT_MAILBOX": "\(mailbox)",
                                                                 "MT_UID": "\(fetched.uid)"])
                        }
                        for flow in plan.flows {
                            logger.debug("flow fired", metadata: ["MT_PROFILE": "\(profileName)", "MT_MAILBOX": "\(mailbox)",
                                                                  "MT_UID": "\(fetched.uid)", "MT_FLOW": "\(flow)"])
                        }
                        planned += plan.message.jobs.reduce(0) { $0 + $1.payload.count }
                        batch.append(plan.message)
                    }
                    if planned >= batchBytes {
                        try await commit(batch)
                        batch = []
                        planned = 0
                    }
                }
                pending.removeAll(keepingCapacity: true)
                pendingBytes = 0
                if !batch.isEmpty { try await commit(batch) }
            }
            try await session.fetchMessages(uids: uids, maxBodySize: UInt32(clamping: profile.maxMessageSize),
                                            batchSize: batchSize, batchBytes: batchBytes) { fetched in
                progress()
                CrashSeam.fetched.pass()
                pending.append(fetched)
                pendingBytes += fetched.body.readableBytes
                if pending.count >= batchSize || pendingBytes >= batchBytes { try await flush() }
            }
            try await flush()
            while let last = try await writes.next() { committed(last) }
        }
        // A UID the search returned that the fetch did not (expunged meanwhile) is gone: move
        // the cursor past it so it is not searched for again and again.
        if let last = uids.last, outcome.ingested < uids.count {
            try await store.ingest(profile: profile.name, mailbox: mailbox, uidValidity: uidValidity,
                                   messages: [StateStore.IngestedMessage(uid: last, jobs: [])])
        }
        return outcome
    }
}
