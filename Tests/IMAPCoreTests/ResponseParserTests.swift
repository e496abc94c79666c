import IMAPCore
import NIOCore
import Testing

/// Status responses: greetings, tagged completions and untagged conditions with every response
/// code a client meets (RFC 3501 §7.1, RFC 4315, RFC 7162), plus continuation requests.
enum StatusFixtures {
    static let greetings: [ParseFixture] = [
        ParseFixture("greeting OK with CAPABILITY",
                     "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n",
                     .untaggedStatus(.ok, .capability(["IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE",
                                                       "LITERAL+", "STARTTLS", "AUTH=PLAIN"]), "Dovecot ready.")),
        ParseFixture("greeting OK plain", "* OK Gimap ready for requests from 192.0.2.7 q1mb2\r\n",
                     .untaggedStatus(.ok, nil, "Gimap ready for requests from 192.0.2.7 q1mb2")),
        ParseFixture("greeting PREAUTH", "* PREAUTH [CAPABILITY IMAP4rev2 IDLE] Logged in as alice\r\n",
                     .untaggedStatus(.preauth, .capability(["IMAP4rev2", "IDLE"]), "Logged in as alice")),
        ParseFixture("greeting BYE", "* BYE Too many connections from your IP\r\n",
                     .untaggedStatus(.bye, nil, "Too many connections from your IP")),
        ParseFixture("greeting with bare LF", "* OK IMAP4rev1 server ready\n",
                     .untaggedStatus(.ok, nil, "IMAP4rev1 server ready")),
        ParseFixture("greeting without text", "* OK\r\n", .untaggedStatus(.ok)),
    ]

    static let tagged: [ParseFixture] = [
        ParseFixture("tagged OK", "a1 OK LOGIN completed\r\n", .taggedStatus("a1", .ok, nil, "LOGIN completed")),
        ParseFixture("tagged NO with unknown code", "a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
                     .taggedStatus("a2", .no, .other("AUTHENTICATIONFAILED", nil), "Authentication failed.")),
        ParseFixture("tagged BAD", "a3 BAD Error in IMAP command: Unknown command\r\n",
                     .taggedStatus("a3", .bad, nil, "Error in IMAP command: Unknown command")),
        ParseFixture("tagged READ-WRITE without text", "a4 OK [READ-WRITE]\r\n", .taggedStatus("a4", .ok, .readWrite)),
        ParseFixture("tagged READ-ONLY", "A0001 OK [READ-ONLY] EXAMINE completed\r\n",
                     .taggedStatus("A0001", .ok, .readOnly, "EXAMINE completed")),
        ParseFixture("tagged TRYCREATE", "a5 NO [TRYCREATE] Mailbox doesn't exist: Archive\r\n",
                     .taggedStatus("a5", .no, .tryCreate, "Mailbox doesn't exist: Archive")),
        ParseFixture("tagged APPENDUID", "a6 OK [APPENDUID 38505 3955] APPEND completed\r\n",
                     .taggedStatus("a6", .ok, .appendUID(uidValidity: 38505, uids: .wire("3955")), "APPEND completed")),
        ParseFixture("tagged COPYUID", "a7 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
                     .taggedStatus("a7", .ok, .copyUID(uidValidity: 38505, source: .wire("304,319:320"),
                                                       destination: .wire("3956:3958")), "Done")),
        ParseFixture("tagged status in lower case", "a8 ok [read-write] done\r\n",
                     .taggedStatus("a8", .ok, .readWrite, "done")),
        ParseFixture("tagged OK alone", "a9 OK\r\n", .taggedStatus("a9", .ok)),
        ParseFixture("tagged NO ALERT", "a10 NO [ALERT] Mailbox is over quota\r\n",
                     .taggedStatus("a10", .no, .alert, "Mailbox is over quota")),
        ParseFixture("tagged OK CAPABILITY", "x.1 OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n",
                     .taggedStatus("x.1", .ok, .capability(["IMAP4rev1", "MOVE"]), "Logged in")),
        ParseFixture("tagged with trailing spaces in text", "a11 OK done  \r\n", .taggedStatus("a11", .ok, nil, "done  ")),
    ]

