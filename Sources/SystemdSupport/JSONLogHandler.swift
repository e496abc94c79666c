import Glibc
public import Logging

/// A swift-log handler that writes one JSON object per line to standard error (`--log-format
/// json`, for log shippers): `time` (RFC 3339, UTC, milliseconds), `level`, `message`, `logger`,
/// `source` (the module that logged), then every metadata value under its key.
public struct JSONLogHandler: LineLogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String

    public init(label: String) {
        self.label = label
    }

    /// The JSON object of one record (without the line end); keys in a fixed order, metadata
    /// sorted by key.
    public static func line(time: String, level: Logger.Level, message: String, label: String, source: String,
                            metadata: Logger.Metadata) -> String {
        var fields = [("time", time), ("level", "\(level)"), ("message", message), ("logger", label), ("source", source)]
        for key in metadata.keys.sorted() where !["time", "level", "message", "logger", "source"].contains(key) {
            fields.append((key, "\(metadata[key]!)"))
        }
        return "{" + fields.map { quoted($0.0) + ":" + quoted($0.1) }.joined(separator: ",") + "}"
    }

    /// A JSON string (RFC 8259 §7): quote, backslash and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Now, as `2026-11-22T07:50:00.123Z`.
    public static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = Int(spec.tv_nsec / 1_000_000)
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}
