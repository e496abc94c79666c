import IMAPCore
import NIOCore
import Testing

/// Untagged server data other than FETCH (RFC 3501 §7.2–7.4, RFC 4731, RFC 5161, RFC 2971).
enum UntaggedFixtures {
    static func listing(_ attributes: [String], _ delimiter: Character?, _ wireName: String) -> MailboxListing {
        MailboxListing(attributes: attributes, delimiter: delimiter, wireName: wireName)
    }

    static let capabilities: [ParseFixture] = [
        ParseFixture("CAPABILITY", "* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n",
                     .untagged(.capability(["IMAP4rev1", "STARTTLS", "AUTH=GSSAPI", "LOGINDISABLED"]))),
        ParseFixture("CAPABILITY Gmail", "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 XYZZY SASL-IR AUTH=XOAUTH2\r\n",
                     .untagged(.capability(["IMAP4rev1", "UNSELECT", "IDLE", "NAMESPACE", "QUOTA", "ID", "XLIST", "CHILDREN",
                                            "X-GM-EXT-1", "XYZZY", "SASL-IR", "AUTH=XOAUTH2"]))),
        ParseFixture("CAPABILITY trailing space", "* CAPABILITY IMAP4rev1 IDLE \r\n", .untagged(.capability(["IMAP4rev1", "IDLE"]))),
        ParseFixture("ENABLED", "* ENABLED CONDSTORE QRESYNC\r\n", .untagged(.enabled(["CONDSTORE", "QRESYNC"]))),
        ParseFixture("ENABLED nothing", "* ENABLED\r\n", .untagged(.enabled([]))),
    ]

