import IMAPCore
import NIOCore
import Testing

/// Quoted strings versus literals (RFC 3501 §4.3), synchronising literals and the
/// non-synchronising forms of RFC 7888 (LITERAL+ and LITERAL-).
@Suite("CommandEncoder: strings and literals")
struct CommandEncoderLiteralTests {
    /// Encodes `UID SEARCH SUBJECT <value>` and returns the bytes after `SUBJECT `.
    static func subjectArgument(_ value: String, encoder: CommandEncoder = CommandEncoder()) throws -> (text: String, segments: Int) {
        let encoded = try encoder.encode(tag: "a1", .uidSearch(.subject(value), returnOptions: nil))
        let joined = String(buffer: encoded.joined)
        let prefix = "a1 UID SEARCH SUBJECT "
        #expect(joined.hasPrefix(prefix))
        return (String(decoding: Array(joined.utf8).dropFirst(prefix.utf8.count).dropLast(2), as: UTF8.self), encoded.segments.count)
    }

    @Test("ASCII strings are quoted, with \" and \\ escaped", arguments: [
        ("hello", "\"hello\""),
        ("", "\"\""),
        ("say \"hi\"", "\"say \\\"hi\\\"\""),
        ("back\\slash", "\"back\\\\slash\""),
        ("\\\"", "\"\\\\\\\"\""),
        ("(parens) {braces} %*]", "\"(parens) {braces} %*]\""),
        ("~{5}", "\"~{5}\""),
    ])
    func quoted(_ value: String, _ wire: String) throws {
        let (text, segments) = try Self.subjectArgument(value)
        #expect(text == wire)
        #expect(segments == 1)
    }

    @Test("CR, LF, control characters and 8-bit text become literals", arguments: [
        "line\r\nbreak", "lf\nonly", "cr\ronly", "tab\there", "bell\u{07}", "del\u{7F}", "Grüße", "日本語", "emoji 😀",
    ])
    func literals(_ value: String) throws {
        let encoded = try CommandEncoder().encode(tag: "a1", .uidSearch(.subject(value), returnOptions: nil))
        let charset = value.utf8.contains { $0 >= 0x80 } ? "CHARSET UTF-8 " : ""
        #expect(segmentStrings(encoded) == ["a1 UID SEARCH \(charset)SUBJECT {\(value.utf8.count)}\r\n", value + "\r\n"])
    }

    @Test("1024 bytes are still quoted; 1025 become a literal")
    func quotedLengthBoundary() throws {
        let atLimit = String(repeating: "q", count: 1024)
        #expect(try Self.subjectArgument(atLimit).text == "\"\(atLimit)\"")
        let over = atLimit + "q"
        let (text, segments) = try Self.subjectArgument(over)
        #expect(text == "{1025}\r\n\(over)")
        #expect(segments == 2)
    }

    @Test("an astring is a bare atom only when every byte is an ASCII ASTRING-CHAR", arguments: [
        ("alice", "alice"),
        ("alice@example.com", "alice@example.com"),
        ("a]b", "a]b"),
        ("x[1]", "x[1]"),
        ("", "\"\""),
        ("two words", "\"two words\""),
        ("a%b", "\"a%b\""),
        ("a*b", "\"a*b\""),
        ("a(b", "\"a(b\""),
        ("a{b", "\"a{b\""),
        ("a\"b", "\"a\\\"b\""),
        ("a\\b", "\"a\\\\b\""),
        ("jösé", "{6}\r\njösé"),
        ("pass\r\nword", "{10}\r\npass\r\nword"),
    ])
    func astrings(_ value: String, _ wire: String) throws {
        let encoded = try CommandEncoder(literalPlus: false).encode(tag: "a1", .login(username: value, password: "p"))
        #expect(String(buffer: encoded.joined) == "a1 LOGIN \(wire) p\r\n")
    }

    @Test("a synchronising literal splits the command after each {N}")
    func synchronisingSegments() throws {
        let encoded = try CommandEncoder().encode(tag: "a1", .login(username: "jösé", password: "pässword"))
        #expect(segmentStrings(encoded) == ["a1 LOGIN {6}\r\n", "jösé {9}\r\n", "pässword\r\n"])
    }

