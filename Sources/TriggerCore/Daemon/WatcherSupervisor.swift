public import Logging
public import ServiceLifecycle

/// The watchers of the listening profiles, one per (profile, mailbox), as one service whose set
/// can change while it runs: a reload (``ConfigurationReloader``) stops the watchers of removed
/// and changed profiles and starts those of added and changed ones, and leaves every other
/// watcher — and its connection — alone. At a graceful shutdown every watcher stops fetching
/// before `run()` returns, so the dispatcher, which shuts down after this service, drains last.
public actor WatcherSupervisor: Service {
    /// Makes the watcher of one mailbox of a profile.
    public typealias Factory = @Sendable (Profile, String) -> MailboxWatcher

    /// What a reload changed, by profile name.
    public struct Changes: Equatable, Sendable {
        public var added: [String] = []
        public var removed: [String] = []
        public var restarted: [String] = []
        public var unchanged: [String] = []
    }

    struct Key: Hashable {
        var profile: String
        var mailbox: String
    }

    let makeWatcher: Factory
    let board: WatcherBoard?
    let logger: Logger
    /// The profiles whose watchers run (or will, once `run()` starts), by name, in file order.
    private(set) var profiles: [Profile]
    private var tasks: [Key: Task<Void, Never>] = [:]
    private var running = false
    private var stopping = false

    /// `profiles`: the listening ones.
    public init(profiles: [Profile], board: WatcherBoard? = nil, logger: Logger, makeWatcher: @escaping Factory) {
        self.profiles = profiles
        self.board = board
        self.logger = logger
        self.makeWatcher = makeWatcher
    }

    public func run() async throws {
        running = true
        for profile in profiles { start(profile) }
        // Until SIGTERM (or the group is cancelled); then stop every watcher and wait for them.
        try? await gracefulShutdown()
        stopping = true
        await stop(Array(tasks.keys), forget: false)
    }

    /// The number of watchers running.
    public var watcherCount: Int { tasks.count }

    /// Makes the running watchers those of `newProfiles` (the listening ones): stops the
    /// watchers of profiles that are gone or differ in anything, runs `between` (the performer
    /// takes the new configuration there, so no job of a stopped watcher meets a configuration
    /// without its flow, and no new watcher queues a job the performer does not know), then
    /// starts the added and changed ones. Unchanged profiles keep their watchers.
    public func apply(_ newProfiles: [Profile], between: @Sendable () async -> Void = {}) async -> Changes {
        var changes = Changes()
        let old = Dictionary(profiles.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(newProfiles.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for profile in profiles {
            switch new[profile.name] {
            case nil: changes.removed.append(profile.name)
            case profile?: changes.unchanged.append(profile.name)
            default: changes.restarted.append(profile.name)
            }
        }
        changes.added = newProfiles.map(\.name).filter { old[$0] == nil }
        let leaving = Set(changes.removed + changes.restarted)
        await stop(tasks.keys.filter { leaving.contains($0.profile) }, forget: true)
        await between()
        profiles = newProfiles
        // Not before run() (it starts them all) and not during a shutdown.
        if running, !stopping {
            for profile in newProfiles where changes.added.contains(profile.name) || changes.restarted.contains(profile.name) {
                start(profile)
            }
        }
        return changes
    }

    private func start(_ profile: Profile) {
        for mailbox in profile.mailboxes {
            let key = Key(profile: profile.name, mailbox: mailbox)
            guard tasks[key] == nil else { continue }
            let watcher = makeWatcher(profile, mailbox)
            tasks[key] = Task { try? await watcher.run() }
        }
    }

    /// Cancels the watchers and waits until each has closed its connection and reported
    /// itself stopped; with `forget` (a reload), they leave the status board. A watcher stays in
    /// `tasks` until it has stopped, so a shutdown during a reload waits for it too.
    private func stop(_ keys: [Key], forget: Bool) async {
        let stopping = keys.compactMap { key in tasks[key].map { (key, $0) } }
        for (_, task) in stopping { task.cancel() }
        for (key, task) in stopping {
            await task.value
            if tasks[key] == task { tasks[key] = nil }
            if forget { board?.remove(profile: key.profile, mailbox: key.mailbox) }
        }
    }
}
