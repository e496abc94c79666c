import IMAPCore
import NIOCore
import Testing

/// Whole server sessions, parsed whole and in chunks of 1, 7 and 64 bytes; each run checks the
/// parsed values, and every chunking gives exactly the responses of the whole parse.
@Suite("Transcripts")
struct TranscriptTests {
    @Test("a session parses whole to the expected values", arguments: Transcript.all)
    func whole(_ transcript: Transcript) throws {
        let (responses, leftover) = try parseWhole(transcript.wire)
        #expect(leftover == 0)
        try transcript.check(responses)
    }

    @Test("a session parses in chunks to the same responses", arguments: Transcript.all, [1, 7, 64])
    func chunked(_ transcript: Transcript, _ chunkSize: Int) throws {
        let (responses, leftover) = try parseChunked(transcript.wire, chunkSize: chunkSize)
        #expect(leftover == 0)
        try transcript.check(responses)
        #expect(responses == (try parseWhole(transcript.wire).responses))
    }

    @Test("a session parses in random chunks to the same responses", arguments: Transcript.all)
    func randomChunks(_ transcript: Transcript) throws {
        let expected = try parseWhole(transcript.wire).responses
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<5 {
            var parser = ResponseParser()
            var buffer = ByteBuffer()
            var responses: [Response] = []
            var offset = 0
            while offset < transcript.wire.count {
                let end = min(transcript.wire.count, offset + Int.random(in: 1...300, using: &rng))
                buffer.writeBytes(transcript.wire[offset..<end])
                offset = end
                while let response = try parser.parse(&buffer) { responses.append(response) }
                // A real receive buffer drops consumed bytes now and then.
                if Bool.random(using: &rng) { buffer.discardReadBytes() }
            }
            #expect(responses == expected)
            #expect(buffer.readableBytes == 0)
        }
    }

    // MARK: Helpers

    static func tagged(_ responses: [Response], _ tag: String) throws -> StatusResponse {
        let matches = responses.compactMap { $0.taggedValue }.filter { $0.tag == tag }
        try #require(matches.count == 1, "one completion for \(tag)")
        return matches[0].status
    }

    static func codes(_ responses: [Response]) -> [ResponseCode] {
        responses.compactMap { $0.conditionValue?.code }
    }

    static func capabilities(_ code: ResponseCode?) -> [Capability] {
        if case let .capability(list)? = code { return list }
        return []
    }

    static func listings(_ responses: [Response]) -> [MailboxListing] {
        responses.compactMap { if case let .untagged(.list(listing)) = $0 { listing } else { nil } }
    }