    @Test("LITERAL+ sends every literal non-synchronising in one segment")
    func literalPlus() throws {
        let encoder = CommandEncoder(literalPlus: true)
        let encoded = try encoder.encode(tag: "a1", .login(username: "jösé", password: "pässword"))
        #expect(segmentStrings(encoded) == ["a1 LOGIN {6+}\r\njösé {9+}\r\npässword\r\n"])
        // Size does not matter with LITERAL+.
        let big = ByteBuffer(repeating: UInt8(ascii: "m"), count: 100_000)
        let append = try encoder.encode(tag: "a2", .append(mailbox: "INBOX", flags: [], date: nil, message: big))
        #expect(append.segments.count == 1)
        #expect(String(buffer: append.joined).hasPrefix("a2 APPEND INBOX {100000+}\r\nmmm"))
        #expect(append.joined.readableBytes == "a2 APPEND INBOX {100000+}\r\n".utf8.count + 100_000 + 2)
    }

    @Test("LITERAL- is non-synchronising only up to 4096 bytes", arguments: [
        (1, true), (4095, true), (4096, true), (4097, false), (70_000, false),
    ])
    func literalMinus(_ size: Int, _ nonSynchronising: Bool) throws {
        let message = ByteBuffer(repeating: UInt8(ascii: "m"), count: size)
        let encoded = try CommandEncoder(literalMinus: true)
            .encode(tag: "a1", .append(mailbox: "INBOX", flags: [], date: nil, message: message))
        let strings = segmentStrings(encoded)
        if nonSynchronising {
            #expect(strings.count == 1)
            #expect(strings[0].hasPrefix("a1 APPEND INBOX {\(size)+}\r\nm"))
        } else {
            #expect(strings.count == 2)
            #expect(strings.first == "a1 APPEND INBOX {\(size)}\r\n")
        }
        #expect(encoded.joined.readableBytes == "a1 APPEND INBOX {\(size)\(nonSynchronising ? "+" : "")}\r\n".utf8.count + size + 2)
    }

    @Test("capabilities choose the literal form", arguments: [
        ([Capability.imap4rev1], false, false),
        (["IMAP4rev1", "literal+"], true, false),
        (["IMAP4rev2", "LITERAL-"], false, true),
        (["LITERAL+", "LITERAL-"], true, true),
    ])
    func fromCapabilities(_ capabilities: [Capability], _ plus: Bool, _ minus: Bool) {
        let encoder = CommandEncoder(capabilities: capabilities)
        #expect(encoder.literalPlus == plus)
        #expect(encoder.literalMinus == minus)
    }

    @Test("strings with NUL are refused", arguments: [
        Command.login(username: "a\0b", password: "p"),
        .login(username: "a", password: "p\0"),
        .uidSearch(.subject("x\0y"), returnOptions: nil),
        .uidSearch(.or(.seen, .from("\0")), returnOptions: nil),
        .uidSearch(.header("X-Test", "\0"), returnOptions: nil),
        .id([IDField(key: "name\0", value: "x")]),
        .id([IDField(key: "name", value: "\0")]),
    ])
    func nulRefused(_ command: Command) {
        for encoder in [CommandEncoder(), CommandEncoder(literalPlus: true)] {
            expectIMAPError(.unencodable) { try encoder.encode(tag: "a1", command) }
        }
    }

    @Test("mailbox names are sent in modified UTF-7, INBOX in any case as INBOX", arguments: [
        ("INBOX", "INBOX"),
        ("InBoX", "INBOX"),
        ("INBOX/Sub", "INBOX/Sub"),
        ("inbox/sub", "inbox/sub"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ("R&D", "R&-D"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
        ("Sent Items", "\"Sent Items\""),
        ("Projects/\"Quoted\"", "\"Projects/\\\"Quoted\\\"\""),
        ("😀 Fun", "\"&2D3eAA- Fun\""),
    ])
    func mailboxNames(_ name: String, _ wire: String) throws {
        let encoded = try CommandEncoder().encode(tag: "a1", .select(mailbox: name, condStore: false))
        #expect(String(buffer: encoded.joined) == "a1 SELECT \(wire)\r\n")
    }

    @Test("a mailbox name over 1024 bytes is sent as a literal")
    func longMailboxName() throws {
        let name = String(repeating: "n", count: 1100)
        let encoded = try CommandEncoder().encode(tag: "a1", .select(mailbox: name, condStore: false))
        #expect(segmentStrings(encoded) == ["a1 SELECT {1100}\r\n", name + "\r\n"])
    }
}
