import Logging
public import ServiceLifecycle
import UnixSignals

/// SIGHUP (`systemctl reload`, DESIGN.md §6): re-reads and validates the configuration file.
/// A file with errors is refused — each error logged with its JSON path — and the running
/// configuration stays. Otherwise the performer takes the new flows and only the watchers of
/// added, removed or changed profiles are started, stopped or restarted; the others keep their
/// connections. `stateDirectory` and `delivery` are fixed for the process's life: a change there
/// is logged and waits for the next restart. The service manager hears `RELOADING=1` first and
/// `READY=1` when done, whether the file was taken or refused.
public actor ConfigurationReloader: Service {
    public let path: String
    /// The configuration running now.
    public private(set) var configuration: Configuration
    let signals: UnixSignalsSequence
    let supervisor: WatcherSupervisor
    let performer: ActionPerformer
    let publisher: StatusPublisher?
    let notices: ServiceManagerNotices
    let logger: Logger

    /// `signals`: SIGHUP, trapped before the service manager hears READY=1, so an early reload
    /// cannot kill the process with SIGHUP's default action.
    init(path: String, configuration: Configuration, signals: UnixSignalsSequence, supervisor: WatcherSupervisor,
         performer: ActionPerformer, publisher: StatusPublisher?, notices: ServiceManagerNotices, logger: Logger) {
        self.path = path
        self.configuration = configuration
        self.signals = signals
        self.supervisor = supervisor
        self.performer = performer
        self.publisher = publisher
        self.notices = notices
        self.logger = logger
    }

    public func run() async throws {
        let signals = self.signals
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                await self.reload()
            }
        }
    }

    /// One reload. Returns what changed, or nil when the file was refused.
    @discardableResult
    public func reload() async -> WatcherSupervisor.Changes? {
        notices.reloading()
        defer { notices.ready() }
        logger.info("reloading the configuration", metadata: ["MT_CONFIG": "\(path)"])
        let loaded = Configuration.load(path: path)
        for warning in loaded.warnings {
            logger.warning("configuration warning", metadata: ["MT_ISSUE": "\(warning)"])
        }
        guard var new = loaded.configuration else {
            for error in loaded.errors {
                logger.error("configuration error", metadata: ["MT_ISSUE": "\(error)"])
            }
            logger.error("reload refused: the configuration has errors; the running one stays",
                         metadata: ["MT_CONFIG": "\(path)", "MT_ERRORS": "\(loaded.errors.count)"])
            return nil
        }
        if new.stateDirectory != configuration.stateDirectory || new.delivery != configuration.delivery {
            logger.warning("stateDirectory and delivery settings take effect at the next restart")
            new.stateDirectory = configuration.stateDirectory
            new.delivery = configuration.delivery
        }
        let (performer, applied) = (self.performer, new)
        let listening = new.profiles.filter(\.listen)
        let changes = await supervisor.apply(listening) { await performer.update(applied) }
        configuration = new
        publisher?.profilesChanged(listening.count)
        logger.info("reloaded", metadata: [
            "MT_ADDED": "\(changes.added.joined(separator: ","))", "MT_REMOVED": "\(changes.removed.joined(separator: ","))",
            "MT_RESTARTED": "\(changes.restarted.joined(separator: ","))",
            "MT_UNCHANGED": "\(changes.unchanged.joined(separator: ","))",
        ])
        return changes
    }
}
