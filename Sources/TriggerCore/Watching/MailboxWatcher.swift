import Foundation
import Synchronization
import IMAPClient
import IMAPCore
public import Logging
public import ServiceLifecycle

/// Watches one mailbox of one profile for as long as the daemon runs (DESIGN.md §5): connect,
/// sign in, EXAMINE, sync; then wait for new mail in IDLE (re-issued every `idleReissue`) or
/// for the next poll tick; sync again; and on any failure reconnect after a backoff. IDLE only
/// makes mail arrive sooner: every connect and every refresh runs the same sync, so a missed
/// notification costs latency, never a message.
public final class MailboxWatcher: Service, Sendable {
    public let connector: ProfileConnector
    public let synchronizer: MailboxSynchronizer
    public let logger: Logger
    public let backoff: ReconnectBackoff
    /// IDLE is ended and re-issued this often (servers may drop IDLE after 30 min; Gmail after
    /// about 10), and a sync runs each time.
    public let idleReissue: Duration
    /// Where the watcher's state is also kept in memory (the service's status line), if anywhere.
    public let board: WatcherBoard?
    /// How long a session must have been watching for its end to restart the backoff: shorter
    /// sessions that end in a failure count as failures in a row.
    public let stableSession: Duration
    /// Shared by every watcher of the daemon: how many connect at once (``ConnectGate``).
    public let connectGate: ConnectGate
    /// The watcher's own waits (the IDLE re-issue, the backoff), on the clock given at init: the
    /// continuous clock, or a faster one in tests that simulate hours (`ScaledClock`).
    let sleep: @Sendable (Duration) async throws -> Void

    var profile: Profile { connector.profile }
    var mailbox: String { synchronizer.mailbox }
    var store: StateStore { synchronizer.store }