    static let listings: [ParseFixture] = [
        ParseFixture("LIST INBOX", "* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
                     .untagged(.list(listing(["\\HasNoChildren"], "/", "INBOX")))),
        ParseFixture("LIST Noselect dot delimiter", "* LIST (\\Noselect \\HasChildren) \".\" \"#news.comp\"\r\n",
                     .untagged(.list(listing(["\\Noselect", "\\HasChildren"], ".", "#news.comp")))),
        ParseFixture("LIST Gmail special use", "* LIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"\r\n",
                     .untagged(.list(listing(["\\HasNoChildren", "\\Sent"], "/", "[Gmail]/Sent Mail")))),
        ParseFixture("LIST NIL delimiter", "* LIST () NIL Flat\r\n", .untagged(.list(listing([], nil, "Flat")))),
        ParseFixture("LIST backslash delimiter", "* LIST (\\NoInferiors) \"\\\\\" \"Sent Items\"\r\n",
                     .untagged(.list(listing(["\\NoInferiors"], "\\", "Sent Items")))),
        ParseFixture("LIST literal name", "* LIST () \"/\" \(lit("weird\"name"))\r\n",
                     .untagged(.list(listing([], "/", "weird\"name")))),
        ParseFixture("LIST modified UTF-7 name", "* LIST (\\HasNoChildren) \"/\" \"~peter/mail/&U,BTFw-/&ZeVnLIqe-\"\r\n",
                     .untagged(.list(listing(["\\HasNoChildren"], "/", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")))),
        ParseFixture("LIST atom starting with ~", "* LIST () \"/\" ~peter/mail/&U,BTFw-\r\n",
                     .untagged(.list(listing([], "/", "~peter/mail/&U,BTFw-")))),
        ParseFixture("STATUS atom starting with ~", "* STATUS ~alice (MESSAGES 2)\r\n",
                     .untagged(.status(MailboxStatus(wireName: "~alice", values: ["MESSAGES": 2])))),
        ParseFixture("LIST atom modified UTF-7 name", "* LIST (\\HasNoChildren) \"/\" Caf&AOk-/Entw&APw-rfe\r\n",
                     .untagged(.list(listing(["\\HasNoChildren"], "/", "Caf&AOk-/Entw&APw-rfe")))),
        ParseFixture("LIST extended data", "* LIST (\\Subscribed) \"/\" Foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
                     .untagged(.list(listing(["\\Subscribed"], "/", "Foo")))),
        ParseFixture("XLIST", "* XLIST (\\HasNoChildren \\Inbox) \"/\" \"Inbox\"\r\n",
                     .untagged(.list(listing(["\\HasNoChildren", "\\Inbox"], "/", "Inbox")))),
        ParseFixture("LSUB", "* LSUB () \".\" #news.comp.mail.misc\r\n",
                     .untagged(.lsub(listing([], ".", "#news.comp.mail.misc")))),
        ParseFixture("LIST empty name", "* LIST (\\Noselect) \"/\" \"\"\r\n",
                     .untagged(.list(listing(["\\Noselect"], "/", "")))),
    ]

    static let mailboxData: [ParseFixture] = [
        ParseFixture("STATUS", "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
                     .untagged(.status(MailboxStatus(wireName: "blurdybloop", values: ["MESSAGES": 231, "UIDNEXT": 44292])))),
        ParseFixture("STATUS all items", "* STATUS \"INBOX\" (MESSAGES 3 RECENT 0 UIDNEXT 4 UIDVALIDITY 1700000000 UNSEEN 1 HIGHESTMODSEQ 9)\r\n",
                     .untagged(.status(MailboxStatus(wireName: "INBOX", values: [
                         "MESSAGES": 3, "RECENT": 0, "UIDNEXT": 4, "UIDVALIDITY": 1_700_000_000, "UNSEEN": 1, "HIGHESTMODSEQ": 9,
                     ])))),
        ParseFixture("STATUS empty", "* STATUS \"Sent Items\" ()\r\n",
                     .untagged(.status(MailboxStatus(wireName: "Sent Items", values: [:])))),
        ParseFixture("STATUS literal name lower-case items", "* STATUS \(lit("Inbox")) (messages 1)\r\n",
                     .untagged(.status(MailboxStatus(wireName: "Inbox", values: ["MESSAGES": 1])))),
        ParseFixture("FLAGS", "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
                     .untagged(.flags([.answered, .flagged, .deleted, .seen, .draft]))),
        ParseFixture("FLAGS with keywords", "* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing)\r\n",
                     .untagged(.flags([.answered, .flagged, .draft, .deleted, .seen, "$NotPhishing", "$Phishing"]))),
        ParseFixture("FLAGS empty", "* FLAGS ()\r\n", .untagged(.flags([]))),
        ParseFixture("EXISTS", "* 23 EXISTS\r\n", .untagged(.exists(23))),
        ParseFixture("EXISTS zero", "* 0 EXISTS\r\n", .untagged(.exists(0))),
        ParseFixture("EXISTS largest", "* 4294967295 EXISTS\r\n", .untagged(.exists(4_294_967_295))),
        ParseFixture("RECENT", "* 5 RECENT\r\n", .untagged(.recent(5))),
        ParseFixture("EXPUNGE", "* 44 EXPUNGE\r\n", .untagged(.expunge(44))),
        ParseFixture("EXPUNGE lower case bare LF", "* 3 expunge\n", .untagged(.expunge(3))),
    ]

    static let searches: [ParseFixture] = [
        ParseFixture("SEARCH", "* SEARCH 2 84 882\r\n", .untagged(.search([2, 84, 882], modSeq: nil))),
        ParseFixture("SEARCH empty", "* SEARCH\r\n", .untagged(.search([], modSeq: nil))),
        ParseFixture("SEARCH empty trailing space", "* SEARCH \r\n", .untagged(.search([], modSeq: nil))),
        ParseFixture("SEARCH MODSEQ", "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n",
                     .untagged(.search([2, 5, 6, 7, 11, 12, 18, 19, 20, 23], modSeq: 917_162_500))),
        ParseFixture("ESEARCH MIN COUNT", "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n",
                     .untagged(.esearch(ESearchResponse(tag: "A282", min: 2, count: 3)))),
        ParseFixture("ESEARCH UID ALL", "* ESEARCH (TAG \"A283\") UID ALL 2,10:11\r\n",
                     .untagged(.esearch(ESearchResponse(tag: "A283", uid: true, all: .wire("2,10:11"))))),
        ParseFixture("ESEARCH everything", "* ESEARCH (TAG \"a1\") UID MIN 4 MAX 3800 COUNT 15 MODSEQ 12345\r\n",
                     .untagged(.esearch(ESearchResponse(tag: "a1", uid: true, min: 4, max: 3800, count: 15, modSeq: 12345)))),
        ParseFixture("ESEARCH no match", "* ESEARCH (TAG \"A285\") UID\r\n",
                     .untagged(.esearch(ESearchResponse(tag: "A285", uid: true)))),
        ParseFixture("ESEARCH unknown return data skipped", "* ESEARCH (TAG \"A300\") UID PARTIAL (1:10 1,2,3) COUNT 3\r\n",
                     .untagged(.esearch(ESearchResponse(tag: "A300", uid: true, count: 3)))),
        ParseFixture("ESEARCH bare", "* ESEARCH\r\n", .untagged(.esearch(ESearchResponse()))),
    ]

    static let others: [ParseFixture] = [
        ParseFixture("ID", "* ID (\"name\" \"Dovecot\")\r\n", .untagged(.id([IDField(key: "name", value: "Dovecot")]))),
        ParseFixture("ID NIL", "* ID NIL\r\n", .untagged(.id([]))),
        ParseFixture("ID with NIL value", "* ID (\"name\" \"Cyrus IMAPd\" \"version\" \"3.4.3\" \"support-url\" NIL)\r\n",
                     .untagged(.id([IDField(key: "name", value: "Cyrus IMAPd"), IDField(key: "version", value: "3.4.3"),
                                    IDField(key: "support-url", value: nil)]))),
        ParseFixture("NAMESPACE kept raw", "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n",
                     .untagged(.other("NAMESPACE", "((\"\" \"/\")) NIL NIL"))),
        ParseFixture("VANISHED kept raw", "* VANISHED (EARLIER) 300:310,405,411\r\n",
                     .untagged(.other("VANISHED", "(EARLIER) 300:310,405,411"))),
        ParseFixture("QUOTA kept raw", "* QUOTA \"\" (STORAGE 10 512)\r\n", .untagged(.other("QUOTA", "\"\" (STORAGE 10 512)"))),
        ParseFixture("numbered unknown kept raw", "* 3 XFOO bar\r\n", .untagged(.other("XFOO", "3 bar"))),
        ParseFixture("numbered unknown alone", "* 7 XBAR\r\n", .untagged(.other("XBAR", "7"))),
        ParseFixture("unknown with literal kept raw", "* METADATA \"INBOX\" (/private/comment \(lit("hello")))\r\n",
                     .untagged(.other("METADATA", "\"INBOX\" (/private/comment {5}\r\nhello)"))),
    ]

    static let all = capabilities + listings + mailboxData + searches + others
}

@Suite("ResponseParser: untagged data")
struct ResponseParserUntaggedTests {
    @Test("LIST names are decoded from modified UTF-7", arguments: [
        ("~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語"),
        ("Caf&AOk-/Entw&APw-rfe", "Café/Entwürfe"),
        ("Tom &- Jerry", "Tom & Jerry"),
        ("&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", "Отправленные"),
        ("inbox", "INBOX"),
        ("Inbox", "INBOX"),
        // Not valid modified UTF-7: a non-conforming server's name is kept as sent.
        ("Tom & Jerry", "Tom & Jerry"),
        ("&AGE-", "&AGE-"),
    ])
    func decodedNames(_ wire: String, _ name: String) throws {
        let response = try parseOne("* LIST (\\HasNoChildren) \"/\" \"\(wire)\"\r\n")
        guard case let .untagged(.list(listing)) = response else {
            Issue.record("expected LIST, got \(response)")
            return
        }
        #expect(listing.wireName == wire)
        #expect(listing.name == name)
    }

    @Test("selectability follows \\Noselect and \\NonExistent", arguments: [
        ("()", true), ("(\\HasNoChildren)", true), ("(\\Noselect)", false), ("(\\noselect \\HasChildren)", false),
        ("(\\NonExistent)", false), ("(\\Marked \\Sent)", true),
    ])
    func selectable(_ attributes: String, _ selectable: Bool) throws {
        let response = try parseOne("* LIST \(attributes) \"/\" Box\r\n")
        guard case let .untagged(.list(listing)) = response else {
            Issue.record("expected LIST, got \(response)")
            return
        }
        #expect(listing.isSelectable == selectable)
    }

    @Test("STATUS accessors")
    func statusAccessors() throws {
        let response = try parseOne("* STATUS INBOX (MESSAGES 3 RECENT 1 UIDNEXT 4 UIDVALIDITY 77 UNSEEN 2)\r\n")
        guard case let .untagged(.status(status)) = response else {
            Issue.record("expected STATUS, got \(response)")
            return
        }
        #expect(status.messages == 3)
        #expect(status.recent == 1)
        #expect(status.uidNext == 4)
        #expect(status.uidValidity == 77)
        #expect(status.unseen == 2)
        let empty = MailboxStatus(wireName: "x", values: [:])
        #expect(empty.messages == nil && empty.uidNext == nil && empty.uidValidity == nil)
    }
}
