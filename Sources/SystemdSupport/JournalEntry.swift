public import Logging

/// One native journal entry (systemd.journal-fields(7)) built from a swift-log record: the
/// pure part of ``JournalLogHandler``, so the mapping is testable without a journal.
public struct JournalEntry: Equatable, Sendable {
    /// `NAME=value` fields, in order: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, CODE_*, then the
    /// metadata by name.
    public var fields: [String]

    /// Builds the entry. Metadata keys become field names (``fieldName(_:)``); `MT_LOGGER`
    /// carries the logger's label.
    public init(level: Logger.Level, message: String, metadata: Logger.Metadata, label: String, identifier: String,
                file: String, function: String, line: UInt) {
        fields = [
            "MESSAGE=\(message)",
            "PRIORITY=\(Self.priority(level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(file)",
            "CODE_LINE=\(line)",
            "CODE_FUNC=\(function)",
            "MT_LOGGER=\(label)",
        ]
        for key in metadata.keys.sorted() {
            guard let name = Self.fieldName(key), name != "MT_LOGGER", let value = metadata[key] else { continue }
            fields.append("\(name)=\(value)")
        }
    }

    /// The syslog priority of a level (RFC 5424 §6.2.1): trace and debug 7, info 6, notice 5,
    /// warning 4, error 3, critical 2.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A journal field name for a metadata key, or nil when nothing usable is left.
    ///
    /// journald keeps only names of upper-case ASCII letters, digits and underscores, not
    /// starting with a digit or an underscore (a leading underscore marks trusted fields), at most
    /// 64 characters; it drops other fields silently. So lower-case letters are raised, anything
    /// else becomes `_`, and a name that would start with a digit or underscore gets `MT_` in
    /// front. mailtrigger's own keys (`MT_PROFILE`, `MT_UID`, …) pass unchanged.
    public static func fieldName(_ key: String) -> String? {
        var bytes: [UInt8] = key.utf8.map { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): byte
            case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - 0x20
            default: UInt8(ascii: "_")
            }
        }
        guard bytes.contains(where: { $0 != UInt8(ascii: "_") }) else { return nil }
        if let first = bytes.first, first == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
            bytes.insert(contentsOf: Array("MT_".utf8), at: 0)
        }
        return String(decoding: bytes.prefix(64), as: UTF8.self)
    }
}