    static let codes: [ParseFixture] = [
        ParseFixture("ALERT", "* OK [ALERT] System shutdown in 10 minutes\r\n",
                     .untaggedStatus(.ok, .alert, "System shutdown in 10 minutes")),
        ParseFixture("PERMANENTFLAGS", "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n",
                     .untaggedStatus(.ok, .permanentFlags([.answered, .flagged, .deleted, .seen, .draft, .wildcard]),
                                     "Flags permitted.")),
        ParseFixture("PERMANENTFLAGS empty", "* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n",
                     .untaggedStatus(.ok, .permanentFlags([]), "No permanent flags permitted")),
        ParseFixture("PERMANENTFLAGS keyword", "* OK [PERMANENTFLAGS (\\Seen $MDNSent)] Permanent flags\r\n",
                     .untaggedStatus(.ok, .permanentFlags([.seen, "$MDNSent"]), "Permanent flags")),
        ParseFixture("READ-ONLY", "* OK [READ-ONLY] Opened read-only\r\n", .untaggedStatus(.ok, .readOnly, "Opened read-only")),
        ParseFixture("UIDNEXT", "* OK [UIDNEXT 4392] Predicted next UID\r\n",
                     .untaggedStatus(.ok, .uidNext(4392), "Predicted next UID")),
        ParseFixture("UIDVALIDITY", "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
                     .untaggedStatus(.ok, .uidValidity(3_857_529_045), "UIDs valid")),
        ParseFixture("UNSEEN", "* OK [UNSEEN 12] Message 12 is first unseen\r\n",
                     .untaggedStatus(.ok, .unseen(12), "Message 12 is first unseen")),
        ParseFixture("HIGHESTMODSEQ", "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n",
                     .untaggedStatus(.ok, .highestModSeq(715_194_045_007), "Highest")),
        ParseFixture("HIGHESTMODSEQ without text", "* OK [HIGHESTMODSEQ 90060128194045007]\r\n",
                     .untaggedStatus(.ok, .highestModSeq(90_060_128_194_045_007))),
        ParseFixture("NOMODSEQ", "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n",
                     .untaggedStatus(.ok, .noModSeq, "Sorry, this mailbox format doesn't support modsequences")),
        ParseFixture("PARSE", "* NO [PARSE] Invalid header in message 3\r\n",
                     .untaggedStatus(.no, .parse, "Invalid header in message 3")),
        ParseFixture("unknown code with argument", "* OK [URLMECH INTERNAL] Ok\r\n",
                     .untaggedStatus(.ok, .other("URLMECH", "INTERNAL"), "Ok")),
        ParseFixture("unknown code with list", "* OK [MAILBOXID (F2212ea87-6097-4256-9d51)] Ok\r\n",
                     .untaggedStatus(.ok, .other("MAILBOXID", "(F2212ea87-6097-4256-9d51)"), "Ok")),
        ParseFixture("unknown code lower case", "* NO [x-custom-code some args] text\r\n",
                     .untaggedStatus(.no, .other("X-CUSTOM-CODE", "some args"), "text")),
        ParseFixture("untagged BAD", "* BAD [PARSE] Unexpected token\r\n", .untaggedStatus(.bad, .parse, "Unexpected token")),
        ParseFixture("untagged BYE with ALERT", "* BYE [ALERT] Server shutting down\r\n",
                     .untaggedStatus(.bye, .alert, "Server shutting down")),
        ParseFixture("code without space before text", "* OK [UNSEEN 3]first unseen\r\n",
                     .untaggedStatus(.ok, .unseen(3), "first unseen")),
    ]

    static let continuations: [ParseFixture] = [
        ParseFixture("continuation with text", "+ Ready for literal data\r\n", .continuation("Ready for literal data")),
        ParseFixture("continuation alone", "+\r\n", .continuation("")),
        ParseFixture("continuation with space only", "+ \r\n", .continuation("")),
        ParseFixture("continuation idling", "+ idling\r\n", .continuation("idling")),
        ParseFixture("continuation base64 challenge",
                     "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
                     .continuation("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")),
        ParseFixture("continuation bare LF", "+ go ahead\n", .continuation("go ahead")),
    ]

    static let all = greetings + tagged + codes + continuations
}

@Suite("ResponseParser: status responses")
struct ResponseParserTests {
    @Test("a greeting's text and code are available")
    func greetingAccessors() throws {
        let response = try parseOne("* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Cyrus IMAP ready\r\n")
        let status = try #require(response.conditionValue)
        #expect(status.kind == .ok)
        guard case let .capability(capabilities) = status.code else {
            Issue.record("expected a CAPABILITY code")
            return
        }
        #expect(capabilities.contains(.literalPlus))
        #expect(capabilities.contains(.auth("plain")), "capabilities compare case-insensitively")
        #expect(!capabilities.contains(.idle))
    }

    @Test("parsing nothing returns nil")
    func emptyBuffer() throws {
        var parser = ResponseParser()
        var buffer = ByteBuffer()
        #expect(try parser.parse(&buffer) == nil)
        #expect(try parser.parse(&buffer) == nil)
    }

    @Test("resetFraming forgets a partly framed literal")
    func resetFraming() throws {
        var parser = ResponseParser()
        var buffer = ByteBuffer(string: "* 1 FETCH (BODY[] {10}\r\nabc")
        #expect(try parser.parse(&buffer) == nil)
        // STARTTLS: the plaintext buffer is discarded and a fresh stream starts.
        parser.resetFraming()
        buffer = ByteBuffer(string: "* 2 EXISTS\r\n")
        #expect(try parser.parse(&buffer) == .untagged(.exists(2)))
        #expect(buffer.readableBytes == 0)
    }

    @Test("the parser keeps the limits it was given")
    func limitsKept() {
        let limits = Limits(maxLineLength: 10, maxLiteralSize: 20, maxNestingDepth: 3, maxElements: 4)
        #expect(ResponseParser(limits: limits).limits == limits)
        #expect(ResponseParser().limits == .default)
    }

    @Test("Capability and Flag compare case-insensitively")
    func caseInsensitiveAtoms() {
        #expect(Capability("idle") == .idle)
        #expect(Set([Capability("IMAP4REV1"), .imap4rev1]).count == 1)
        #expect(Capability("AUTH=XOAUTH2").description == "AUTH=XOAUTH2")
        #expect(Flag("\\SEEN") == .seen)
        #expect(Set<Flag>(["\\seen", .seen, "\\Deleted"]).count == 2)
        #expect(Flag.wildcard.rawValue == "\\*")
        #expect(Flag("$Forwarded").description == "$Forwarded")
    }
}
