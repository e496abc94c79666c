import IMAPCore
import Testing

/// Server sides of full sessions in the styles of Dovecot, Gmail, Outlook/Exchange and Cyrus,
/// written from RFC 3501/9051, the extension RFCs and the servers' public documentation. Only
/// what the server sends is on the wire; the client's commands are in the comments.
struct Transcript: Sendable, CustomTestStringConvertible {
    let name: String
    let wire: [UInt8]
    /// Checks specific parsed values of the whole session.
    let check: @Sendable ([Response]) throws -> Void

    var testDescription: String { name }

    static let all: [Transcript] = [
        Transcript(name: "Dovecot", wire: dovecot(eol: "\r\n"), check: TranscriptTests.checkDovecot),
        Transcript(name: "Dovecot with bare LF", wire: dovecot(eol: "\n"), check: TranscriptTests.checkDovecot),
        Transcript(name: "Gmail", wire: gmail(), check: TranscriptTests.checkGmail),
        Transcript(name: "Outlook/Exchange", wire: exchange(), check: TranscriptTests.checkExchange),
        Transcript(name: "Cyrus", wire: cyrus(), check: TranscriptTests.checkCyrus),
    ]
}

/// Accumulates server lines with a chosen line end; `lit` announces literals with the same end.
struct TranscriptBuilder {
    let eol: String
    var text = ""

    init(eol: String = "\r\n") { self.eol = eol }

    mutating func line(_ line: String) { text += line + eol }
    func lit(_ content: String) -> String { "{\(content.utf8.count)}\(eol)\(content)" }
    var bytes: [UInt8] { Array(text.utf8) }
}

enum TranscriptMessages {
    static let welcome = """
        Return-Path: <carol@example.net>\r
        From: Carol <carol@example.net>\r
        To: alice@example.org\r
        Subject: Welcome\r
        Date: Fri, 17 Jan 2025 10:14:59 +0100\r
        Message-ID: <welcome-1@example.net>\r
        \r
        Hi Alice,\r
        your account is ready.\r

        """
    static let invoice = """
        From: billing@example.com\r
        To: alice@example.org\r
        Subject: =?UTF-8?Q?Rechnung_f=C3=BCr_Januar?=\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        Betrag: 42,00 €\r
        Fällig: 31.01.2025\r

        """
    /// A body whose lines look like IMAP responses; only the literal count may frame it.
    static let tricky = """
        Subject: {5}\r
        \r
        * 99 EXISTS\r
        a9 OK not a completion\r
        + not a continuation {3}\r

        """
    static let headerOnly = "From: Dave <dave@example.com>\r\nSubject: Lunch?\r\n\r\n"
}

