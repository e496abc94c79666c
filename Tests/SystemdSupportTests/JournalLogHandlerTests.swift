import Glibc
import IMAPTestSupport
import Logging
@testable import SystemdSupport
import Testing

/// `JournalLogHandler` end to end: on a machine without journald (CI), a datagram socket bound
/// where libsystemd sends journal entries stands in for it (`JournalStandIn`), and the entry is
/// read back in journald's native protocol. Skipped where a journald runs.
@Suite(.serialized, .enabled(if: JournalStandIn.isPossible))
struct JournalLogHandlerTests {
    @Test func anEntryArrivesWithItsFields() async throws {
        let journal = try await JournalStandIn.acquire()
        defer { journal.release() }

        var handler = JournalLogHandler(label: "mailtrigger")
        handler.logLevel = .debug
        let logger = Logger(label: "mailtrigger") { _ in handler }
        logger.error("action failed for good", metadata: ["MT_PROFILE": "support", "MT_ERROR": "HTTP 404\nnot found"])

        let entries = try await journal.entries(until: { $0.contains { $0.name == "MESSAGE" } }, timeout: .seconds(5))
        let fields = Dictionary(try #require(entries.first), uniquingKeysWith: { first, _ in first })
        #expect(fields["MESSAGE"] == "action failed for good")
        #expect(fields["PRIORITY"] == "3")
        #expect(fields["SYSLOG_IDENTIFIER"] == "mailtrigger")
        #expect(fields["MT_PROFILE"] == "support")
        #expect(fields["MT_ERROR"] == "HTTP 404\nnot found")
        #expect(fields["CODE_FILE"]?.hasSuffix("JournalLogHandlerTests.swift") == true)
        #expect(fields["CODE_LINE"].flatMap(Int.init) != nil)
    }
}
