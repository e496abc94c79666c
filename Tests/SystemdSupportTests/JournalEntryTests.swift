import Logging
@testable import SystemdSupport
import Testing

/// The journal entry of a log record, and the field names journald accepts (systemd.journal-fields(7)).
struct JournalEntryTests {
    @Test func fieldsOfARecord() {
        let entry = JournalEntry(level: .warning, message: "connection failed; backing off",
                                 metadata: ["MT_PROFILE": "support", "MT_RETRY_IN": "35s", "MT_ERROR": "line 1\nline 2"],
                                 label: "mailtrigger", identifier: "mailtrigger", file: "TriggerCore/MailboxWatcher.swift",
                                 function: "run()", line: 42)
        #expect(entry.fields == [
            "MESSAGE=connection failed; backing off", "PRIORITY=4", "SYSLOG_IDENTIFIER=mailtrigger",
            "CODE_FILE=TriggerCore/MailboxWatcher.swift", "CODE_LINE=42", "CODE_FUNC=run()", "MT_LOGGER=mailtrigger",
            "MT_ERROR=line 1\nline 2", "MT_PROFILE=support", "MT_RETRY_IN=35s",
        ])
    }

    @Test(arguments: [(Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2)])
    func priorities(level: Logger.Level, priority: Int) {
        #expect(JournalEntry.priority(level) == priority)
    }

    @Test(arguments: [
        ("MT_PROFILE", "MT_PROFILE"), ("MT_UIDVALIDITY", "MT_UIDVALIDITY"), ("http.method", "HTTP_METHOD"),
        ("retry-in", "RETRY_IN"), ("_SYSTEMD_UNIT", "MT__SYSTEMD_UNIT"), ("2fa", "MT_2FA"), ("ünï", "MT___N__"),
    ])
    func fieldNames(key: String, name: String) {
        #expect(JournalEntry.fieldName(key) == name)
    }

    @Test func unusableKeysAndLongNames() {
        #expect(JournalEntry.fieldName("") == nil)
        #expect(JournalEntry.fieldName("...") == nil)
        #expect(JournalEntry.fieldName(String(repeating: "A", count: 100)) == String(repeating: "A", count: 64))
        // A metadata key that would replace the logger's own field is dropped.
        let entry = JournalEntry(level: .info, message: "m", metadata: ["mt.logger": "x"], label: "l", identifier: "i",
                                 file: "f", function: "g", line: 1)
        #expect(entry.fields.filter { $0.hasPrefix("MT_LOGGER=") } == ["MT_LOGGER=l"])
    }
}

/// `--log-format json`: one object per line.
struct JSONLogHandlerTests {
    @Test func aRecordIsOneJSONObject() {
        let line = JSONLogHandler.line(time: "2026-11-22T07:50:00.123Z", level: .error, message: "action failed \"for good\"",
                                       label: "mailtrigger", source: "TriggerCore",
                                       metadata: ["MT_UID": "42", "MT_ERROR": "HTTP 404\tgone\u{1}", "level": "spoofed"])
        #expect(line == #"{"time":"2026-11-22T07:50:00.123Z","level":"error","message":"action failed \"for good\"","#
            + #""logger":"mailtrigger","source":"TriggerCore","MT_ERROR":"HTTP 404\tgone\u0001","MT_UID":"42"}"#)
    }

    @Test func timesAreRFC3339InUTCWithMilliseconds() {
        let time = JSONLogHandler.now()
        let bytes = Array(time.utf8)
        #expect(bytes.count == 24 && time.hasSuffix("Z"), "\(time)")
        #expect(bytes[10] == UInt8(ascii: "T") && bytes[19] == UInt8(ascii: "."), "\(time)")
    }
}
