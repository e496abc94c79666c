import CSystemd
import Glibc
public import Logging

/// A swift-log handler that writes native journal entries with `sd_journal_sendv(3)`: the
/// message, its priority, where it was logged, and every metadata value as a field of its own
/// (``JournalEntry``), so `journalctl MT_PROFILE=support` finds an entry by its fields.
public struct JournalLogHandler: MergingLogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let identifier: String

    /// `identifier` is the `SYSLOG_IDENTIFIER` (what `journalctl -t` selects).
    public init(label: String, identifier: String = "mailtrigger") {
        self.label = label
        self.identifier = identifier
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(event)
        let entry = JournalEntry(level: event.level, message: "\(event.message)", metadata: merged, label: label,
                                 identifier: identifier, file: event.file, function: event.function, line: event.line)
        Self.send(entry.fields)
    }

    /// Hands the fields to the journal, each as one iovec (values may hold newlines), all
    /// pointing into one buffer that lives for the call.
    static func send(_ fields: [String]) {
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.utf8)
            ranges.append(start..<buffer.count)
        }
        buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            let vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            _ = sd_journal_sendv(vectors, Int32(vectors.count))
        }
    }
}
