import Logging
@testable import SystemdSupport
import Testing

/// The text log format: one entry, one line, whatever the logged text holds.
@Suite("Text log handler")
struct TextLogHandlerTests {
    @Test func anEntryHasStreamLogHandlersShape() {
        let line = TextLogHandler.line(time: "2026-11-22T07:50:00+0000", level: .info, message: "watching", label: "mailtrigger",
                                       source: "TriggerCore", metadata: ["MT_PROFILE": "work", "MT_MAILBOX": "INBOX"])
        #expect(line == "2026-11-22T07:50:00+0000 info mailtrigger: MT_MAILBOX=INBOX MT_PROFILE=work [TriggerCore] watching")
        let bare = TextLogHandler.line(time: "T", level: .error, message: "m", label: "l", source: "s", metadata: [:])
        #expect(bare == "T error l: [s] m")
    }

    @Test(arguments: [
        ("a\r\nPRIORITY=0 forged", #"a\r\nPRIORITY=0 forged"#),
        ("\u{1B}[31mred\u{1B}[0m", #"\x1B[31mred\x1B[0m"#),
        ("nul\u{0}bell\u{7}del\u{7F}", #"nul\x00bell\x07del\x7F"#),
        ("c1 \u{85}next \u{9B}2J", #"c1 \x85next \x9B2J"#),
        ("line\u{2028}para\u{2029}", #"line\u{2028}para\u{2029}"#),
        (#"a\nb"#, #"a\\nb"#),
        ("tab\there, ünïcødé and emoji 📬 stay", #"tab\there, ünïcødé and emoji 📬 stay"#),
    ])
    func controlCharactersAreEscaped(_ text: String, _ expected: String) {
        #expect(TextLogHandler.escaped(text) == expected)
    }

    @Test func hostileMessageAndValuesStayOnOneInertLine() {
        let hostile = "x\nPRIORITY=0\r\u{1B}]0;title\u{7}\u{1B}[2J"
        let line = TextLogHandler.line(time: "T", level: .warning, message: "stdout: \(hostile)", label: "mailtrigger",
                                       source: "TriggerCore", metadata: ["MT_ERROR": "\(hostile)", "MT_\nKEY": "v"])
        #expect(!line.contains("\n") && !line.contains("\r"))
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(line.contains(#"MT_ERROR=x\nPRIORITY=0\r\x1B]0;title\x07\x1B[2J"#))
        #expect(line.contains(#"MT_\nKEY=v"#))
    }
}
