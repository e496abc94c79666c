/// One complete server response (RFC 3501 §7, RFC 9051 §7): a tagged completion, an untagged
/// response, or a continuation request.
public enum Response: Hashable, Sendable {
    /// `tag OK|NO|BAD [code] text`: the end of one command.
    case tagged(TaggedResponse)
    /// `* ...`: data or status the server sends at any time, including the greeting.
    case untagged(UntaggedResponse)
    /// `+ text`: the server waits for a literal, a SASL response or, after IDLE, for DONE.
    case continuation(String)
}

/// The completion of one command.
public struct TaggedResponse: Hashable, Sendable {
    /// The tag the client gave the command.
    public var tag: String
    /// OK, NO or BAD with its response code and text.
    public var status: StatusResponse

    public init(tag: String, status: StatusResponse) {
        self.tag = tag
        self.status = status
    }
}

/// The status conditions of RFC 3501 §7.1.
public enum StatusKind: String, Hashable, Sendable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
    case preauth = "PREAUTH"
    case bye = "BYE"
}

/// A status condition with its optional bracketed response code and human-readable text.
public struct StatusResponse: Hashable, Sendable {
    public var kind: StatusKind
    public var code: ResponseCode?
    public var text: String

    public init(kind: StatusKind, code: ResponseCode? = nil, text: String = "") {
        self.kind = kind
        self.code = code
        self.text = text
    }
}

/// Bracketed response codes (RFC 3501 §7.1, RFC 4315 UIDPLUS, RFC 7162 CONDSTORE). Codes the
/// client does not interpret are kept raw in ``other(_:_:)``.
public enum ResponseCode: Hashable, Sendable {
    case alert
    case capability([Capability])
    case permanentFlags([Flag])
    case readOnly
    case readWrite
    case tryCreate
    case parse
    case uidNext(UInt32)
    case uidValidity(UInt32)
    case unseen(UInt32)
    case highestModSeq(UInt64)
    case noModSeq
    /// `APPENDUID uidvalidity uid-set` (RFC 4315 §3).
    case appendUID(uidValidity: UInt32, uids: UIDSet)
    /// `COPYUID uidvalidity source-set destination-set` (RFC 4315 §3).
    case copyUID(uidValidity: UInt32, source: UIDSet, destination: UIDSet)
    /// Any other code: its atom (upper-cased) and the raw text after it, if any.
    case other(String, String?)
}

/// A capability atom (RFC 3501 §7.2.1), compared case-insensitively.
public struct Capability: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The capability as the server spelled it, for example `AUTH=PLAIN`.
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static func == (lhs: Capability, rhs: Capability) -> Bool {
        lhs.rawValue.uppercased() == rhs.rawValue.uppercased()
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue.uppercased()) }

    public var description: String { rawValue }

    public static let imap4rev1: Capability = "IMAP4rev1"
    public static let imap4rev2: Capability = "IMAP4rev2"
    public static let startTLS: Capability = "STARTTLS"
    public static let loginDisabled: Capability = "LOGINDISABLED"
    public static let saslIR: Capability = "SASL-IR"
    public static let idle: Capability = "IDLE"
    public static let uidPlus: Capability = "UIDPLUS"
    public static let move: Capability = "MOVE"
    public static let literalPlus: Capability = "LITERAL+"
    public static let literalMinus: Capability = "LITERAL-"
    public static let id: Capability = "ID"
    public static let enable: Capability = "ENABLE"
    public static let condStore: Capability = "CONDSTORE"
    public static let esearch: Capability = "ESEARCH"
    public static let binary: Capability = "BINARY"

    /// `AUTH=<mechanism>`.
    public static func auth(_ mechanism: String) -> Capability { Capability("AUTH=\(mechanism)") }
}

/// Untagged responses (RFC 3501 §7.2–7.5 and the extensions a watcher meets).
public enum UntaggedResponse: Hashable, Sendable {
    /// `* OK|NO|BAD|BYE|PREAUTH [code] text`, the greeting among them.
    case condition(StatusResponse)
    case capability([Capability])
    /// `* ENABLED` (RFC 5161).
    case enabled([Capability])
    case list(MailboxListing)
    case lsub(MailboxListing)
    case status(MailboxStatus)
    case flags([Flag])
    case exists(UInt32)
    case recent(UInt32)
    case expunge(UInt32)
    /// `* SEARCH n...` with the optional CONDSTORE `(MODSEQ n)` (RFC 7162 §3.1.5).
    case search([UInt32], modSeq: UInt64?)
    /// `* ESEARCH` (RFC 4731).
    case esearch(ESearchResponse)
    case fetch(FetchResponse)
    /// `* ID` (RFC 2971): field/value pairs, or empty for `NIL`.
    case id([IDField])
    /// `* VANISHED` and anything else: the keyword (upper-cased) and the rest of the response as text.
    case other(String, String)
}

/// One `* ID` field; the value may be NIL.
public struct IDField: Hashable, Sendable {
    public var key: String
    public var value: String?
    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

/// A `LIST` or `LSUB` entry (RFC 3501 §7.2.2).
public struct MailboxListing: Hashable, Sendable {
    /// Attributes such as `\HasNoChildren`, `\Noselect`, `\Sent` (RFC 6154).
    public var attributes: [String]
    /// The hierarchy delimiter; nil when the server sent `NIL` (a flat namespace).
    public var delimiter: Character?
    /// The name as sent on the wire (modified UTF-7); use this to address the mailbox.
    public var wireName: String
    /// The name decoded from modified UTF-7 (RFC 3501 §5.1.3) for display.
    public var name: String

    public init(attributes: [String], delimiter: Character?, wireName: String) {
        self.attributes = attributes
        self.delimiter = delimiter
        self.wireName = wireName
        self.name = wireName.uppercased() == "INBOX" ? "INBOX" : (ModifiedUTF7.decode(wireName) ?? wireName)
    }

    /// Whether the mailbox can be selected (no `\Noselect` / `\NonExistent`).
    public var isSelectable: Bool {
        !attributes.contains { ["\\NOSELECT", "\\NONEXISTENT"].contains($0.uppercased()) }
    }
}

/// `* STATUS` data (RFC 3501 §7.2.4): attribute names upper-cased.
public struct MailboxStatus: Hashable, Sendable {
    public var wireName: String
    public var values: [String: UInt64]

    public init(wireName: String, values: [String: UInt64]) {
        self.wireName = wireName
        self.values = values
    }

    public var messages: UInt64? { values["MESSAGES"] }
    public var uidNext: UInt64? { values["UIDNEXT"] }
    public var uidValidity: UInt64? { values["UIDVALIDITY"] }
    public var unseen: UInt64? { values["UNSEEN"] }
    public var recent: UInt64? { values["RECENT"] }
}

/// `* ESEARCH` data (RFC 4731 §3.1).
public struct ESearchResponse: Hashable, Sendable {
    public var tag: String?
    public var uid: Bool
    public var min: UInt32?
    public var max: UInt32?
    public var count: UInt32?
    public var all: UIDSet?
    public var modSeq: UInt64?

    public init(tag: String? = nil, uid: Bool = false, min: UInt32? = nil, max: UInt32? = nil,
                count: UInt32? = nil, all: UIDSet? = nil, modSeq: UInt64? = nil) {
        self.tag = tag
        self.uid = uid
        self.min = min
        self.max = max
        self.count = count
        self.all = all
        self.modSeq = modSeq
    }
}
