/// Search criteria (RFC 3501 §6.4.4). Only what a watcher needs; strings are sent as
/// astrings (quoted or literal) and switch the command to `CHARSET UTF-8` when not ASCII.
public indirect enum SearchKey: Hashable, Sendable {
    case all
    /// `UID set`: the sync's `UID cursor+1:*`.
    case uid(UIDSet)
    /// `SINCE date`: internal date on or after the day (time and zone ignored by servers).
    case since(year: Int, month: Int, day: Int)
    case before(year: Int, month: Int, day: Int)
    case seen
    case unseen
    case deleted
    case undeleted
    /// `LARGER n`: RFC822.SIZE larger than n octets.
    case larger(UInt32)
    case header(String, String)
    case subject(String)
    case from(String)
    case not(SearchKey)
    case or(SearchKey, SearchKey)
    /// Criteria that must all match (written space-separated).
    case and([SearchKey])

    /// Whether any string in the criteria is non-ASCII (needs `CHARSET UTF-8`).
    var needsUTF8: Bool {
        switch self {
        case let .header(name, value): return !(name + value).utf8.allSatisfy { $0 < 0x80 }
        case let .subject(value), let .from(value): return !value.utf8.allSatisfy { $0 < 0x80 }
        case let .not(key): return key.needsUTF8
        case let .or(a, b): return a.needsUTF8 || b.needsUTF8
        case let .and(keys): return keys.contains { $0.needsUTF8 }
        default: return false
        }
    }

    /// A description for logs: search strings replaced by their length.
    public var logDescription: String {
        switch self {
        case .all: return "ALL"
        case let .uid(set): return "UID \(set)"
        case let .since(y, m, d): return "SINCE \(SearchKey.date(y, m, d))"
        case let .before(y, m, d): return "BEFORE \(SearchKey.date(y, m, d))"
        case .seen: return "SEEN"
        case .unseen: return "UNSEEN"
        case .deleted: return "DELETED"
        case .undeleted: return "UNDELETED"
        case let .larger(size): return "LARGER \(size)"
        case let .header(name, value): return "HEADER \(name) <\(value.utf8.count) bytes>"
        case let .subject(value): return "SUBJECT <\(value.utf8.count) bytes>"
        case let .from(value): return "FROM <\(value.utf8.count) bytes>"
        case let .not(key): return "NOT \(key.logDescription)"
        case let .or(a, b): return "OR (\(a.logDescription)) (\(b.logDescription))"
        case let .and(keys): return keys.map(\.logDescription).joined(separator: " ")
        }
    }

    /// `date = date-day "-" date-month "-" date-year` (RFC 3501 §9).
    static func date(_ year: Int, _ month: Int, _ day: Int) -> String {
        "\(day)-\(InternalDate.monthNames[max(1, min(12, month)) - 1])-\(year)"
    }
}
