import IMAPCore
import NIOCore
import NIOSSL

/// What a finished command produced: its tagged status and the untagged data it claimed.
struct CommandResult: Sendable {
    var status: StatusResponse
    var untagged: [UntaggedResponse]
}

/// One command between submission and its tagged completion. Event-loop confined.
final class PendingCommand {
    let tag: String
    let command: Command
    /// Segments not yet written; the first is written when the command is sent, each following
    /// one after a continuation request (synchronising literals, RFC 3501 §7.5).
    var segments: [ByteBuffer]
    let promise: EventLoopPromise<CommandResult>
    var untagged: [UntaggedResponse] = []
    /// AUTHENTICATE's mechanism answers challenges.
    let sasl: (any SASLMechanism)?
    /// FETCH responses are handed over one by one instead of collected.
    let onFetch: ((FetchResponse) -> Void)?
    /// IDLE: fulfilled on the server's continuation request, then cleared (a promise may be
    /// completed once only).
    var idleStarted: EventLoopPromise<Void>?
    /// STARTTLS: installed at the front of the pipeline on the tagged OK.
    let tlsHandler: NIOSSLClientHandler?
    var timeout: Scheduled<Void>?

    init(tag: String, command: Command, segments: [ByteBuffer], promise: EventLoopPromise<CommandResult>,
         sasl: (any SASLMechanism)? = nil, onFetch: ((FetchResponse) -> Void)? = nil,
         idleStarted: EventLoopPromise<Void>? = nil, tlsHandler: NIOSSLClientHandler? = nil) {
        self.tag = tag
        self.command = command
        self.segments = segments
        self.promise = promise
        self.sasl = sasl
        self.onFetch = onFetch
        self.idleStarted = idleStarted
        self.tlsHandler = tlsHandler
    }

    /// Whether the command talks with the server through continuation requests (and so blocks
    /// the commands queued behind it until it is done with them).
    var isInteractive: Bool {
        if !segments.isEmpty { return true }
        switch command {
        case .authenticate, .idle, .startTLS: return true
        default: return false
        }
    }

    var isStatus: Bool {
        if case .status = command { return true }
        return false
    }

    var isIdle: Bool {
        if case .idle = command { return true }
        return false
    }

    /// Whether an untagged response belongs to this command's result rather than being an
    /// unsolicited mailbox event (RFC 3501 §7: untagged data is not tied to a tag, so the
    /// client decides by what each command asks for).
    func claims(_ response: UntaggedResponse) -> Bool {
        switch (command, response) {
        case (.capability, .capability), (.id, .id), (.enable, .enabled),
             (.list, .list), (.uidSearch, .search):
            return true
        case let (.uidSearch, .esearch(esearch)):
            // RFC 4731 §3.1: the search correlator names the command the ESEARCH answers.
            return esearch.tag == nil || esearch.tag == tag
        case let (.status(mailbox, _), .status(status)):
            let wire = mailbox.uppercased() == "INBOX" ? "INBOX" : ModifiedUTF7.encode(mailbox)
            return status.wireName == wire || (wire == "INBOX" && status.wireName.uppercased() == "INBOX")
        case (.select, .flags), (.select, .exists), (.select, .recent), (.select, .condition),
             (.examine, .flags), (.examine, .exists), (.examine, .recent), (.examine, .condition):
            return true
        case let (.uidFetch(set, _, _), .fetch(fetch)):
            // A FETCH without UID, or for a UID outside the set, is a flag update from elsewhere:
            // an event. Except with `n:*`: the server then answers with the highest UID even when
            // it is below n (RFC 3501 §6.4.8), so every UID belongs to the command.
            guard let uid = fetch.uid else { return false }
            return set.contains(uid) || set.ranges.contains { $0.upper == nil }
        default:
            return false
        }
    }
}
