import IMAPCore
import NIOCore
import Testing

/// Encode → parse round trips: what the encoder writes, echoed by a server, parses back to the
/// value it started from.
@Suite("Encode and parse round trips")
struct RoundTripTests {
    /// The bytes after `prefix` in the joined encoding, without the final CRLF.
    static func argument(_ encoded: EncodedCommand, after prefix: String) throws -> [UInt8] {
        let joined = encoded.joined.bytes
        let prefixBytes = Array(prefix.utf8)
        try #require(joined.starts(with: prefixBytes), "\(String(decoding: joined, as: UTF8.self))")
        return Array(joined.dropFirst(prefixBytes.count).dropLast(2))
    }

    static let messages: [String] = [
        "From: a@b\r\nSubject: hi\r\n\r\nHello\r\n",
        "Subject: Grüße aus Köln\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nÄpfel und Birnen\r\n.\r\n",
        "",
        "no line end at all",
        "Subject: {5}\r\n\r\n* 1 EXISTS\r\na1 OK fake\r\n+ fake\r\n",
    ]

    @Test("an APPEND literal, echoed as BODY[], comes back byte for byte", arguments: messages, [false, true])
    func appendEcho(_ message: String, _ literalPlus: Bool) throws {
        let encoder = CommandEncoder(literalPlus: literalPlus)
        let encoded = try encoder.encode(tag: "a1", .append(mailbox: "INBOX", flags: [.seen], date: nil,
                                                            message: ByteBuffer(string: message)))
        // The server sees `{N}` or `{N+}` then the bytes; echo exactly that literal in a FETCH.
        let literal = try Self.argument(encoded, after: "a1 APPEND INBOX (\\Seen) ")
        let echo = Array("* 1 FETCH (UID 7 BODY[] ".utf8) + literal + Array(")\r\n".utf8)
        for chunkSize in [1, 7, echo.count] {
            let (responses, leftover) = try parseChunked(echo, chunkSize: chunkSize)
            #expect(leftover == 0)
            let fetch = try #require(responses.first?.fetchValue)
            #expect(responses.count == 1)
            #expect(fetch.uid == 7)
            #expect(fetch.body()?.bytes == ByteBuffer(string: message))
        }
    }

    @Test("a mailbox name as the encoder writes it, echoed in LIST, decodes to the same name", arguments: [
        "Archive", "Sent Items", "~peter/mail/台北/日本語", "R&D/Q1", "Entwürfe", "Projects/\"Quoted\" \\ Stuff", "😀 Fun",
        String(repeating: "Ordner-", count: 200),
    ])
    func mailboxEcho(_ name: String) throws {
        let encoded = try CommandEncoder().encode(tag: "a1", .create(mailbox: name))
        let wire = try Self.argument(encoded, after: "a1 CREATE ")
        let echo = Array("* LIST (\\HasNoChildren) \"/\" ".utf8) + wire + Array("\r\n".utf8)
        let (responses, leftover) = try parseWhole(echo)
        #expect(leftover == 0)
        guard case let .untagged(.list(listing))? = responses.first else {
            Issue.record("expected LIST, got \(responses)")
            return
        }
        #expect(listing.name == name)
        #expect(listing.wireName == ModifiedUTF7.encode(name))
    }

    @Test("a quoted or literal search string, echoed in an ID response, parses to the same text", arguments: [
        "plain", "with \"quotes\" and \\backslashes\\", "", "Grüße", "multi\r\nline", String(repeating: "z", count: 1500),
    ])
    func stringEcho(_ value: String) throws {
        let encoded = try CommandEncoder().encode(tag: "a1", .uidSearch(.subject(value), returnOptions: nil))
        let charset = value.utf8.contains { $0 >= 0x80 } ? "CHARSET UTF-8 " : ""
        let wire = try Self.argument(encoded, after: "a1 UID SEARCH \(charset)SUBJECT ")
        let echo = Array("* ID (\"subject\" ".utf8) + wire + Array(")\r\n".utf8)
        #expect(try parseWhole(echo).responses == [.untagged(.id([IDField(key: "subject", value: value)]))])
    }

    @Test("UID sets survive the encoder and a COPYUID response code")
    func uidSetEcho() throws {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<100 {
            let values = (0..<Int.random(in: 1...30, using: &rng)).map { _ in UInt32.random(in: 1...500, using: &rng) }
            let set = UIDSet(values: values)
            let encoded = try CommandEncoder().encode(tag: "a1", .uidCopy(set, mailbox: "Archive"))
            let wire = String(decoding: try Self.argument(encoded, after: "a1 UID COPY "), as: UTF8.self)
            let setText = try #require(wire.split(separator: " ").first.map(String.init))
            let response = try parseOne("a1 OK [COPYUID 99 \(setText) \(setText)] Done\r\n")
            #expect(response == .taggedStatus("a1", .ok, .copyUID(uidValidity: 99, source: set, destination: set), "Done"))
            #expect(UIDSet(parsing: set.description) == set)
        }
    }

    @Test("an APPEND date, echoed as INTERNALDATE, parses to the same date", arguments: [
        InternalDate(year: 1996, month: 7, day: 17, hour: 2, minute: 44, second: 25, zoneMinutes: -420),
        InternalDate(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, zoneMinutes: 330),
        InternalDate(year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0, zoneMinutes: 0),
        InternalDate(year: 2031, month: 12, day: 9, hour: 8, minute: 5, second: 3, zoneMinutes: -570),
    ])
    func dateEcho(_ date: InternalDate) throws {
        let encoded = try CommandEncoder(literalPlus: true)
            .encode(tag: "a1", .append(mailbox: "INBOX", flags: [], date: date, message: ByteBuffer(string: "x")))
        let wire = String(decoding: try Self.argument(encoded, after: "a1 APPEND INBOX "), as: UTF8.self)
        let quoted = try #require(wire.split(separator: " {").first.map(String.init))
        let fetch = try #require(try parseOne("* 1 FETCH (INTERNALDATE \(quoted))\r\n").fetchValue)
        #expect(fetch.internalDate == date)
    }

    @Test("SASL-IR initial responses decode back to their bytes", arguments: [
        Array("\0alice\0secret".utf8), [], Array("user=alice\u{1}auth=Bearer ya29.token\u{1}\u{1}".utf8), Array(0...255).map(UInt8.init),
    ])
    func saslEcho(_ bytes: [UInt8]) throws {
        let encoded = try CommandEncoder().encode(tag: "a1", .authenticate(mechanism: "PLAIN", initialResponse: bytes))
        let wire = String(decoding: try Self.argument(encoded, after: "a1 AUTHENTICATE PLAIN "), as: UTF8.self)
        #expect(wire == (bytes.isEmpty ? "=" : Base64.encode(bytes)))
        if !bytes.isEmpty {
            #expect(Base64.decode(wire) == bytes)
        }
        // A server challenge in the same encoding parses as a continuation and decodes.
        let challenge = try parseOne("+ \(Base64.encode(bytes))\r\n")
        guard case let .continuation(text) = challenge else {
            Issue.record("expected a continuation, got \(challenge)")
            return
        }
        #expect(Base64.decode(text) == bytes)
    }
}
