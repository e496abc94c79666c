import Dispatch
import Synchronization

/// Sends sd_notify(3) messages from a thread of its own, in the order they were given, so the
/// caller never waits on the service manager.
///
/// sd_notify writes to a datagram socket in blocking mode: when the reader falls behind (PID 1
/// busy, or a test that reads the socket only now and then) `sendmsg` blocks. Called on Swift's
/// cooperative pool — two threads on a two-core machine — a blocked send, plus a second thread
/// waiting for the lock the first one holds, stopped every watcher of the daemon. Here only this
/// queue's thread waits.
///
/// `STATUS=` lines are coalesced: while one is waiting to be sent, a newer one replaces it, so a
/// thousand watchers changing state at start-up cost a few datagrams, each the current line.
public final class NotificationQueue: Sendable {
    public let notifier: SystemdNotifier
    private let queue = DispatchQueue(label: "mailtrigger.sd-notify")
    /// The newest status line not yet sent, and whether a send of it is already queued.
    private let pendingStatus = Mutex<(line: String?, queued: Bool)>((nil, false))

    public init(notifier: SystemdNotifier = SystemdNotifier()) {
        self.notifier = notifier
    }

    /// Queues `state` (`READY=1`, `STOPPING=1`, `WATCHDOG=1`…).
    public func send(_ state: String) {
        queue.async { [notifier] in notifier.notify(state) }
    }

    /// Queues `RELOADING=1` with the time of this call (``SystemdNotifier/reloading()``).
    public func reloading() {
        send(SystemdNotifier.reloadingMessage(monotonicMicroseconds: SystemdNotifier.monotonicMicroseconds))
    }

    /// Queues `STATUS=line`, or replaces the line still waiting to be sent.
    public func status(_ line: String) {
        let queueSend = pendingStatus.withLock { pending in
            pending.line = line
            defer { pending.queued = true }
            return !pending.queued
        }
        guard queueSend else { return }
        queue.async { [self] in
            let line = pendingStatus.withLock { pending in
                pending.queued = false
                defer { pending.line = nil }
                return pending.line
            }
            if let line { notifier.notify("STATUS=" + line) }
        }
    }

    /// Waits until everything queued so far was sent, or `timeout` passed (a reader that never
    /// reads must not keep the process from exiting). Returns whether it was all sent.
    @discardableResult
    public func flush(timeout: Duration = .seconds(2)) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        return done.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success
    }
}
