import IMAPCore
import NIOCore
import Testing

/// One command and the exact bytes it must encode to (joined segments), with the segment count.
struct EncoderFixture: Sendable, CustomTestStringConvertible {
    let command: Command
    let wire: String
    let segments: Int

    init(_ command: Command, _ wire: String, segments: Int = 1) {
        self.command = command
        self.wire = wire
        self.segments = segments
    }

    var testDescription: String { wire.debugDescription }
}

func encode(_ command: Command, tag: String = "a1", encoder: CommandEncoder = CommandEncoder()) throws -> EncodedCommand {
    try encoder.encode(tag: tag, command)
}

func segmentStrings(_ encoded: EncodedCommand) -> [String] {
    encoded.segments.map { String(buffer: $0) }
}

/// Every `Command` case (RFC 3501 §6 and extensions) encoded to exact bytes.
@Suite("CommandEncoder: commands")
struct CommandEncoderTests {
    static let date = InternalDate(year: 1996, month: 7, day: 17, hour: 2, minute: 44, second: 25, zoneMinutes: -420)
    static let message = ByteBuffer(string: "From: a@b\r\nSubject: x\r\n\r\nbody\r\n")

    static let fixtures: [EncoderFixture] = [
        EncoderFixture(.capability, "a1 CAPABILITY\r\n"),
        EncoderFixture(.noop, "a1 NOOP\r\n"),
        EncoderFixture(.logout, "a1 LOGOUT\r\n"),
        EncoderFixture(.startTLS, "a1 STARTTLS\r\n"),
        EncoderFixture(.idle, "a1 IDLE\r\n"),
        EncoderFixture(.expunge, "a1 EXPUNGE\r\n"),
        EncoderFixture(.close, "a1 CLOSE\r\n"),
        EncoderFixture(.unselect, "a1 UNSELECT\r\n"),
        EncoderFixture(.login(username: "alice", password: "secret"), "a1 LOGIN alice secret\r\n"),
        EncoderFixture(.login(username: "alice@example.com", password: "pa ss\"w\\d"),
                       "a1 LOGIN alice@example.com \"pa ss\\\"w\\\\d\"\r\n"),
        EncoderFixture(.login(username: "", password: "x]y"), "a1 LOGIN \"\" x]y\r\n"),
        EncoderFixture(.login(username: "bob", password: "pässword"), "a1 LOGIN bob {9}\r\npässword\r\n", segments: 2),
        EncoderFixture(.authenticate(mechanism: "PLAIN", initialResponse: Array("\0alice\0secret".utf8)),
                       "a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
        EncoderFixture(.authenticate(mechanism: "EXTERNAL", initialResponse: []), "a1 AUTHENTICATE EXTERNAL =\r\n"),
        EncoderFixture(.authenticate(mechanism: "XOAUTH2", initialResponse: nil), "a1 AUTHENTICATE XOAUTH2\r\n"),
        EncoderFixture(.id([IDField(key: "name", value: "mailtrigger"), IDField(key: "version", value: nil)]),
                       "a1 ID (\"name\" \"mailtrigger\" \"version\" NIL)\r\n"),
        EncoderFixture(.id(nil), "a1 ID NIL\r\n"),
        EncoderFixture(.id([]), "a1 ID ()\r\n"),
        EncoderFixture(.enable(["CONDSTORE", "QRESYNC"]), "a1 ENABLE CONDSTORE QRESYNC\r\n"),
        EncoderFixture(.select(mailbox: "INBOX", condStore: false), "a1 SELECT INBOX\r\n"),
        EncoderFixture(.select(mailbox: "inbox", condStore: true), "a1 SELECT INBOX (CONDSTORE)\r\n"),
        EncoderFixture(.select(mailbox: "[Gmail]/All Mail", condStore: false), "a1 SELECT \"[Gmail]/All Mail\"\r\n"),
        EncoderFixture(.examine(mailbox: "Archive/2024", condStore: false), "a1 EXAMINE Archive/2024\r\n"),
        EncoderFixture(.examine(mailbox: "Inbox", condStore: true), "a1 EXAMINE INBOX (CONDSTORE)\r\n"),
        EncoderFixture(.create(mailbox: "台北"), "a1 CREATE &U,BTFw-\r\n"),
        EncoderFixture(.create(mailbox: "Tom & Jerry"), "a1 CREATE \"Tom &- Jerry\"\r\n"),
        EncoderFixture(.delete(mailbox: "Sent Items"), "a1 DELETE \"Sent Items\"\r\n"),
        EncoderFixture(.status(mailbox: "INBOX", items: ["MESSAGES", "UIDNEXT", "UIDVALIDITY"]),
                       "a1 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY)\r\n"),
        EncoderFixture(.status(mailbox: "Entwürfe", items: ["UNSEEN"]), "a1 STATUS Entw&APw-rfe (UNSEEN)\r\n"),
        EncoderFixture(.list(reference: "", pattern: "*"), "a1 LIST \"\" *\r\n"),
        EncoderFixture(.list(reference: "", pattern: "%"), "a1 LIST \"\" %\r\n"),
        EncoderFixture(.list(reference: "Work", pattern: "日本語/*"), "a1 LIST Work &ZeVnLIqe-/*\r\n"),
        EncoderFixture(.list(reference: "", pattern: "My Folder/%"), "a1 LIST \"\" \"My Folder/%\"\r\n"),
        EncoderFixture(.list(reference: "", pattern: ""), "a1 LIST \"\" \"\"\r\n"),
        EncoderFixture(.uidSearch(.uid(.from(5)), returnOptions: nil), "a1 UID SEARCH UID 5:*\r\n"),
        EncoderFixture(.uidSearch(.all, returnOptions: ["MIN", "MAX", "COUNT"]), "a1 UID SEARCH RETURN (MIN MAX COUNT) ALL\r\n"),
        EncoderFixture(.uidSearch(.all, returnOptions: []), "a1 UID SEARCH RETURN () ALL\r\n"),
        EncoderFixture(.uidSearch(.subject("Grüße"), returnOptions: ["ALL"]),
                       "a1 UID SEARCH RETURN (ALL) CHARSET UTF-8 SUBJECT {7}\r\nGrüße\r\n", segments: 2),
        EncoderFixture(.uidFetch(.wire("1:3,7"), [.uid, .flags, .bodyPeek(section: "", partial: 0...1023)], changedSince: nil),
                       "a1 UID FETCH 1:3,7 (UID FLAGS BODY.PEEK[]<0.1024>)\r\n"),
        EncoderFixture(.uidFetch(.from(1), [.flags], changedSince: 12345), "a1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n"),
        EncoderFixture(.uidFetch(.wire("9"), [.uid, .internalDate, .rfc822Size, .envelope, .bodyStructure, .modSeq], changedSince: nil),
                       "a1 UID FETCH 9 (UID INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE MODSEQ)\r\n"),
        EncoderFixture(.uidStore(.wire("4"), .add, [.seen], silent: true), "a1 UID STORE 4 +FLAGS.SILENT (\\Seen)\r\n"),
        EncoderFixture(.uidStore(.wire("4:6"), .remove, [.flagged, .deleted], silent: false),
                       "a1 UID STORE 4:6 -FLAGS (\\Flagged \\Deleted)\r\n"),
        EncoderFixture(.uidStore(.wire("4"), .replace, [.seen, "$Label1"], silent: false), "a1 UID STORE 4 FLAGS (\\Seen $Label1)\r\n"),
        EncoderFixture(.uidStore(.wire("4"), .replace, [], silent: true), "a1 UID STORE 4 FLAGS.SILENT ()\r\n"),
        EncoderFixture(.uidCopy(.wire("4"), mailbox: "Archive"), "a1 UID COPY 4 Archive\r\n"),
        EncoderFixture(.uidMove(.wire("2,4:5"), mailbox: "[Gmail]/Trash"), "a1 UID MOVE 2,4:5 [Gmail]/Trash\r\n"),
        EncoderFixture(.uidExpunge(.wire("4:5")), "a1 UID EXPUNGE 4:5\r\n"),
        EncoderFixture(.append(mailbox: "INBOX", flags: [.seen], date: date, message: message),
                       "a1 APPEND INBOX (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {\(message.readableBytes)}\r\n" + String(buffer: message) + "\r\n",
                       segments: 2),
        EncoderFixture(.append(mailbox: "Sent", flags: [], date: nil, message: message),
                       "a1 APPEND Sent {\(message.readableBytes)}\r\n" + String(buffer: message) + "\r\n", segments: 2),
    ]

    @Test("each command encodes to its exact bytes", arguments: fixtures)
    func exactBytes(_ fixture: EncoderFixture) throws {
        let encoded = try encode(fixture.command)
        #expect(String(buffer: encoded.joined) == fixture.wire)
        #expect(encoded.segments.count == fixture.segments)
        // Every segment but the last ends with a synchronising literal announcement.
        for segment in encoded.segments.dropLast() {
            let text = String(buffer: segment)
            #expect(text.hasSuffix("}\r\n") && !text.hasSuffix("+}\r\n"), "\(text.debugDescription)")
        }
        #expect(String(buffer: encoded.segments.last!).hasSuffix("\r\n"))
    }

    @Test("APPEND splits after the literal announcement")
    func appendSegments() throws {
        let encoded = try encode(.append(mailbox: "INBOX", flags: [], date: nil, message: Self.message))
        #expect(segmentStrings(encoded) == ["a1 APPEND INBOX {\(Self.message.readableBytes)}\r\n", String(buffer: Self.message) + "\r\n"])
    }

    @Test("the tag is written as given", arguments: ["A0001", "x.1", "1", "a[1"])
    func tags(_ tag: String) throws {
        #expect(String(buffer: try encode(.noop, tag: tag).joined) == "\(tag) NOOP\r\n")
    }

    @Test("invalid tags are unencodable", arguments: ["", "a 1", "a+1", "+", "*", "a(1", "a\"", "a{1", "a%", "täg", "a\r\n", "a\u{7F}"])
    func invalidTags(_ tag: String) {
        expectIMAPError(.unencodable) { try encode(.noop, tag: tag) }
    }

    @Test("commands that need a set refuse an empty one", arguments: [
        Command.uidFetch(UIDSet([]), [.uid], changedSince: nil),
        .uidStore(UIDSet([]), .add, [.seen], silent: false),
        .uidCopy(UIDSet([]), mailbox: "A"),
        .uidMove(UIDSet(values: []), mailbox: "A"),
        .uidExpunge(UIDSet([])),
        .uidSearch(.uid(UIDSet([])), returnOptions: nil),
        .uidSearch(.not(.uid(UIDSet([]))), returnOptions: nil),
    ])
    func emptySets(_ command: Command) {
        expectIMAPError(.unencodable) { try encode(command) }
    }

    @Test("empty mailbox names are unencodable", arguments: [
        Command.select(mailbox: "", condStore: false), .examine(mailbox: "", condStore: false), .create(mailbox: ""),
        .delete(mailbox: ""), .status(mailbox: "", items: ["MESSAGES"]), .uidCopy(.wire("1"), mailbox: ""),
        .uidMove(.wire("1"), mailbox: ""), .append(mailbox: "", flags: [], date: nil, message: ByteBuffer(string: "x")),
    ])
    func emptyMailbox(_ command: Command) {
        expectIMAPError(.unencodable) { try encode(command) }
    }

    @Test("invalid flags are unencodable", arguments: [Flag(""), "\\", "two words", "a(b", "\\Seen)", "x\"y", "\\*", "%"])
    func invalidFlags(_ flag: Flag) {
        expectIMAPError(.unencodable) { try encode(.uidStore(.wire("1"), .add, [flag], silent: false)) }
        expectIMAPError(.unencodable) {
            try encode(.append(mailbox: "INBOX", flags: [flag], date: nil, message: ByteBuffer(string: "x")))
        }
    }

    @Test("FetchItem wire forms", arguments: [
        (FetchItem.uid, "UID"), (.flags, "FLAGS"), (.internalDate, "INTERNALDATE"), (.rfc822Size, "RFC822.SIZE"),
        (.envelope, "ENVELOPE"), (.bodyStructure, "BODYSTRUCTURE"), (.modSeq, "MODSEQ"),
        (.bodyPeek(section: "", partial: nil), "BODY.PEEK[]"),
        (.bodyPeek(section: "HEADER.FIELDS (FROM TO)", partial: nil), "BODY.PEEK[HEADER.FIELDS (FROM TO)]"),
        (.bodyPeek(section: "1.2", partial: 100...199), "BODY.PEEK[1.2]<100.100>"),
        (.bodyPeek(section: "TEXT", partial: 0...0), "BODY.PEEK[TEXT]<0.1>"),
        (.body(section: "", partial: nil), "BODY[]"),
        (.body(section: "HEADER", partial: 0...65535), "BODY[HEADER]<0.65536>"),
        (.bodyPeek(section: "", partial: 0...UInt32.max), "BODY.PEEK[]<0.4294967295>"),
        (.bodyPeek(section: "", partial: 10...UInt32.max), "BODY.PEEK[]<10.4294967286>"),
    ])
    func fetchItems(_ item: FetchItem, _ wire: String) {
        #expect(item.wire == wire)
    }

    @Test("DONE ends IDLE")
    func idleDone() {
        #expect(String(buffer: CommandEncoder.idleDone) == "DONE\r\n")
    }

    @Test("logDescription never contains credentials or contents")
    func logDescription() throws {
        let password = "hunter2-S3cret"
        let login = Command.login(username: "alice", password: password)
        #expect(!login.logDescription.contains(password))
        #expect(login.logDescription.hasPrefix("LOGIN"))
        let plain = Array("\0alice\0\(password)".utf8)
        let authenticate = Command.authenticate(mechanism: "PLAIN", initialResponse: plain)
        #expect(authenticate.logDescription.hasPrefix("AUTHENTICATE PLAIN"))
        #expect(!authenticate.logDescription.contains(password))
        #expect(!authenticate.logDescription.contains(Base64.encode(plain)))
        let append = Command.append(mailbox: "INBOX", flags: [], date: nil, message: ByteBuffer(string: "secret body"))
        #expect(append.logDescription == "APPEND INBOX <11 bytes>")
        let search = Command.uidSearch(.and([.subject("private words"), .from("boss@example.com")]), returnOptions: nil)
        #expect(search.logDescription == "UID SEARCH SUBJECT <13 bytes> FROM <16 bytes>")
        let fetch = Command.uidFetch(.wire("1:*"), [.uid, .bodyPeek(section: "", partial: 0...99)], changedSince: nil)
        #expect(fetch.logDescription == "UID FETCH 1:* (UID BODY.PEEK[]<0.100>)")
        #expect(Command.noop.logDescription == "noop")
        // And nothing in the encoded bytes leaks into an error message.
        do {
            _ = try encode(.login(username: "alice", password: "\(password)\0"))
            Issue.record("NUL must be refused")
        } catch let error as IMAPCoreError {
            #expect(error.code == .unencodable)
            #expect(!error.message.contains(password))
        }
    }
}

/// Bare words cannot smuggle a line end into a command.
struct CommandEncoderInjectionTests {
    @Test(arguments: [
        Command.authenticate(mechanism: "PLAIN\r\nA2 LOGOUT", initialResponse: nil),
        .enable([Capability("CONDSTORE\r\nA2 DELETE INBOX")]),
        .status(mailbox: "INBOX", items: ["MESSAGES)\r\nA2 LOGOUT"]),
        .uidSearch(.all, returnOptions: ["ALL\r\n"]),
        .authenticate(mechanism: "", initialResponse: nil),
        .append(mailbox: "INBOX", flags: [],
                date: InternalDate(year: 2026, month: 13, day: 1, hour: 0, minute: 0, second: 0, zoneMinutes: 0),
                message: ByteBuffer(string: "x")),
    ])
    func rejected(command: Command) {
        #expect(throws: IMAPCoreError.self) { try CommandEncoder().encode(tag: "A1", command) }
    }

    @Test func invalidDateStillPrints() {
        let date = InternalDate(year: 2026, month: 0, day: 1, hour: 0, minute: 0, second: 0, zoneMinutes: 0)
        #expect(!date.isValid)
        #expect(date.description.contains("Jan"))
    }
}
