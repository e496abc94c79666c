import IMAPCore
import NIOCore
import Testing

/// `* n FETCH (...)` responses (RFC 3501 §7.4.2, RFC 3516 BINARY, RFC 7162 MODSEQ, Gmail's
/// X-GM-* attributes).
enum FetchFixtures {
    static let message = "From: Alice <alice@example.com>\r\nSubject: hi\r\n\r\nHello, Bob!\r\n"
    static let headerFields = "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\n\r\n"

    static let rfcEnvelope = Envelope(
        date: "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
        subject: "IMAP4rev1 WG mtg summary and minutes",
        from: [.init(name: "Terry Gray", route: nil, mailbox: "gray", host: "cac.washington.edu")],
        sender: [.init(name: "Terry Gray", route: nil, mailbox: "gray", host: "cac.washington.edu")],
        replyTo: [.init(name: "Terry Gray", route: nil, mailbox: "gray", host: "cac.washington.edu")],
        to: [.init(name: nil, route: nil, mailbox: "imap", host: "cac.washington.edu")],
        cc: [.init(name: nil, route: nil, mailbox: "minutes", host: "CNRI.Reston.VA.US"),
             .init(name: "John Klensin", route: nil, mailbox: "KLENSIN", host: "MIT.EDU")],
        bcc: [],
        inReplyTo: nil,
        messageID: "<B27397-0100000@cac.washington.edu>")

    /// Bytes with NUL and 8-bit values, only legal in a literal8 (RFC 3516).
    static let binaryPart: [UInt8] = [0x00, 0x01, 0xFF, 0x0D, 0x0A, 0x7F, 0x80, 0x00]

