import Glibc
import IMAPTestSupport
import Logging
@testable import SystemdSupport
import Testing

/// `JournalLogHandler` end to end: on a machine without journald (CI), a datagram socket bound
/// where libsystemd sends journal entries (`/run/systemd/journal/socket`) stands in for it, and
/// the entry is read back in journald's native protocol. Skipped where a journald runs.
@Suite(.serialized, .enabled(if: access("/run/systemd/journal/socket", F_OK) != 0 && getuid() == 0))
struct JournalLogHandlerTests {
    static let socketPath = "/run/systemd/journal/socket"

    /// The fields of one native-protocol datagram: `NAME=value\n`, or for a value with a line
    /// break `NAME\n`, its length as 64-bit little endian, the value, `\n`.
    static func parse(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        var index = 0
        while index < bytes.count {
            guard let end = bytes[index...].firstIndex(where: { $0 == 0x0A || $0 == 0x3D }) else { break }
            let name = String(decoding: bytes[index..<end], as: UTF8.self)
            if bytes[end] == 0x3D {
                let valueEnd = bytes[(end + 1)...].firstIndex(of: 0x0A) ?? bytes.count
                fields[name] = String(decoding: bytes[(end + 1)..<valueEnd], as: UTF8.self)
                index = valueEnd + 1
            } else {
                var length = 0
                for offset in 0..<8 { length |= Int(bytes[end + 1 + offset]) << (8 * offset) }
                let start = end + 9
                fields[name] = String(decoding: bytes[start..<(start + length)], as: UTF8.self)
                index = start + length + 1
            }
        }
        return fields
    }

    @Test func anEntryArrivesWithItsFields() throws {
        // Made here where missing (a fresh container has no /run/systemd), removed afterwards.
        let madeSystemd = mkdir("/run/systemd", 0o755) == 0
        mkdir("/run/systemd/journal", 0o755)
        defer {
            unlink(Self.socketPath)
            rmdir("/run/systemd/journal")
            if madeSystemd { rmdir("/run/systemd") }
        }
        let socket = try DatagramSocket(path: Self.socketPath)

        var handler = JournalLogHandler(label: "mailtrigger")
        handler.logLevel = .debug
        let logger = Logger(label: "mailtrigger") { _ in handler }
        logger.error("action failed for good", metadata: ["MT_PROFILE": "support", "MT_ERROR": "HTTP 404\nnot found"])

        let fields = Self.parse(try #require(socket.receive()))
        #expect(fields["MESSAGE"] == "action failed for good")
        #expect(fields["PRIORITY"] == "3")
        #expect(fields["SYSLOG_IDENTIFIER"] == "mailtrigger")
        #expect(fields["MT_PROFILE"] == "support")
        #expect(fields["MT_ERROR"] == "HTTP 404\nnot found")
        #expect(fields["CODE_FILE"]?.hasSuffix("JournalLogHandlerTests.swift") == true)
        #expect(fields["CODE_LINE"].flatMap(Int.init) != nil)
    }
}