    static func fetches(_ responses: [Response]) -> [FetchResponse] {
        responses.compactMap(\.fetchValue)
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    // MARK: Dovecot

    @Sendable static func checkDovecot(_ responses: [Response]) throws {
        try #require(responses.count == 34)
        let greeting = try #require(responses[0].conditionValue)
        #expect(greeting.kind == .ok)
        #expect(greeting.text == "Dovecot (Debian) ready.")
        #expect(capabilities(greeting.code).contains(.literalPlus))
        #expect(capabilities(greeting.code).contains(.auth("PLAIN")))
        #expect(responses[1] == .untagged(.id([IDField(key: "name", value: "Dovecot")])))
        let login = try tagged(responses, "a2")
        #expect(login.kind == .ok && login.text == "Logged in")
        let loggedIn = capabilities(login.code)
        for capability in [Capability.condStore, .move, .uidPlus, .esearch, .idle, .enable, .binary, "SPECIAL-USE"] {
            #expect(loggedIn.contains(capability), "\(capability)")
        }
        #expect(responses[4] == .untagged(.enabled([.condStore])))
        #expect(listings(responses).map(\.name) == ["INBOX", "Sent", "Entwürfe"])
        #expect(listings(responses).map(\.delimiter) == ["/", "/", "/"])
        #expect(listings(responses)[2].attributes == ["\\HasNoChildren", "\\Drafts"])
        #expect(responses[10] == .untagged(.flags([.answered, .flagged, .deleted, .seen, .draft])))
        #expect(codes(responses) == [
            greeting.code!, .permanentFlags([.answered, .flagged, .deleted, .seen, .draft, .wildcard]), .unseen(3),
            .uidValidity(1_700_000_000), .uidNext(104), .highestModSeq(57),
        ])
        #expect(responses[12] == .untagged(.exists(3)))
        #expect(responses[13] == .untagged(.recent(0)))
        #expect(try tagged(responses, "a5").code == .readWrite)
        #expect(responses[19] == .untagged(.search([101, 102, 103], modSeq: nil)))
        let fetched = fetches(responses)
        try #require(fetched.count == 4)
        #expect(fetched.map(\.uid) == [101, 102, 103, 102])
        #expect(fetched[0].flags == [.seen])
        #expect(fetched[0].internalDate == InternalDate(year: 2025, month: 1, day: 17, hour: 10, minute: 15, second: 0, zoneMinutes: 60))
        #expect(fetched[0].rfc822Size == UInt64(TranscriptMessages.welcome.utf8.count))
        #expect(fetched[0].body() == BodyData(section: "", origin: 0, bytes: body(TranscriptMessages.welcome)))
        #expect(fetched[1].flags == [])
        #expect(fetched[1].body()?.bytes == body(TranscriptMessages.invoice))
        #expect(fetched[2].flags == [.flagged, "$Important"])
        #expect(fetched[2].internalDate?.zoneMinutes == -300)
        #expect(fetched[2].body()?.bytes == body(TranscriptMessages.tricky), "lines inside a literal are not responses")
        // IDLE and its unsolicited updates.
        #expect(Array(responses[25...31]) == [
            .continuation("idling"),
            .untagged(.exists(4)),
            .untagged(.recent(1)),
            .fetch(2, [.uid(102), .modSeq(58), .flags([.seen])]),
            .untagged(.expunge(1)),
            .untagged(.exists(3)),
            .taggedStatus("a8", .ok, nil, "Idle completed (0.001 + 12.345 + 12.344 secs)."),
        ])
        #expect(Array(responses[32...]) == [
            .untaggedStatus(.bye, nil, "Logging out"),
            .taggedStatus("a9", .ok, nil, "Logout completed (0.001 + 0.000 secs)."),
        ])
    }

    // MARK: Gmail

    @Sendable static func checkGmail(_ responses: [Response]) throws {
        try #require(responses.count == 33)
        #expect(responses[0] == .untaggedStatus(.ok, nil, "Gimap ready for requests from 198.51.100.23 x12mb3456789abc"))
        guard case let .untagged(.capability(before)) = responses[1], case let .untagged(.capability(after)) = responses[3] else {
            Issue.record("expected two CAPABILITY responses")
            return
        }
        #expect(before.contains("X-GM-EXT-1") && before.contains(.auth("XOAUTH2")) && before.contains(.saslIR))
        #expect(!before.contains(.condStore))
        #expect(after.contains(.condStore) && after.contains(.literalMinus) && after.contains(.move) && after.contains(.esearch))
        #expect(after.contains("APPENDLIMIT=35651584"))
        #expect(try tagged(responses, "a2").text == "alice@gmail.com authenticated (Success)")
        let boxes = listings(responses)
        #expect(boxes.map(\.name) == ["INBOX", "[Gmail]", "[Gmail]/All Mail", "[Gmail]/Sent Mail", "[Gmail]/Trash", "日本語"])
        #expect(boxes.map(\.isSelectable) == [true, false, true, true, true, true])
        #expect(boxes[5].wireName == "&ZeVnLIqe-")
        #expect(codes(responses) == [
            .permanentFlags([.answered, .flagged, .draft, .deleted, .seen, "$NotPhishing", "$Phishing", .wildcard]),
            .uidValidity(1), .uidNext(4521), .highestModSeq(2_093_874),
        ])
        #expect(responses[18] == .untaggedStatus(.ok, .highestModSeq(2_093_874)), "a code without text")
        #expect(try tagged(responses, "a4") == StatusResponse(kind: .ok, code: .readWrite, text: "INBOX selected. (Success)"))
        #expect(responses[20] == .untagged(.esearch(ESearchResponse(tag: "a5", uid: true, all: .wire("4519:4520")))))
        let fetched = fetches(responses)
        try #require(fetched.count == 3)
        #expect(fetched[0].uid == 4519)
        #expect(fetched[0].attributes.first == .other("X-GM-THRID", .number(1_804_589_128_271_720_001)))
        #expect(fetched[0].attributes.contains(.other("X-GM-LABELS", .list([.text("\\Important"), .text("\\Inbox")]))))
        #expect(fetched[0].body(section: "HEADER.FIELDS (FROM SUBJECT)")?.bytes == body(TranscriptMessages.headerOnly))
        #expect(fetched[0].body()?.bytes == body(TranscriptMessages.welcome))
        #expect(fetched[0].body()?.origin == 0)
        #expect(fetched[1].uid == 4520)
        #expect(fetched[1].attributes.contains(.other("X-GM-LABELS", .list([]))))
        #expect(fetched[1].body(section: "HEADER.FIELDS (FROM SUBJECT)")?.bytes == body("\r\n"))
        #expect(fetched[1].body() == BodyData(section: "", origin: 0, bytes: nil))
        #expect(Array(responses[25...30]) == [
            .continuation("idling"),
            .untagged(.exists(3)),
            .fetch(1, [.flags([.seen, .flagged])]),
            .untagged(.expunge(2)),
            .untagged(.exists(2)),
            .taggedStatus("a7", .ok, nil, "IDLE terminated (Success)"),
        ])
        #expect(responses[31] == .untaggedStatus(.bye, nil, "LOGOUT Requested"))
        #expect(responses[32] == .taggedStatus("a8", .ok, nil, "73 good day (Success)"))
    }

    // MARK: Outlook / Exchange

    @Sendable static func checkExchange(_ responses: [Response]) throws {
        try #require(responses.count == 33)
        let greeting = try #require(responses[0].conditionValue)
        #expect(greeting.kind == .ok && greeting.code == nil)
        #expect(greeting.text.hasPrefix("The Microsoft Exchange IMAP4 service is ready. [UwBBADIA"))
        guard case let .untagged(.capability(capabilities)) = responses[1] else {
            Issue.record("expected CAPABILITY")
            return
        }
        #expect(capabilities.first == "IMAP4" && capabilities.contains(.imap4rev1) && capabilities.contains(.literalPlus))
        #expect(CommandEncoder(capabilities: capabilities).literalPlus)
        #expect(responses[3] == .continuation(""), "a bare `+ ` asks for the SASL response")
        #expect(try tagged(responses, "a2").text == "AUTHENTICATE completed.")
        #expect(Array(responses[5...12]) == [
            .untagged(.exists(3)),
            .untagged(.recent(0)),
            .untagged(.flags([.seen, .answered, .flagged, .deleted, .draft, "$MDNSent"])),
            .untaggedStatus(.ok, .permanentFlags([.seen, .answered, .flagged, .deleted, .draft, "$MDNSent"]), "Permanent flags"),
            .untaggedStatus(.ok, .unseen(2), "Is the first unseen message"),
            .untaggedStatus(.ok, .uidValidity(14), "UIDVALIDITY value"),
            .untaggedStatus(.ok, .uidNext(309), "The next unique identifier value"),
            .taggedStatus("a3", .ok, .readWrite, "SELECT completed."),
        ])
        #expect(responses[13] == .untagged(.search([306, 307, 308], modSeq: nil)))
        let fetched = fetches(responses)
        try #require(fetched.count == 4)
        #expect(fetched.map(\.uid) == [306, 307, 308, nil])
        let welcome = try #require(fetched[0].envelope)
        #expect(welcome.subject == "Welcome")
        #expect(welcome.from == [.init(name: "Carol", route: nil, mailbox: "carol", host: "example.net")])
        #expect(welcome.sender.isEmpty && welcome.replyTo.isEmpty)
        #expect(welcome.to.map(\.mailbox) == ["alice"])
        #expect(welcome.messageID == "<welcome-1@example.net>")
        #expect(fetched[0].body()?.bytes == body(TranscriptMessages.welcome))
        #expect(fetched[1].envelope == Envelope(subject: "Quarterly report: \"Q4\"\r\n"))
        #expect(fetched[1].body()?.bytes == body(""))
        let group = try #require(fetched[2].envelope)
        #expect(group.subject == nil)
        #expect(group.to == [.init(name: "Team", route: nil, mailbox: nil, host: nil),
                             .init(name: nil, route: nil, mailbox: "bob", host: "example.com"),
                             .init(name: nil, route: nil, mailbox: nil, host: nil)])
        #expect(fetched[2].flags == [.answered, .seen])
        #expect(fetched[2].body() == BodyData(section: "", origin: 0, bytes: nil))
        #expect(Array(responses[19...23]) == [
            .continuation("IDLE accepted, awaiting DONE command."),
            .untagged(.exists(4)),
            .fetch(2, [.flags([.seen])]),
            .untagged(.expunge(1)),
            .taggedStatus("a6", .ok, nil, "IDLE completed."),
        ])
        #expect(responses[27] == .untaggedStatus(.ok, .permanentFlags([]), "Permanent flags"))
        #expect(try tagged(responses, "a7") == StatusResponse(kind: .ok, code: .readOnly, text: "EXAMINE completed."))
        #expect(responses[31] == .untaggedStatus(.bye, nil, "Microsoft Exchange Server IMAP4 server signing off."))
        #expect(responses[32] == .taggedStatus("a8", .ok, nil, "LOGOUT completed."))
    }

    // MARK: Cyrus

    @Sendable static func checkCyrus(_ responses: [Response]) throws {
        try #require(responses.count == 32)
        let greeting = try #require(responses[0].conditionValue)
        #expect(greeting.text == "mail.example.org Cyrus IMAP 3.8.1 server ready")
        #expect(capabilities(greeting.code) == ["IMAP4rev1", "LITERAL+", "ID", "ENABLE", "STARTTLS", "AUTH=PLAIN",
                                                "AUTH=SCRAM-SHA-256", "SASL-IR"])
        #expect(responses[1] == .continuation(""))
        let login = try tagged(responses, "a1")
        #expect(login.text == "Success (tls protection) SESSIONID=<cyrus-4242-1700000000-1-123>")
        #expect(capabilities(login.code).contains("RIGHTS=kxten") && capabilities(login.code).contains(.idle))
        #expect(codes(responses) == [
            greeting.code!, .permanentFlags([.answered, .flagged, .draft, .deleted, .seen, .wildcard]),
            .uidValidity(1_217_915_379), .uidNext(12), .highestModSeq(34), .other("URLMECH", "INTERNAL"),
            .other("ANNOTATIONS", "65536"), .uidValidity(1_217_915_380),
        ])
        #expect(responses.compactMap(\.conditionValue).dropFirst().dropLast().allSatisfy { $0.text == "Ok" })
        #expect(try tagged(responses, "a2") == StatusResponse(kind: .ok, code: .readWrite, text: "Completed"))
        #expect(responses[13] == .untagged(.search([10, 11], modSeq: nil)))
        let fetched = fetches(responses)
        try #require(fetched.count == 3)
        #expect(fetched[0].attributes == [
            .uid(10), .flags([.seen]), .rfc822Size(60),
            .body(BodyData("HEADER", TranscriptMessages.headerOnly)), .body(BodyData("TEXT", "Noon?\r\n")),
        ])
        #expect(fetched[1].body(section: "TEXT")?.bytes == body("0123456789"))
        #expect(responses[18] == .continuation("go ahead"))
        #expect(try tagged(responses, "a5").code == .appendUID(uidValidity: 1_217_915_380, uids: .wire("7")))
        #expect(try tagged(responses, "a6").code == .copyUID(uidValidity: 1_217_915_380, source: .wire("10:11"), destination: .wire("8:9")))
        #expect(Array(responses[21...26]) == [
            .continuation("idling"),
            .untagged(.exists(3)),
            .untagged(.recent(1)),
            .fetch(1, [.flags([.seen, .deleted]), .uid(10)]),
            .untagged(.expunge(1)),
            .taggedStatus("a7", .ok, nil, "Completed"),
        ])
        #expect(try tagged(responses, "a8") == StatusResponse(kind: .ok, code: .readOnly, text: ""), "a code without text")
        #expect(responses[30] == .untaggedStatus(.bye, nil, "LOGOUT received"))
        #expect(responses[31] == .taggedStatus("a9", .ok, nil, "Completed"))
    }
}
