import Glibc
public import Logging

/// What mailtrigger's log handlers share: metadata by key on the handler itself, and one merge of
/// the handler's, the provider's and the event's metadata (later ones win).
public protocol MergingLogHandler: LogHandler {}

extension MergingLogHandler {
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The metadata of `event` merged over the provider's and the handler's own.
    func mergedMetadata(_ event: LogEvent) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        return merged
    }
}

/// A handler that writes each record as one line to standard error: `line(...)` makes it,
/// `log(event:)` writes it with its line end in one `write(2)`, so concurrent lines never
/// interleave.
public protocol LineLogHandler: MergingLogHandler {
    var label: String { get }
    /// The record as one line, without its line end.
    static func line(time: String, level: Logger.Level, message: String, label: String, source: String,
                     metadata: Logger.Metadata) -> String
    /// The time stamp of a record written now.
    static func now() -> String
}

extension LineLogHandler {
    public func log(event: LogEvent) {
        var line = Array(Self.line(time: Self.now(), level: event.level, message: "\(event.message)", label: label,
                                   source: event.source, metadata: mergedMetadata(event)).utf8)
        line.append(0x0A)
        line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}