    static let all: [ParseFixture] = [
        ParseFixture("UID", "* 12 FETCH (UID 4827313)\r\n", .fetch(12, [.uid(4_827_313)])),
        ParseFixture("FLAGS and UID", "* 12 FETCH (FLAGS (\\Seen \\Answered $Forwarded) UID 4827313)\r\n",
                     .fetch(12, [.flags([.seen, .answered, "$Forwarded"]), .uid(4_827_313)])),
        ParseFixture("FLAGS empty", "* 1 FETCH (FLAGS ())\r\n", .fetch(1, [.flags([])])),
        ParseFixture("INTERNALDATE", "* 12 FETCH (INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n",
                     .fetch(12, [.internalDate(InternalDate(year: 1996, month: 7, day: 17, hour: 2, minute: 44, second: 25,
                                                            zoneMinutes: -420))])),
        ParseFixture("INTERNALDATE space-padded day and RFC822.SIZE", "* 3 FETCH (INTERNALDATE \" 5-jan-2024 23:59:60 +0530\" RFC822.SIZE 44827)\r\n",
                     .fetch(3, [.internalDate(InternalDate(year: 2024, month: 1, day: 5, hour: 23, minute: 59, second: 60,
                                                           zoneMinutes: 330)),
                                .rfc822Size(44827)])),
        ParseFixture("ENVELOPE from RFC 3501", """
            * 12 FETCH (ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" \
            (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) \
            (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) \
            ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL \
            "<B27397-0100000@cac.washington.edu>"))\r\n
            """, .fetch(12, [.envelope(rfcEnvelope)])),
        ParseFixture("ENVELOPE all NIL with literal subject and group",
                     "* 2 FETCH (UID 7 ENVELOPE (NIL \(lit("Hello\r\nworld")) NIL NIL NIL ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL))\r\n",
                     .fetch(2, [.uid(7), .envelope(Envelope(
                         subject: "Hello\r\nworld",
                         to: [.init(name: nil, route: nil, mailbox: "undisclosed-recipients", host: nil),
                              .init(name: nil, route: nil, mailbox: nil, host: nil)]))])),
        ParseFixture("ENVELOPE with escaped quotes and empty strings",
                     "* 4 FETCH (ENVELOPE (\"\" \"say \\\"hi\\\"\" ((\"O\\\\Brien\" \"@relay\" \"ob\" \"example.com\")) NIL NIL NIL NIL NIL \"<a@b>\" \"<c@d>\"))\r\n",
                     .fetch(4, [.envelope(Envelope(
                         date: "", subject: "say \"hi\"",
                         from: [.init(name: "O\\Brien", route: "@relay", mailbox: "ob", host: "example.com")],
                         inReplyTo: "<a@b>", messageID: "<c@d>"))])),
        ParseFixture("BODY[] literal", "* 5 FETCH (UID 9 BODY[] \(lit(message)))\r\n",
                     .fetch(5, [.uid(9), .body(BodyData("", message))])),
        ParseFixture("BODY[TEXT] quoted", "* 5 FETCH (BODY[TEXT] \"short body\")\r\n",
                     .fetch(5, [.body(BodyData("TEXT", "short body"))])),
        ParseFixture("BODY[]<0> partial literal", "* 6 FETCH (BODY[]<0> \(lit("From: Al")) UID 10)\r\n",
                     .fetch(6, [.body(BodyData("", origin: 0, "From: Al")), .uid(10)])),
        ParseFixture("BODY[1]<1024> partial quoted", "* 6 FETCH (BODY[1]<1024> \"tail\")\r\n",
                     .fetch(6, [.body(BodyData("1", origin: 1024, "tail"))])),
        ParseFixture("BODY[2] NIL", "* 7 FETCH (BODY[2] NIL)\r\n", .fetch(7, [.body(BodyData(section: "2", bytes: nil))])),
        ParseFixture("BODY[] empty literal", "* 7 FETCH (BODY[] {0}\r\n)\r\n", .fetch(7, [.body(BodyData("", ""))])),
        ParseFixture("BODY[HEADER.FIELDS (FROM TO)]", "* 8 FETCH (UID 11 BODY[HEADER.FIELDS (FROM TO)] \(lit(headerFields)))\r\n",
                     .fetch(8, [.uid(11), .body(BodyData("HEADER.FIELDS (FROM TO)", headerFields))])),
        ParseFixture("BODY[HEADER.FIELDS.NOT (\"SUBJECT\")]", "* 8 FETCH (BODY[HEADER.FIELDS.NOT (\"SUBJECT\")] \"X: y\")\r\n",
                     .fetch(8, [.body(BodyData("HEADER.FIELDS.NOT (\"SUBJECT\")", "X: y"))])),
        ParseFixture("BINARY[1] literal8",
                     bytes: Array("* 9 FETCH (BINARY[1] ~{\(binaryPart.count)}\r\n".utf8) + binaryPart + Array(" UID 12)\r\n".utf8),
                     .fetch(9, [.body(BodyData(section: "1", bytes: ByteBuffer(binaryPart))), .uid(12)])),
        ParseFixture("BINARY.SIZE", "* 9 FETCH (BINARY.SIZE[1] 1234)\r\n", .fetch(9, [.other("BINARY.SIZE[1]", .number(1234))])),
        ParseFixture("RFC822 forms", "* 10 FETCH (RFC822.HEADER \(lit("A: b\r\n\r\n")) RFC822.TEXT \"body\" RFC822 NIL)\r\n",
                     .fetch(10, [.body(BodyData("HEADER", "A: b\r\n\r\n")), .body(BodyData("TEXT", "body")),
                                 .body(BodyData(section: "", bytes: nil))])),
        ParseFixture("MODSEQ", "* 50 FETCH (MODSEQ (12111230047) UID 50)\r\n", .fetch(50, [.modSeq(12_111_230_047), .uid(50)])),
        ParseFixture("Gmail attributes", """
            * 1 FETCH (X-GM-THRID 1266894439832287888 X-GM-MSGID 1278455344230334865 \
            X-GM-LABELS (\\Inbox \\Sent Important "Muy Importante") UID 4)\r\n
            """, .fetch(1, [
                .other("X-GM-THRID", .number(1_266_894_439_832_287_888)),
                .other("X-GM-MSGID", .number(1_278_455_344_230_334_865)),
                .other("X-GM-LABELS", .list([.atom("\\Inbox"), .atom("\\Sent"), .atom("Important"), .text("Muy Importante")])),
                .uid(4),
            ])),
        ParseFixture("X-GM-LABELS starting with NIL", "* 1 FETCH (X-GM-LABELS (NILsson \"NIL\" NIL \\Important))\r\n",
                     .fetch(1, [.other("X-GM-LABELS", .list([.atom("NILsson"), .text("NIL"), .null, .atom("\\Important")]))])),
        ParseFixture("X-GM-LABELS empty", "* 1 FETCH (X-GM-LABELS ())\r\n", .fetch(1, [.other("X-GM-LABELS", .list([]))])),
        ParseFixture("BODYSTRUCTURE multipart", """
            * 2 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)\
            ("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" \
            "Compiler diff" "BASE64" 4554 73) "MIXED"))\r\n
            """, .fetch(2, [.other("BODYSTRUCTURE", .list([
                .list([.text("TEXT"), .text("PLAIN"), .list([.text("CHARSET"), .text("US-ASCII")]), .null, .null, .text("7BIT"),
                       .number(1152), .number(23)]),
                .list([.text("TEXT"), .text("PLAIN"), .list([.text("CHARSET"), .text("US-ASCII"), .text("NAME"), .text("cc.diff")]),
                       .text("<960723163407.20117h@cac.washington.edu>"), .text("Compiler diff"), .text("BASE64"),
                       .number(4554), .number(73)]),
                .text("MIXED"),
            ]))])),
        ParseFixture("BODY without section is BODYSTRUCTURE", "* 3 FETCH (BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 3 1))\r\n",
                     .fetch(3, [.other("BODY", .list([.text("TEXT"), .text("PLAIN"), .null, .null, .null, .text("7BIT"),
                                                      .number(3), .number(1)]))])),
        ParseFixture("unknown attribute with section and atoms", "* 4 FETCH (X-SNIPPET (FUZZY BODY[HEADER.FIELDS (TO)]<0> 12abc ~home) UID 2)\r\n",
                     .fetch(4, [.other("X-SNIPPET", .list([.atom("FUZZY"), .atom("BODY[HEADER.FIELDS (TO)]<0>"), .atom("12abc"),
                                                           .atom("~home")])),
                                .uid(2)])),
        ParseFixture("double spaces and lower case", "* 1 fetch (flags (\\seen)  internaldate \"25-Jul-2023 13:55:25 -0400\" uid 1)\r\n",
                     .fetch(1, [.flags([.seen]),
                                .internalDate(InternalDate(year: 2023, month: 7, day: 25, hour: 13, minute: 55, second: 25,
                                                           zoneMinutes: -240)),
                                .uid(1)])),
        ParseFixture("FETCH bare LF with literal", "* 2 FETCH (UID 3 BODY[TEXT] {4}\nab\r\n)\n",
                     .fetch(2, [.uid(3), .body(BodyData("TEXT", "ab\r\n"))])),
    ]
}

