public import NIOCore

/// The commands the client sends (RFC 3501 §6, RFC 9051 §6 and the extensions named per case).
public enum Command: Hashable, Sendable {
    case capability
    case noop
    case logout
    case startTLS
    /// LOGIN user password (RFC 3501 §6.2.3).
    case login(username: String, password: String)
    /// AUTHENTICATE mechanism [initial-response] (RFC 3501 §6.2.2, SASL-IR RFC 4959). The
    /// initial response is raw bytes; the encoder base64-encodes it (`=` for empty).
    case authenticate(mechanism: String, initialResponse: [UInt8]?)
    /// ID (RFC 2971); nil parameters send `NIL`.
    case id([IDField]?)
    /// ENABLE (RFC 5161).
    case enable([Capability])
    /// SELECT / EXAMINE (RFC 3501 §6.3.1–2); `condStore` adds `(CONDSTORE)` (RFC 7162).
    case select(mailbox: String, condStore: Bool)
    case examine(mailbox: String, condStore: Bool)
    case create(mailbox: String)
    case delete(mailbox: String)
    /// STATUS mailbox (items) (RFC 3501 §6.3.10).
    case status(mailbox: String, items: [String])
    /// LIST reference pattern (RFC 3501 §6.3.8).
    case list(reference: String, pattern: String)
    /// UID SEARCH (RFC 3501 §6.4.4, §6.4.8); `returnOptions` uses ESEARCH (RFC 4731).
    case uidSearch(SearchKey, returnOptions: [String]?)
    /// UID FETCH (RFC 3501 §6.4.5, §6.4.8); `changedSince` is CONDSTORE (RFC 7162 §3.1.4).
    case uidFetch(UIDSet, [FetchItem], changedSince: UInt64?)
    /// UID STORE (RFC 3501 §6.4.6).
    case uidStore(UIDSet, StoreOperation, [Flag], silent: Bool)
    case uidCopy(UIDSet, mailbox: String)
    /// UID MOVE (RFC 6851).
    case uidMove(UIDSet, mailbox: String)
    /// UID EXPUNGE (RFC 4315 §2.1).
    case uidExpunge(UIDSet)
    case expunge
    case close
    /// UNSELECT (RFC 3691).
    case unselect
    /// APPEND mailbox [flags] [date-time] literal (RFC 3501 §6.3.11).
    case append(mailbox: String, flags: [Flag], date: InternalDate?, message: ByteBuffer)
    /// IDLE (RFC 2177); the client ends it by sending `DONE` (see ``CommandEncoder/idleDone``).
    case idle

    /// How flags change in UID STORE.
    public enum StoreOperation: String, Hashable, Sendable {
        case add = "+FLAGS"
        case remove = "-FLAGS"
        case replace = "FLAGS"
    }

    /// A description safe for logs: credentials and message contents are never included.
    public var logDescription: String {
        switch self {
        case .login: return "LOGIN <redacted>"
        case let .authenticate(mechanism, _): return "AUTHENTICATE \(mechanism) <redacted>"
        case let .append(mailbox, _, _, message): return "APPEND \(mailbox) <\(message.readableBytes) bytes>"
        case let .uidFetch(set, items, _): return "UID FETCH \(set) (\(items.map(\.wire).joined(separator: " ")))"
        case let .uidSearch(key, _): return "UID SEARCH \(key.logDescription)"
        default:
            return String(describing: self)
        }
    }
}

/// Data items of UID FETCH (RFC 3501 §6.4.5).
public enum FetchItem: Hashable, Sendable {
    case uid
    case flags
    case internalDate
    case rfc822Size
    case envelope
    case bodyStructure
    case modSeq
    /// `BODY.PEEK[section]<offset.length>`: does not set `\Seen`.
    case bodyPeek(section: String, partial: ClosedRange<UInt32>?)
    /// `BODY[section]<offset.length>`: sets `\Seen` on a read-write mailbox.
    case body(section: String, partial: ClosedRange<UInt32>?)

    /// The wire form.
    public var wire: String {
        switch self {
        case .uid: return "UID"
        case .flags: return "FLAGS"
        case .internalDate: return "INTERNALDATE"
        case .rfc822Size: return "RFC822.SIZE"
        case .envelope: return "ENVELOPE"
        case .bodyStructure: return "BODYSTRUCTURE"
        case .modSeq: return "MODSEQ"
        case let .bodyPeek(section, partial): return "BODY.PEEK[\(section)]" + Self.partialText(partial)
        case let .body(section, partial): return "BODY[\(section)]" + Self.partialText(partial)
        }
    }

    private static func partialText(_ partial: ClosedRange<UInt32>?) -> String {
        guard let partial else { return "" }
        // Counted in 64 bits: 0...UInt32.max has 2^32 bytes, which would trap in 32; the wire
        // count is a 32-bit number, so it is capped there.
        let count = min(UInt64(partial.upperBound) - UInt64(partial.lowerBound) + 1, UInt64(UInt32.max))
        return "<\(partial.lowerBound).\(count)>"
    }
}