    public init(connector: ProfileConnector, synchronizer: MailboxSynchronizer, logger: Logger,
                backoff: ReconnectBackoff = ReconnectBackoff(), idleReissue: Duration = .seconds(540), board: WatcherBoard? = nil,
                stableSession: Duration = .seconds(30), connectGate: ConnectGate = ConnectGate(),
                clock: some Clock<Duration> = ContinuousClock()) {
        self.connector = connector
        self.connectGate = connectGate
        self.stableSession = stableSession
        sleep = { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
        self.board = board
        var synchronizer = synchronizer
        if let board {
            let (profile, mailbox, allowance) = (connector.profile.name, synchronizer.mailbox, Self.stepAllowance(connector.profile))
            let previous = synchronizer.onProgress
            // Called for every fetched message: the shared board (one lock, a search among every
            // watcher) hears of it at most once a second; the allowance is minutes.
            let lastMark = ProgressMark()
            synchronizer.onProgress = {
                previous()
                if lastMark.due(every: .seconds(1)) { board.alive(profile: profile, mailbox: mailbox, for: allowance) }
            }
        }
        self.synchronizer = synchronizer
        self.backoff = backoff
        self.idleReissue = idleReissue
        var logger = logger
        logger[metadataKey: "MT_PROFILE"] = "\(connector.profile.name)"
        logger[metadataKey: "MT_MAILBOX"] = "\(synchronizer.mailbox)"
        self.logger = logger
    }

    /// Runs until cancelled or until the service group shuts down gracefully. Whatever was
    /// ingested is committed; a sync cut short is simply repeated at the next start.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.watch()
        }
        report(.stopped)
    }

    func watch() async {
        #if DEBUG
        // Test builds only (the watchdog test): a watcher stuck in a call that never returns,
        // after promising progress within two seconds.
        if ProcessInfo.processInfo.environment["MT_TEST_WEDGE_PROFILE"] == profile.name {
            report(.connecting, aliveFor: .seconds(2))
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(60)) }
            return
        }
        #endif
        var failures = 0
        var reauthorizationLogged = false
        while !Task.isCancelled {
            let committedBefore = committedMark()
            var watchingSince: ContinuousClock.Instant?
            do {
                try await session {
                    watchingSince = .now
                    reauthorizationLogged = false
                }
            } catch where Task.isCancelled || error is CancellationError {
                return
            } catch {
                // The backoff starts afresh after a session that made progress: one that
                // committed messages before it failed (a connection reset mid-sync, say), or one
                // that watched for `stableSession` (a server restart after hours of IDLE). A
                // server that ends every session soon after it starts — a BYE right after sign-in,
                // or at every IDLE — is backed off further each time: no reconnect loop.
                if committedMark() != committedBefore { failures = 0 }
                if let watchingSince, ContinuousClock.now - watchingSince >= stableSession { failures = 0 }
                failures += 1
                let reauthorization = (error as? OAuthTokenSource.Failure)?.kind == .reauthorizationNeeded
                let authentication = reauthorization || (error as? IMAPClientError)?.code == .authenticationFailed
                let delay = backoff.delay(afterFailures: failures, authentication: authentication)
                let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                let metadata: Logger.Metadata = ["MT_ERROR": "\(error)", "MT_RETRY_IN": "\(Int(seconds.rounded(.up)))s",
                                                 "MT_FAILURES": "\(failures)"]
                if reauthorization {
                    // Only a new sign-in helps: said once at error, then quietly retried.
                    if reauthorizationLogged {
                        logger.info("re-authorisation still needed; backing off", metadata: metadata)
                    } else {
                        logger.error("re-authorisation needed: the authorization server refused the refresh token; run mailtrigger oauth login",
                                     metadata: metadata)
                        reauthorizationLogged = true
                    }
                } else {
                    logger.warning(authentication ? "sign-in refused; backing off" : "connection failed; backing off", metadata: metadata)
                }
                // A counted backoff: alive as long as the next attempt comes when it is due.
                report(reauthorization ? .reauthNeeded : authentication ? .authFailed : .backingOff, error: "\(error)",
                       nextAttemptAt: Date().addingTimeInterval(seconds), aliveFor: delay + stepAllowance)
                do {
                    try await sleep(delay)
                } catch {
                    return
                }
            }
        }
    }

    /// The mailbox's stored UIDVALIDITY and cursor: they change only when a sync commits.
    func committedMark() -> [UInt32]? {
        (try? store.mailboxState(profile: profile.name, mailbox: mailbox)).flatMap { $0.map { [$0.uidValidity, $0.cursor] } }
    }

    /// One connection's life: returns only by throwing.
    func session(connected: () -> Void) async throws {
        report(.connecting)
        let connector = self.connector, synchronizer = self.synchronizer
        let (session, opened) = try await connectGate.withPermit(onWait: waitForTurn) {
            proveAlive(for: stepAllowance)
            let session = try await transient { try await connector.open() }
            proveAlive(for: stepAllowance)
            do {
                return (session, try await transient { try await synchronizer.open(session) })
            } catch {
                await session.close()
                throw error
            }
        }
        proveAlive(for: stepAllowance)
        do {
            var selected = opened
            var useIdle = false
            if profile.mode != .poll {
                useIdle = try await session.supports(.idle)
                if !useIdle, profile.mode == .idle {
                    logger.warning("mode is idle but the server does not offer IDLE; polling instead")
                }
            }
            logger.info("watching", metadata: ["MT_UIDVALIDITY": "\(selected.uidValidity)",
                                               "MT_METHOD": "\(useIdle ? "idle" : "poll")"])
            let timer = useIdle ? nil : PollTimer(interval: profile.refreshInterval)
            var ticks = timer?.ticks.makeAsyncIterator()
            var first = true
            while true {
                let uidValidity = selected.uidValidity
                try await transient { try await self.syncUntilQuiet(session, uidValidity: uidValidity) }
                if first {
                    // Only a session that synced counts as a recovery: one that connects and
                    // fails at once keeps growing the backoff.
                    first = false
                    connected()
                    report(.watching)
                }
                let refresh: Bool
                if useIdle {
                    // Quiet until new mail or the re-issue, whose DONE is answered within a step.
                    proveAlive(for: idleReissue + stepAllowance)
                    refresh = try await !idle(session)
                } else {
                    proveAlive(for: profile.refreshInterval + stepAllowance)
                    guard await ticks?.next() != nil else { throw CancellationError() }
                    refresh = true
                }
                proveAlive(for: stepAllowance)
                if refresh {
                    // The safety net also re-opens the mailbox: a mailbox deleted and recreated
                    // under an open session may keep showing the old one (Dovecot does), and
                    // only a new SELECT reveals the new UIDVALIDITY.
                    selected = try await transient { try await synchronizer.open(session) }
                }
            }
        } catch {
            await session.close()
            throw error
        }
    }

    /// Runs `work` in a child task that ends with it. A task keeps the memory its deepest chain
    /// of async frames once needed until the task ends: a connect, SELECT or sync needs several
    /// KB, the IDLE wait between them far less. Run in the watcher's own task, that high-water
    /// mark would stay allocated for every watched mailbox for the daemon's whole life.
    func transient<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask(operation: work)
            guard let result = try await group.next() else { throw CancellationError() }
            return result
        }
    }

    /// Syncs, then again while the server reported new mail during the sync: an EXISTS inside a
    /// FETCH or SEARCH reply is not repeated once IDLE starts (DESIGN.md §5).
    func syncUntilQuiet(_ session: IMAPSession, uidValidity: UInt32) async throws {
        while true {
            let outcome = try await synchronizer.sync(session, uidValidity: uidValidity)
            proveAlive(for: stepAllowance)
            if outcome.ingested > 0 {
                logger.info("synced", metadata: ["MT_INGESTED": "\(outcome.ingested)", "MT_QUEUED": "\(outcome.queued)"])
            }
            let events = try await session.takeEvents()
            if let bye = events.compactMap({ if case let .bye(text) = $0 { text } else { nil } }).first {
                throw IMAPClientError(.connectionClosed, "server said BYE", serverText: bye)
            }
            guard events.contains(where: Self.signalsNewMail) else { return }
        }
    }

    /// One IDLE: returns true when new mail was announced, false when it was time to re-issue.
    func idle(_ session: IMAPSession) async throws -> Bool {
        let idle = try await session.idle()
        let (reissue, sleep) = (idleReissue, self.sleep)
        let newMail = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for try await event in idle.events {
                    if Self.signalsNewMail(event) { return true }
                    if case let .bye(text) = event {
                        throw IMAPClientError(.connectionClosed, "server said BYE during IDLE", serverText: text)
                    }
                }
                throw IMAPClientError(.connectionClosed, "connection closed during IDLE")
            }
            group.addTask {
                try await sleep(reissue)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        // DONE has the command timeout: a half-open connection fails here at the latest.
        try await idle.done()
        return newMail
    }

    static func signalsNewMail(_ event: MailboxEvent) -> Bool {
        switch event {
        case .exists, .recent: return true
        default: return false
        }
    }

    /// How long one step may take before the watcher counts as wedged (the watchdog, DESIGN.md
    /// §5): a connect and sign-in, a SELECT, one fetched message or committed batch, the answer
    /// to DONE. Each command has its own timeout, so a step that takes longer is stuck in our
    /// code, not waiting on the server. With the defaults (30 s connect, 60 s command): 3.5 min.
    public static func stepAllowance(_ profile: Profile) -> Duration {
        .nanoseconds(profile.server.connectTimeout.nanoseconds + 3 * profile.server.commandTimeout.nanoseconds)
    }

    var stepAllowance: Duration { Self.stepAllowance(profile) }

    /// Queued behind other watchers' connects: no promise of its own (the holders of the gate
    /// keep theirs, so a stuck queue still shows as their wedge, not as a thousand).
    func waitForTurn() {
        board?.set(profile: profile.name, mailbox: mailbox, .connecting, aliveFor: nil)
    }

    func proveAlive(for duration: Duration) {
        board?.alive(profile: profile.name, mailbox: mailbox, for: duration)
    }

    func report(_ state: StateStore.WatcherState, error: String? = nil, nextAttemptAt: Date? = nil, aliveFor: Duration? = nil) {
        // Every state but stopped promises progress; by default within a step.
        board?.set(profile: profile.name, mailbox: mailbox, state,
                   aliveFor: state == .stopped ? nil : aliveFor ?? stepAllowance)
        do {
            try store.setWatcherState(profile: profile.name, mailbox: mailbox, state, error: error, nextAttemptAt: nextAttemptAt)
        } catch {
            logger.error("cannot record the watcher's state", metadata: ["MT_ERROR": "\(error)"])
        }
    }
}

/// When a watcher last told the board of its progress (its own lock: no contention).
final class ProgressMark: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    /// Whether `interval` has passed since the last time this said yes (yes the first time).
    func due(every interval: Duration) -> Bool {
        let now = ContinuousClock.now
        return last.withLock { last in
            if let previous = last, now - previous < interval { return false }
            last = now
            return true
        }
    }
}