@Suite("ResponseParser: FETCH")
struct ResponseParserFetchTests {
    @Test("FetchResponse accessors find each attribute")
    func accessors() throws {
        let text = "* 7 FETCH (UID 42 FLAGS (\\Seen) RFC822.SIZE 99 INTERNALDATE \"01-Feb-2024 10:00:00 +0000\" "
            + "MODSEQ (5) BODY[HEADER] \(lit("A: b\r\n\r\n")) BODY[] \(lit("whole")))\r\n"
        let fetch = try #require(try parseOne(text).fetchValue)
        #expect(fetch.sequenceNumber == 7)
        #expect(fetch.uid == 42)
        #expect(fetch.flags == [.seen])
        #expect(fetch.rfc822Size == 99)
        #expect(fetch.internalDate?.description == "01-Feb-2024 10:00:00 +0000")
        #expect(fetch.modSeq == 5)
        #expect(fetch.envelope == nil)
        #expect(fetch.body()?.bytes == ByteBuffer(string: "whole"))
        #expect(fetch.body(section: "header")?.bytes == ByteBuffer(string: "A: b\r\n\r\n"), "section match ignores case")
        #expect(fetch.body(section: "TEXT") == nil)
        let bare = FetchResponse(sequenceNumber: 1, attributes: [])
        #expect(bare.uid == nil && bare.flags == nil && bare.rfc822Size == nil && bare.internalDate == nil && bare.modSeq == nil)
    }

    @Test("a literal body is a slice of exactly the announced bytes")
    func literalBytes() throws {
        let body = String(repeating: "0123456789", count: 1000) + "\r\n.\r\n"
        let fetch = try #require(try parseOne("* 1 FETCH (BODY[] \(lit(body)))\r\n").fetchValue)
        let bytes = try #require(fetch.body()?.bytes)
        #expect(bytes.readableBytes == body.utf8.count)
        #expect(String(buffer: bytes) == body)
    }

    @Test("INTERNALDATE converts to seconds since 1970 and back to its wire form", arguments: [
        ("17-Jul-1996 02:44:25 -0700", Int64(837_596_665), "17-Jul-1996 02:44:25 -0700"),
        ("01-Jan-1970 00:00:00 +0000", Int64(0), "01-Jan-1970 00:00:00 +0000"),
        (" 1-Jan-1970 01:00:00 +0100", Int64(0), "01-Jan-1970 01:00:00 +0100"),
        ("29-Feb-2024 12:30:00 -0930", Int64(1_709_244_000), "29-Feb-2024 12:30:00 -0930"),
        ("31-Dec-1969 23:59:59 +0000", Int64(-1), "31-Dec-1969 23:59:59 +0000"),
    ])
    func internalDates(_ wire: String, _ seconds: Int64, _ description: String) throws {
        let date = try #require(try parseOne("* 1 FETCH (INTERNALDATE \"\(wire)\")\r\n").fetchValue?.internalDate)
        #expect(date.secondsSince1970 == seconds)
        #expect(date.description == description)
    }
}
