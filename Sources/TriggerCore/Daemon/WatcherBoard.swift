import Synchronization

/// What every watcher is doing now, kept in memory for the service manager: the status line
/// (``StatusSummary``) and the watchdog (``WatchdogPinger``). The store has the same states for
/// `status`, but the line is rebuilt at every change and must not cost a query.
///
/// Each watcher also promises when it will next show progress (`aliveUntil`, DESIGN.md §5): a
/// round trip with its server, a committed batch, the end of an IDLE or a backoff. A watcher
/// past its promise is wedged.
public final class WatcherBoard: Sendable {
    /// One watcher's state.
    public struct Entry: Hashable, Sendable {
        public var profile: String
        public var mailbox: String
        public var state: StateStore.WatcherState
        /// The watcher is wedged if it shows no progress by then; nil: not watched (stopped).
        public var aliveUntil: ContinuousClock.Instant?
    }

    private let entries = Mutex<[Entry]>([])
    private let onChange: @Sendable ([Entry]) -> Void

    /// `watchers` start as `connecting`; `onChange` gets every watcher after each change of a
    /// state and after a watcher is removed.
    public init(watchers: [(profile: String, mailbox: String)], onChange: @escaping @Sendable ([Entry]) -> Void = { _ in }) {
        entries.withLock { $0 = watchers.map { Entry(profile: $0.profile, mailbox: $0.mailbox, state: .connecting) } }
        self.onChange = onChange
    }

    /// Records a watcher's state and, with `aliveFor`, when it must next show progress; a
    /// watcher the board does not know is added.
    public func set(profile: String, mailbox: String, _ state: StateStore.WatcherState, aliveFor: Duration? = nil) {
        let aliveUntil = aliveFor.map { ContinuousClock.now + $0 }
        let changed = entries.withLock { entries -> [Entry]? in
            if let index = entries.firstIndex(where: { $0.profile == profile && $0.mailbox == mailbox }) {
                entries[index].aliveUntil = aliveUntil
                guard entries[index].state != state else { return nil }
                entries[index].state = state
            } else {
                entries.append(Entry(profile: profile, mailbox: mailbox, state: state, aliveUntil: aliveUntil))
            }
            return entries
        }
        if let changed { onChange(changed) }
    }

    /// Progress without a change of state: the watcher must next show progress within `duration`.
    public func alive(profile: String, mailbox: String, for duration: Duration) {
        let aliveUntil = ContinuousClock.now + duration
        entries.withLock { entries in
            if let index = entries.firstIndex(where: { $0.profile == profile && $0.mailbox == mailbox }) {
                entries[index].aliveUntil = aliveUntil
            }
        }
    }

    /// Forgets a watcher (its profile was removed or restarted by a reload).
    public func remove(profile: String, mailbox: String) {
        let changed = entries.withLock { entries -> [Entry]? in
            guard let index = entries.firstIndex(where: { $0.profile == profile && $0.mailbox == mailbox }) else { return nil }
            entries.remove(at: index)
            return entries
        }
        if let changed { onChange(changed) }
    }

    /// The watchers that promised progress before `now` and have shown none.
    public func overdue(at now: ContinuousClock.Instant = .now) -> [Entry] {
        entries.withLock { $0.filter { entry in entry.aliveUntil.map { $0 < now } ?? false } }
    }

    /// Every watcher, in the order they were given.
    public var snapshot: [Entry] { entries.withLock { $0 } }
}