extension Transcript {
    static func dovecot(eol: String) -> [UInt8] {
        var s = TranscriptBuilder(eol: eol)
        s.line("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.")
        // a1 ID ("name" "mailtrigger")
        s.line("* ID (\"name\" \"Dovecot\")")
        s.line("a1 OK ID completed (0.001 + 0.000 secs).")
        // a2 LOGIN alice secret
        s.line("a2 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE] Logged in")
        // a3 ENABLE CONDSTORE
        s.line("* ENABLED CONDSTORE")
        s.line("a3 OK Enabled.")
        // a4 LIST "" *
        s.line("* LIST (\\HasNoChildren) \"/\" INBOX")
        s.line("* LIST (\\HasNoChildren \\Sent) \"/\" Sent")
        s.line("* LIST (\\HasNoChildren \\Drafts) \"/\" Entw&APw-rfe")
        s.line("a4 OK List completed (0.001 + 0.000 secs).")
        // a5 SELECT INBOX (CONDSTORE)
        s.line("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        s.line("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.")
        s.line("* 3 EXISTS")
        s.line("* 0 RECENT")
        s.line("* OK [UNSEEN 3] First unseen.")
        s.line("* OK [UIDVALIDITY 1700000000] UIDs valid")
        s.line("* OK [UIDNEXT 104] Predicted next UID")
        s.line("* OK [HIGHESTMODSEQ 57] Highest")
        s.line("a5 OK [READ-WRITE] Select completed (0.002 + 0.000 + 0.001 secs).")
        // a6 UID SEARCH UID 101:*
        s.line("* SEARCH 101 102 103")
        s.line("a6 OK Search completed (0.001 + 0.000 secs).")
        // a7 UID FETCH 101:103 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]<0.65536>)
        let welcome = TranscriptMessages.welcome, invoice = TranscriptMessages.invoice, tricky = TranscriptMessages.tricky
        s.line("* 1 FETCH (UID 101 FLAGS (\\Seen) INTERNALDATE \"17-Jan-2025 10:15:00 +0100\" RFC822.SIZE \(welcome.utf8.count) BODY[]<0> \(s.lit(welcome)))")
        s.line("* 2 FETCH (UID 102 FLAGS () INTERNALDATE \"18-Jan-2025 08:00:01 +0000\" RFC822.SIZE \(invoice.utf8.count) BODY[]<0> \(s.lit(invoice)))")
        s.line("* 3 FETCH (UID 103 FLAGS (\\Flagged $Important) INTERNALDATE \" 1-Feb-2025 23:59:59 -0500\" RFC822.SIZE \(tricky.utf8.count) BODY[]<0> \(s.lit(tricky)))")
        s.line("a7 OK Fetch completed (0.003 + 0.000 + 0.002 secs).")
        // a8 IDLE
        s.line("+ idling")
        s.line("* 4 EXISTS")
        s.line("* 1 RECENT")
        s.line("* 2 FETCH (UID 102 MODSEQ (58) FLAGS (\\Seen))")
        s.line("* 1 EXPUNGE")
        s.line("* 3 EXISTS")
        // DONE
        s.line("a8 OK Idle completed (0.001 + 12.345 + 12.344 secs).")
        // a9 LOGOUT
        s.line("* BYE Logging out")
        s.line("a9 OK Logout completed (0.001 + 0.000 secs).")
        return s.bytes
    }

    static func gmail() -> [UInt8] {
        var s = TranscriptBuilder()
        s.line("* OK Gimap ready for requests from 198.51.100.23 x12mb3456789abc")
        // a1 CAPABILITY
        s.line("* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 XYZZY SASL-IR AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER AUTH=XOAUTH")
        s.line("a1 OK Thats all she wrote! x12mb3456789abc")
        // a2 AUTHENTICATE XOAUTH2 dXNlcj1hbGljZUBnbWFpbC5jb20BYXV0aD1CZWFyZXIgeWEyOS52Zi0BAQ==
        s.line("* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584")
        s.line("a2 OK alice@gmail.com authenticated (Success)")
        // a3 LIST "" *
        s.line("* LIST (\\HasNoChildren) \"/\" \"INBOX\"")
        s.line("* LIST (\\HasChildren \\Noselect) \"/\" \"[Gmail]\"")
        s.line("* LIST (\\All \\HasNoChildren) \"/\" \"[Gmail]/All Mail\"")
        s.line("* LIST (\\HasNoChildren \\Sent) \"/\" \"[Gmail]/Sent Mail\"")
        s.line("* LIST (\\HasNoChildren \\Trash) \"/\" \"[Gmail]/Trash\"")
        s.line("* LIST (\\HasNoChildren) \"/\" \"&ZeVnLIqe-\"")
        s.line("a3 OK Success")
        // a4 SELECT INBOX
        s.line("* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing)")
        s.line("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing \\*)] Flags permitted.")
        s.line("* OK [UIDVALIDITY 1] UIDs valid.")
        s.line("* 2 EXISTS")
        s.line("* 0 RECENT")
        s.line("* OK [UIDNEXT 4521] Predicted next UID.")
        s.line("* OK [HIGHESTMODSEQ 2093874]")
        s.line("a4 OK [READ-WRITE] INBOX selected. (Success)")
        // a5 UID SEARCH RETURN (ALL) UID 4519:*
        s.line("* ESEARCH (TAG \"a5\") UID ALL 4519:4520")
        s.line("a5 OK SEARCH completed (Success)")
        // a6 UID FETCH 4519:4520 (UID FLAGS X-GM-LABELS X-GM-MSGID X-GM-THRID BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] BODY.PEEK[]<0.1000>)
        let header = TranscriptMessages.headerOnly
        let welcome = TranscriptMessages.welcome
        s.line("* 1 FETCH (X-GM-THRID 1804589128271720001 X-GM-MSGID 1804589128271720001 X-GM-LABELS (\"\\\\Important\" \"\\\\Inbox\") UID 4519 FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM SUBJECT)] \(s.lit(header)) BODY[]<0> \(s.lit(welcome)))")
        s.line("* 2 FETCH (X-GM-THRID 1804589128271720002 X-GM-MSGID 1804589128271720003 X-GM-LABELS () UID 4520 FLAGS () BODY[HEADER.FIELDS (FROM SUBJECT)] {2}\r\n\r\n BODY[]<0> NIL)")
        s.line("a6 OK Success")
        // a7 IDLE
        s.line("+ idling")
        s.line("* 3 EXISTS")
        s.line("* 1 FETCH (FLAGS (\\Seen \\Flagged))")
        s.line("* 2 EXPUNGE")
        s.line("* 2 EXISTS")
        // DONE
        s.line("a7 OK IDLE terminated (Success)")
        // a8 LOGOUT
        s.line("* BYE LOGOUT Requested")
        s.line("a8 OK 73 good day (Success)")
        return s.bytes
    }

    static func exchange() -> [UInt8] {
        var s = TranscriptBuilder()
        s.line("* OK The Microsoft Exchange IMAP4 service is ready. [UwBBADIAUABSADAANgBDAEEAMAAwADAAMgAuAG4AYQBtAHAAcgBkADAANgAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]")
        // a1 CAPABILITY
        s.line("* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+")
        s.line("a1 OK CAPABILITY completed.")
        // a2 AUTHENTICATE PLAIN (no initial response)
        s.line("+ ")
        // AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==
        s.line("a2 OK AUTHENTICATE completed.")
        // a3 SELECT INBOX
        s.line("* 3 EXISTS")
        s.line("* 0 RECENT")
        s.line("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)")
        s.line("* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)] Permanent flags")
        s.line("* OK [UNSEEN 2] Is the first unseen message")
        s.line("* OK [UIDVALIDITY 14] UIDVALIDITY value")
        s.line("* OK [UIDNEXT 309] The next unique identifier value")
        s.line("a3 OK [READ-WRITE] SELECT completed.")
        // a4 UID SEARCH UID 306:*
        s.line("* SEARCH 306 307 308")
        s.line("a4 OK SEARCH completed.")
        // a5 UID FETCH 306:308 (UID FLAGS ENVELOPE BODY.PEEK[]<0.2048>)
        let welcome = TranscriptMessages.welcome
        s.line("* 1 FETCH (UID 306 FLAGS (\\Seen) ENVELOPE (\"Fri, 17 Jan 2025 10:14:59 +0100\" \"Welcome\" ((\"Carol\" NIL \"carol\" \"example.net\")) NIL NIL ((NIL NIL \"alice\" \"example.org\")) NIL NIL NIL \"<welcome-1@example.net>\") BODY[]<0> \(s.lit(welcome)))")
        s.line("* 2 FETCH (UID 307 FLAGS () ENVELOPE (NIL \(s.lit("Quarterly report: \"Q4\"\r\n")) NIL NIL NIL NIL NIL NIL NIL NIL) BODY[]<0> \"\")")
        s.line("* 3 FETCH (UID 308 FLAGS (\\Answered \\Seen) ENVELOPE (\"Mon, 20 Jan 2025 09:00:00 +0000\" NIL ((NIL NIL \"noreply\" \"example.com\")) NIL NIL ((\"Team\" NIL NIL NIL)(NIL NIL \"bob\" \"example.com\")(NIL NIL NIL NIL)) NIL NIL NIL NIL) BODY[]<0> NIL)")
        s.line("a5 OK FETCH completed.")
        // a6 IDLE
        s.line("+ IDLE accepted, awaiting DONE command.")
        s.line("* 4 EXISTS")
        s.line("* 2 FETCH (FLAGS (\\Seen))")
        s.line("* 1 EXPUNGE")
        // DONE
        s.line("a6 OK IDLE completed.")
        // a7 EXAMINE "Sent Items"
        s.line("* 12 EXISTS")
        s.line("* 0 RECENT")
        s.line("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)")
        s.line("* OK [PERMANENTFLAGS ()] Permanent flags")
        s.line("* OK [UIDVALIDITY 15] UIDVALIDITY value")
        s.line("* OK [UIDNEXT 13] The next unique identifier value")
        s.line("a7 OK [READ-ONLY] EXAMINE completed.")
        // a8 LOGOUT
        s.line("* BYE Microsoft Exchange Server IMAP4 server signing off.")
        s.line("a8 OK LOGOUT completed.")
        return s.bytes
    }

    static func cyrus() -> [UInt8] {
        var s = TranscriptBuilder()
        s.line("* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR] mail.example.org Cyrus IMAP 3.8.1 server ready")
        // a1 AUTHENTICATE PLAIN
        s.line("+")
        // AGFsaWNlAHNlY3JldA==
        s.line("a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE ACL RIGHTS=kxten QUOTA MAILBOX-REFERRALS NAMESPACE UIDPLUS NO_ATOMIC_RENAME UNSELECT CHILDREN MULTIAPPEND BINARY CATENATE CONDSTORE ESEARCH SORT SORT=MODSEQ THREAD=ORDEREDSUBJECT THREAD=REFERENCES METADATA LIST-EXTENDED WITHIN QRESYNC MOVE SPECIAL-USE IDLE] Success (tls protection) SESSIONID=<cyrus-4242-1700000000-1-123>")
        // a2 SELECT INBOX
        s.line("* 2 EXISTS")
        s.line("* 0 RECENT")
        s.line("* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)")
        s.line("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen \\*)] Ok")
        s.line("* OK [UIDVALIDITY 1217915379] Ok")
        s.line("* OK [UIDNEXT 12] Ok")
        s.line("* OK [HIGHESTMODSEQ 34] Ok")
        s.line("* OK [URLMECH INTERNAL] Ok")
        s.line("* OK [ANNOTATIONS 65536] Ok")
        s.line("a2 OK [READ-WRITE] Completed")
        // a3 UID SEARCH UID 10:*
        s.line("* SEARCH 10 11")
        s.line("a3 OK Completed (2 msgs in 0.000 secs)")
        // a4 UID FETCH 10:11 (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[TEXT])
        let header = TranscriptMessages.headerOnly
        s.line("* 1 FETCH (UID 10 FLAGS (\\Seen) RFC822.SIZE 60 BODY[HEADER] \(s.lit(header)) BODY[TEXT] \(s.lit("Noon?\r\n")))")
        s.line("* 2 FETCH (UID 11 FLAGS () RFC822.SIZE 12 BODY[HEADER] {2}\r\n\r\n BODY[TEXT] \(s.lit("0123456789")))")
        s.line("a4 OK Completed (0.000 sec)")
        // a5 APPEND Archive (\Seen) {N}
        s.line("+ go ahead")
        s.line("a5 OK [APPENDUID 1217915380 7] Completed")
        // a6 UID COPY 10:11 Archive
        s.line("a6 OK [COPYUID 1217915380 10:11 8:9] Completed")
        // a7 IDLE
        s.line("+ idling")
        s.line("* 3 EXISTS")
        s.line("* 1 RECENT")
        s.line("* 1 FETCH (FLAGS (\\Seen \\Deleted) UID 10)")
        s.line("* 1 EXPUNGE")
        // DONE
        s.line("a7 OK Completed")
        // a8 EXAMINE Archive
        s.line("* 9 EXISTS")
        s.line("* OK [UIDVALIDITY 1217915380] Ok")
        s.line("a8 OK [READ-ONLY]")
        // a9 LOGOUT
        s.line("* BYE LOGOUT received")
        s.line("a9 OK Completed")
        return s.bytes
    }
}
