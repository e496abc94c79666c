import IMAPClient
import IMAPCore
public import Logging

/// Carries out post-actions (DESIGN.md §5) on one read-write session per profile, opened when
/// the first job arrives and kept for the next ones; the watchers' sessions stay read-only and
/// in IDLE. Jobs of a profile run one after another, so they never race on the selection.
public actor PostActionRunner {
    public let connector: ProfileConnector
    let logger: Logger
    private var session: IMAPSession?
    private var selected: SelectedMailbox?
    /// Jobs waiting for the session. An actor is re-entrant at every `await`: without this
    /// queue two jobs would interleave their SELECT and STORE on the one connection.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(connector: ProfileConnector, logger: Logger) {
        self.connector = connector
        self.logger = logger
    }

    /// Applies `actions` to one message. The message is addressed by UID under the UIDVALIDITY
    /// it was ingested with; after a UIDVALIDITY change that UID means nothing (permanent failure).
    public func perform(_ actions: [PostAction], mailbox: String, uidValidity: UInt32, uid: UInt32) async -> StateStore.AttemptResult {
        guard !actions.isEmpty else { return .succeeded }
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return await performAlone(actions, mailbox: mailbox, uidValidity: uidValidity, uid: uid)
    }

    private func performAlone(_ actions: [PostAction], mailbox: String, uidValidity: UInt32, uid: UInt32) async -> StateStore.AttemptResult {
        do {
            let session = try await openSession()
            if selected?.name != mailbox || session.isOpen == false {
                selected = try await session.select(mailbox)
            } else {
                // The mailbox stays selected between jobs, and the server answers from the view
                // of its last command: a message that arrived since is outside it, and a STORE or
                // MOVE of its UID succeeds doing nothing (Dovecot). NOOP brings the view up to date.
                try await session.noop()
            }
            guard selected?.uidValidity == uidValidity else {
                return .permanent("UIDVALIDITY of \(mailbox) changed since the message was seen; its UID is void")
            }
            let set = UIDSet(values: [uid])
            for action in actions {
                switch action {
                case .markSeen: try await session.uidStore(set, .add, flags: [.seen])
                case let .addFlags(flags): try await session.uidStore(set, .add, flags: flags.map { Flag($0) })
                case let .removeFlags(flags): try await session.uidStore(set, .remove, flags: flags.map { Flag($0) })
                case let .copyTo(target): try await session.uidCopy(set, to: target)
                case let .moveTo(target):
                    try await session.uidMove(set, to: target) { CrashSeam.moveCopied.pass() }
                    CrashSeam.midMove.pass()
                case .delete: try await session.uidDelete(set)
                }
            }
            return .succeeded
        } catch let error as IMAPClientError {
            if error.scope != .command { await reset() }
            // A refused command (no such mailbox, no permission) will be refused again;
            // connection trouble and the server's transient codes are worth a retry.
            return error.isRetryable || error.scope != .command ? .retryable("\(error)", retryAfter: nil) : .permanent("\(error)")
        } catch {
            await reset()
            return .retryable("\(error)", retryAfter: nil)
        }
    }

    private func openSession() async throws -> IMAPSession {
        if let session, session.isOpen { return session }
        await reset()
        let fresh = try await connector.open()
        session = fresh
        return fresh
    }

    private func reset() async {
        if let session { await session.close() }
        session = nil
        selected = nil
    }

    /// Logs out (at shutdown).
    public func close() async {
        if let session { await session.logout() }
        session = nil
        selected = nil
    }
}
