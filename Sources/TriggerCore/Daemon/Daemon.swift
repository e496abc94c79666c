import Foundation
public import Logging
import ServiceLifecycle
import UnixSignals

/// `mailtrigger run`: the state store, one dispatcher, and one watcher per listening
/// (profile, mailbox) under a ``WatcherSupervisor``, in one `ServiceGroup` (DESIGN.md §3) that
/// shuts down gracefully on SIGTERM and SIGINT: watchers stop fetching first, then the
/// dispatcher drains. SIGHUP reloads the configuration (``ConfigurationReloader``); with a
/// watchdog, ``WatchdogPinger`` pings it while no watcher is wedged.
public struct Daemon: Sendable {
    public var configuration: Configuration
    public var logger: Logger
    /// The file `configuration` came from: SIGHUP reloads it (``ConfigurationReloader``);
    /// without one, SIGHUP is ignored.
    public var configurationPath: String?

    public init(configuration: Configuration, logger: Logger, configurationPath: String? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.configurationPath = configurationPath
    }

    /// Runs until SIGTERM or SIGINT, telling the service manager what happens (`notices`):
    /// ready once the store is open and every service is about to start, not after the first
    /// connection, so one unreachable server cannot hold up the start.
    public func run(notices: ServiceManagerNotices = ServiceManagerNotices()) async throws {
        let store = try StateStore.open(for: configuration)
        try store.daemonStarted(pid: ProcessInfo.processInfo.processIdentifier)
        let webhookClient = WebhookClient(maxIdlePerEndpoint: configuration.delivery.concurrency)
        let tokens = OAuthTokenSources(client: webhookClient, store: store, logger: logger)
        let performer = ActionPerformer(configuration: configuration, webhookClient: webhookClient, tokens: tokens, logger: logger)
        let dispatcher = Dispatcher(store: store, performer: performer, policy: configuration.delivery.retry,
                                    concurrency: configuration.delivery.concurrency,
                                    drainTimeout: configuration.delivery.drainTimeout,
                                    executors: webhookClient.group.makeIterator().map(EventLoopTaskExecutor.init), logger: logger)
        let listening = configuration.profiles.filter(\.listen)
        let publisher = StatusPublisher(profiles: listening.count, send: notices.status)
        let board = WatcherBoard(watchers: listening.flatMap { profile in profile.mailboxes.map { (profile.name, $0) } }) {
            publisher.watchersChanged($0)
        }
        let logger = self.logger
        // Shared by every watcher, and across reloads: a restart of a thousand watchers
        // connects a few at a time (connections come up after READY).
        let connectGate = ConnectGate()
        let supervisor = WatcherSupervisor(profiles: listening, board: board, logger: logger) { profile, mailbox in
            let synchronizer = MailboxSynchronizer(store: store, planner: IngestPlanner(profile: profile, mailbox: mailbox),
                                                   logger: logger, onQueued: { dispatcher.offer($0) })
            return MailboxWatcher(connector: tokens.connector(for: profile, logger: logger), synchronizer: synchronizer,
                                  logger: logger, idleReissue: min(profile.refreshInterval, .seconds(540)), board: board,
                                  connectGate: connectGate)
        }
        var heartbeat = Heartbeat(store: store, logger: logger)
        heartbeat.afterBeat = {
            if let totals = try? store.outboxTotals() { publisher.outboxCounted(queued: totals.pending, dead: totals.dead) }
        }
        // Services shut down in reverse order: the notice first (it tells the service manager),
        // then the watchers stop fetching, and the dispatcher drains after them.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: heartbeat), .init(service: dispatcher),
                                                                         .init(service: supervisor)]
        if let configurationPath {
            // Trapped now, before READY=1: SIGHUP's default action would end the process.
            let signals = await UnixSignalsSequence(trapping: .sighup)
            services.append(.init(service: ConfigurationReloader(
                path: configurationPath, configuration: configuration, signals: signals, supervisor: supervisor,
                performer: performer, publisher: publisher, notices: notices, logger: logger)))
        }
        if let watchdog = notices.watchdog {
            services.append(.init(service: WatchdogPinger(interval: watchdog.interval, board: board, logger: logger, ping: watchdog.ping)))
        }
        services.append(.init(service: ShutdownNotice(action: notices.stopping)))
        logger.info("starting", metadata: ["MT_PROFILES": "\(configuration.profiles.count)",
                                           "MT_WATCHERS": "\(listening.reduce(0) { $0 + $1.mailboxes.count })"])
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        notices.ready()
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
