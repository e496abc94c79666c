import Synchronization

/// Keeps the service manager's status line current: rebuilt when a watcher's state changes and
/// when the outbox counts are refreshed (each heartbeat), sent only when it changed.
final class StatusPublisher: Sendable {
    struct State {
        var profiles: Int
        var queued = 0
        var dead = 0
        var watchers: [WatcherBoard.Entry] = []
        var lastLine: String?
    }

    let send: @Sendable (String) -> Void
    private let state: Mutex<State>

    init(profiles: Int, send: @escaping @Sendable (String) -> Void) {
        state = Mutex(State(profiles: profiles))
        self.send = send
    }

    /// After a reload: the number of listening profiles.
    func profilesChanged(_ profiles: Int) {
        publish { $0.profiles = profiles }
    }

    func watchersChanged(_ watchers: [WatcherBoard.Entry]) {
        publish { $0.watchers = watchers }
    }

    func outboxCounted(queued: Int, dead: Int) {
        publish { state in
            state.queued = queued
            state.dead = dead
        }
    }

    /// Sends under the lock, so lines reach the service manager in the order they were made.
    private func publish(_ change: (inout State) -> Void) {
        state.withLock { state in
            change(&state)
            let line = StatusSummary.line(profiles: state.profiles, watchers: state.watchers, queued: state.queued, dead: state.dead)
            guard line != state.lastLine else { return }
            state.lastLine = line
            send(line)
        }
    }
}
