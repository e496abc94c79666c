public import Logging
import Foundation

/// Collects log records in memory, to check what was logged (a real LogHandler, not a mock).
public struct RecordingLogHandler: LogHandler {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    public final class Storage: @unchecked Sendable {
        // Guarded by `lock`; swift-log handlers are called from any thread.
        private let lock = NSLock()
        private var records: [Record] = []

        func append(_ record: Record) {
            lock.lock()
            records.append(record)
            lock.unlock()
        }

        public var all: [Record] {
            lock.lock()
            defer { lock.unlock() }
            return records
        }
    }

    let storage: Storage
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        storage.append(Record(level: event.level, message: event.message.description,
                              metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }

    /// A logger that records into a new storage.
    public static func logger() -> (Logger, Storage) {
        let storage = Storage()
        return (Logger(label: "test") { _ in RecordingLogHandler(storage: storage) }, storage)
    }
}
