import Glibc
public import Logging

/// A swift-log handler that writes one line per entry to standard error (`--log-format text`,
/// the default off the journal), in the shape of swift-log's `StreamLogHandler`:
/// `<time> <level> <label>: K=v … [<source>] <message>`.
///
/// Unlike `StreamLogHandler` it makes hostile text inert: a subject, a server's error text or a
/// hook's output can carry CR/LF (a forged second entry, say one that reads `PRIORITY=0` to a
/// log shipper) or ANSI escape sequences (which drive the terminal of whoever reads the log).
/// Every control character of the message and of metadata values — C0, DEL, C1, and the
/// Unicode line and paragraph separators — is written as an escape (`\n`, `\r`, `\t`, `\x1B`,
/// `\u{2028}`), and a backslash as `\\`, so one entry is always exactly one line and the
/// original text can be recovered (`LineLogHandler` writes each line in one `write(2)`).
public struct TextLogHandler: LineLogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String

    public init(label: String) {
        self.label = label
    }

    /// One entry, without its line end; metadata sorted by key.
    public static func line(time: String, level: Logger.Level, message: String, label: String, source: String,
                            metadata: Logger.Metadata) -> String {
        var line = "\(time) \(level) \(escaped(label)):"
        for key in metadata.keys.sorted() {
            line += " \(escaped(key))=\(escaped("\(metadata[key]!)"))"
        }
        return line + " [\(escaped(source))] \(escaped(message))"
    }

    /// `text` with every control character and backslash escaped.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value == 0x2028 || scalar.value == 0x2029:
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            case _ where needsEscape(scalar):
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\x" + (hex.count < 2 ? "0" : "") + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || scalar == "\\"
    }

    /// Now, in local time, as `2026-11-22T07:50:00+0000` (what `StreamLogHandler` writes).
    public static func now() -> String {
        var seconds = time(nil)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
