import Foundation
public import Logging
import ServiceLifecycle

/// `mailtrigger run`: the state store, one dispatcher, and one watcher per listening
/// (profile, mailbox), in one `ServiceGroup` (DESIGN.md §3) that shuts down gracefully on
/// SIGTERM and SIGINT: watchers stop fetching first, then the dispatcher drains.
public struct Daemon: Sendable {
    public var configuration: Configuration
    public var logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT. `ready` is called once the store is open and every
    /// service is about to start (systemd's READY=1); `status` with the one-line summary
    /// (``StatusSummary``) whenever it changes; `stopping` when a graceful shutdown begins.
    public func run(ready: @Sendable () -> Void = {}, status: @escaping @Sendable (String) -> Void = { _ in },
                    stopping: @escaping @Sendable () -> Void = {}) async throws {
        let store = try StateStore.open(for: configuration)
        try store.daemonStarted(pid: ProcessInfo.processInfo.processIdentifier)
        let webhookClient = WebhookClient(maxIdlePerEndpoint: configuration.delivery.concurrency)
        let performer = ActionPerformer(configuration: configuration, webhookClient: webhookClient, logger: logger)
        let dispatcher = Dispatcher(store: store, performer: performer, policy: configuration.delivery.retry,
                                    concurrency: configuration.delivery.concurrency,
                                    drainTimeout: configuration.delivery.drainTimeout,
                                    executors: webhookClient.group.makeIterator().map(EventLoopTaskExecutor.init), logger: logger)
        let listening = configuration.profiles.filter(\.listen)
        let publisher = StatusPublisher(profiles: listening.count, send: status)
        let board = WatcherBoard(watchers: listening.flatMap { profile in profile.mailboxes.map { (profile.name, $0) } }) {
            publisher.watchersChanged($0)
        }
        var watchers: [MailboxWatcher] = []
        for profile in listening {
            for mailbox in profile.mailboxes {
                let synchronizer = MailboxSynchronizer(store: store, planner: IngestPlanner(profile: profile, mailbox: mailbox),
                                                       logger: logger, onQueued: { dispatcher.offer($0) })
                watchers.append(MailboxWatcher(connector: ProfileConnector(profile: profile, logger: logger),
                                               synchronizer: synchronizer, logger: logger,
                                               idleReissue: min(profile.refreshInterval, .seconds(540)), board: board))
            }
        }
        var heartbeat = Heartbeat(store: store, logger: logger)
        heartbeat.afterBeat = {
            if let totals = try? store.outboxTotals() { publisher.outboxCounted(queued: totals.pending, dead: totals.dead) }
        }
        logger.info("starting", metadata: ["MT_PROFILES": "\(configuration.profiles.count)", "MT_WATCHERS": "\(watchers.count)"])
        // Services shut down in reverse order: watchers stop fetching first, the dispatcher
        // drains after them.
        let group = ServiceGroup(configuration: .init(
            // The notice is last, so it hears of the shutdown first.
            services: [.init(service: heartbeat), .init(service: dispatcher)] + watchers.map { .init(service: $0) }
                + [.init(service: ShutdownNotice(action: stopping))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        ready()
        publisher.watchersChanged(board.snapshot)
        do {
            try await group.run()
        } catch {
            logger.error("a service failed", metadata: ["MT_ERROR": "\(error)"])
        }
        await performer.close()
        await webhookClient.shutdown()
        try? store.daemonStopped()
        logger.info("stopped")
    }
}
