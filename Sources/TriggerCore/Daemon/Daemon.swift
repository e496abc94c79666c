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
    /// service is about to start (systemd's READY=1).
    public func run(ready: @Sendable () -> Void = {}) async throws {
        let store = try StateStore.open(for: configuration)
        try store.daemonStarted(pid: ProcessInfo.processInfo.processIdentifier)
        let webhookClient = WebhookClient(maxIdlePerEndpoint: configuration.delivery.concurrency)
        let performer = ActionPerformer(configuration: configuration, webhookClient: webhookClient, logger: logger)
        let dispatcher = Dispatcher(store: store, performer: performer, policy: configuration.delivery.retry,
                                    concurrency: configuration.delivery.concurrency,
                                    drainTimeout: configuration.delivery.drainTimeout,
                                    executors: webhookClient.group.makeIterator().map(EventLoopTaskExecutor.init), logger: logger)
        var watchers: [MailboxWatcher] = []
        for profile in configuration.profiles where profile.listen {
            for mailbox in profile.mailboxes {
                let synchronizer = MailboxSynchronizer(store: store, planner: IngestPlanner(profile: profile, mailbox: mailbox),
                                                       logger: logger, onQueued: { dispatcher.offer($0) })
                watchers.append(MailboxWatcher(connector: ProfileConnector(profile: profile, logger: logger),
                                               synchronizer: synchronizer, logger: logger,
                                               idleReissue: min(profile.refreshInterval, .seconds(540))))
            }
        }
        let heartbeat = Heartbeat(store: store, logger: logger)
        logger.info("starting", metadata: ["MT_PROFILES": "\(configuration.profiles.count)", "MT_WATCHERS": "\(watchers.count)"])
        // Services shut down in reverse order: watchers stop fetching first, the dispatcher
        // drains after them.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: heartbeat), .init(service: dispatcher)] + watchers.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        ready()
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
