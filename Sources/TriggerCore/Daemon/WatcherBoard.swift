import Synchronization

/// What every watcher is doing now, kept in memory for the service manager's status line
/// (``StatusSummary``): the store has the same states for `status`, but the line is rebuilt at
/// every change and must not cost a query.
public final class WatcherBoard: Sendable {
    /// One watcher's state.
    public struct Entry: Hashable, Sendable {
        public var profile: String
        public var mailbox: String
        public var state: StateStore.WatcherState
    }

    private let entries = Mutex<[Entry]>([])
    private let onChange: @Sendable ([Entry]) -> Void

    /// `watchers` start as `connecting`; `onChange` gets every watcher after each change of a state.
    public init(watchers: [(profile: String, mailbox: String)], onChange: @escaping @Sendable ([Entry]) -> Void = { _ in }) {
        entries.withLock { $0 = watchers.map { Entry(profile: $0.profile, mailbox: $0.mailbox, state: .connecting) } }
        self.onChange = onChange
    }

    /// Records a watcher's state; a watcher the board does not know is added.
    public func set(profile: String, mailbox: String, _ state: StateStore.WatcherState) {
        let changed = entries.withLock { entries -> [Entry]? in
            if let index = entries.firstIndex(where: { $0.profile == profile && $0.mailbox == mailbox }) {
                guard entries[index].state != state else { return nil }
                entries[index].state = state
            } else {
                entries.append(Entry(profile: profile, mailbox: mailbox, state: state))
            }
            return entries
        }
        if let changed { onChange(changed) }
    }

    /// Every watcher, in the order they were given.
    public var snapshot: [Entry] { entries.withLock { $0 } }
}
