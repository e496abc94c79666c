public import NIOCore

/// One `* n FETCH (...)` response (RFC 3501 §7.4.2).
public struct FetchResponse: Hashable, Sendable {
    /// The message sequence number.
    public var sequenceNumber: UInt32
    /// The attributes in the order the server sent them.
    public var attributes: [FetchAttribute]

    public init(sequenceNumber: UInt32, attributes: [FetchAttribute]) {
        self.sequenceNumber = sequenceNumber
        self.attributes = attributes
    }

    public var uid: UInt32? {
        for case let .uid(value) in attributes { return value }
        return nil
    }

    public var flags: [Flag]? {
        for case let .flags(value) in attributes { return value }
        return nil
    }

    public var rfc822Size: UInt64? {
        for case let .rfc822Size(value) in attributes { return value }
        return nil
    }

    public var internalDate: InternalDate? {
        for case let .internalDate(value) in attributes { return value }
        return nil
    }

    public var envelope: Envelope? {
        for case let .envelope(value) in attributes { return value }
        return nil
    }

    public var modSeq: UInt64? {
        for case let .modSeq(value) in attributes { return value }
        return nil
    }

    /// The first `BODY[section]` (or `BINARY[...]`, `RFC822`) attribute with this section text.
    public func body(section: String = "") -> BodyData? {
        for case let .body(data) in attributes where data.section.uppercased() == section.uppercased() {
            return data
        }
        return nil
    }
}

/// A body section's data (`BODY[section]<origin> nstring`).
public struct BodyData: Hashable, Sendable {
    /// The section text between the brackets, for example `""`, `HEADER`, `1.MIME`.
    public var section: String
    /// The `<origin>` of a partial fetch.
    public var origin: UInt32?
    /// The bytes; nil when the server sent `NIL`.
    public var bytes: ByteBuffer?

    public init(section: String, origin: UInt32? = nil, bytes: ByteBuffer?) {
        self.section = section
        self.origin = origin
        self.bytes = bytes
    }
}

/// Fetch data items a client meets.
public enum FetchAttribute: Hashable, Sendable {
    case uid(UInt32)
    case flags([Flag])
    case internalDate(InternalDate)
    case rfc822Size(UInt64)
    case envelope(Envelope)
    /// `BODY[...]`, `BINARY[...]` (RFC 3516), `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`.
    case body(BodyData)
    /// `MODSEQ (n)` (RFC 7162 §3.1.4.1).
    case modSeq(UInt64)
    /// Anything else (BODYSTRUCTURE, X-GM-LABELS, …): its name and the value, kept as a tree.
    case other(String, IMAPValue)
}

/// A generic IMAP value: the shape of data the client does not interpret.
public indirect enum IMAPValue: Hashable, Sendable {
    case null
    case atom(String)
    case number(UInt64)
    case string(ByteBuffer)
    case list([IMAPValue])
}

/// `INTERNALDATE` (RFC 3501 §9 `date-time`): when the server received the message.
public struct InternalDate: Hashable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Offset from UTC in minutes, for example -300 for `-0500`.
    public var zoneMinutes: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, zoneMinutes: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.zoneMinutes = zoneMinutes
    }

    /// Whether every field is in range (month 1–12, day 1–31, …); only valid dates are sent.
    public var isValid: Bool {
        (1...12).contains(month) && (1...31).contains(day) && (0...23).contains(hour) && (0...59).contains(minute)
            && (0...60).contains(second) && (0...9999).contains(year) && abs(zoneMinutes) < 24 * 60
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Int64 {
        // Days from civil (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(zoneMinutes * 60)
    }

    /// The wire form, `"17-Jul-1996 02:44:25 -0700"` without the quotes.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let sign = zoneMinutes < 0 ? "-" : "+"
        let zone = abs(zoneMinutes)
        return "\(pad(day, 2))-\(Self.monthNames[min(max(month, 1), 12) - 1])-\(pad(year, 4)) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)) \(sign)\(pad(zone / 60, 2))\(pad(zone % 60, 2))"
    }
}

/// The ENVELOPE structure (RFC 3501 §7.4.2). Strings are the raw header values as the server
/// sent them (RFC 2047 encoded words are decoded by MailMIME, not here).
public struct Envelope: Hashable, Sendable {
    public var date: String?
    public var subject: String?
    public var from: [Address]
    public var sender: [Address]
    public var replyTo: [Address]
    public var to: [Address]
    public var cc: [Address]
    public var bcc: [Address]
    public var inReplyTo: String?
    public var messageID: String?

    public init(date: String? = nil, subject: String? = nil, from: [Address] = [], sender: [Address] = [],
                replyTo: [Address] = [], to: [Address] = [], cc: [Address] = [], bcc: [Address] = [],
                inReplyTo: String? = nil, messageID: String? = nil) {
        self.date = date
        self.subject = subject
        self.from = from
        self.sender = sender
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.inReplyTo = inReplyTo
        self.messageID = messageID
    }

    /// One address: `(name adl mailbox host)`. Group markers have a nil host.
    public struct Address: Hashable, Sendable {
        public var name: String?
        public var route: String?
        public var mailbox: String?
        public var host: String?

        public init(name: String?, route: String?, mailbox: String?, host: String?) {
            self.name = name
            self.route = route
            self.mailbox = mailbox
            self.host = host
        }
    }
}
