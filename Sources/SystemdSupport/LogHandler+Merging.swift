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
