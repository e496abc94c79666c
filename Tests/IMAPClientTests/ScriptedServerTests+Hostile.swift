import IMAPClient
import IMAPCore
import IMAPTestSupport
import NIOCore
import Testing

/// Hostile server responses the issue names (docs/threat-model.md), each played by the scripted
/// server: the session either goes on with a bounded, correct result or ends with a protocol
/// error — never a crash, a hang, unbounded memory, or data attributed to the wrong message.
extension ScriptedServerTests {
    /// Answers a UID FETCH of one body with `response` and returns the error the fetch threw,
    /// once the session has closed (the handler closes it right after failing, asynchronously).
    func fetchError(answering response: String) async throws -> IMAPClientError? {
        let server = try await ScriptedIMAPServer.start([.send(Self.greeting), .expect("UID FETCH"), .send(response), .waitForClose])
        let session = try await IMAPSession.connect(configuration(server))
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await session.uidFetch(UIDSet(values: [1]), items: [.uid, .bodyPeek(section: "", partial: nil)])
        }
        for _ in 0..<100 where session.isOpen { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!session.isOpen)
        await server.stop()
        return error
    }

    @Test func aLiteralLongerThanItsDeclaredSizeIsAProtocolViolation() async throws {
        // {5} announces five bytes; thirteen follow before the closing parenthesis. The extra
        // bytes must not be read as the body, nor parse as one more attribute of the message.
        let error = try await fetchError(answering: "* 1 FETCH (UID 1 BODY[] {5}\r\nHello, world!)\r\n{tag} OK done\r\n")
        #expect(error?.code == .protocolViolation)
    }

    @Test func aLiteralOfTwoToTheSixtyThreeBytesFailsAtItsAnnouncement() async throws {
        let error = try await fetchError(answering: "* 1 FETCH (UID 1 BODY[] {9223372036854775808}\r\n")
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("literal") == true)
    }

    @Test func aHundredThousandUntaggedResponsesKeepTenThousandEvents() async throws {
        // A burst of unsolicited FETCH (flag changes) during one NOOP: kept as events, at most
        // 10,000 (the newest); the command completes and the session goes on.
        let burst = String(repeating: "* 7 FETCH (FLAGS (\\Seen))\r\n", count: 100_000)
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("NOOP"),
            .send(burst + "* 9 EXISTS\r\n{tag} OK NOOP done\r\n"),
            .expect("NOOP"),
            .send("{tag} OK still here\r\n"),
            .waitForClose,
        ])
        let session = try await IMAPSession.connect(configuration(server))
        try await session.noop()
        let events = try await session.takeEvents()
        #expect(events.count == 10_000)
        #expect(events.last == .exists(9), "the newest are kept")
        try await session.noop()
        #expect(try await session.takeEvents().isEmpty)
        await session.close()
        await server.stop()
    }

    @Test func anUntaggedCapabilityMidSessionReplacesTheCapabilities() async throws {
        // RFC 3501 §7.2.1: the server may send CAPABILITY at any time. IDLE offered in the
        // greeting, gone after this one: the client must no longer use it.
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("NOOP"),
            .send("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"),
            .waitForClose,
        ])
        let session = try await IMAPSession.connect(configuration(server))
        #expect(try await session.supports(.idle))
        try await session.noop()
        #expect(try await session.supports(.idle) == false)
        await session.close()
        await server.stop()
    }

    /// A LIST line whose quoted mailbox name holds `bytes` in its middle.
    static func listLine(with bytes: [UInt8]) -> [UInt8] {
        let head: [UInt8] = Array("* LIST () \"/\" \"bad ".utf8)
        let tail: [UInt8] = Array(" name\"\r\n".utf8)
        return head + bytes + tail
    }

    /// (what, the bytes inside the quoted name, the name the client must report).
    static let oddQuotedStrings: [(String, [UInt8], String)] = [
        ("invalid UTF-8", [0xFF, 0xFE], "bad \u{FFFD}\u{FFFD} name"),
        ("a NUL", [0x00], "bad \u{0} name"),
    ]

    /// Bytes RFC 3501 does not allow in a quoted string: the name is kept as data (invalid
    /// UTF-8 as U+FFFD, a NUL as U+0000 — the log handlers escape both, JSON too), the other
    /// names of the reply are not disturbed, and the session goes on.
    @Test(arguments: oddQuotedStrings)
    func oddBytesInAQuotedStringAreKeptAsData(_ what: String, _ bytes: [UInt8], _ expected: String) async throws {
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("LIST"),
            .sendBytes(Self.listLine(with: bytes)),
            .send("* LIST () \"/\" \"INBOX\"\r\n{tag} OK done\r\n"),
            .expect("NOOP"),
            .send("{tag} OK still here\r\n"),
            .waitForClose,
        ])
        let session = try await IMAPSession.connect(configuration(server))
        let names = try await session.list().map(\.name)
        #expect(names == [expected, "INBOX"], "\(what): \(names)")
        try await session.noop()
        await session.close()
        await server.stop()
    }

    @Test func aPreauthGreetingWhereSTARTTLSIsRequiredIsRefused() async throws {
        // RFC 2595 §3.1: after PREAUTH the session is authenticated and STARTTLS is no longer
        // allowed; a client that requires TLS must leave, sending nothing in clear.
        let server = try await ScriptedIMAPServer.start([
            .send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS IDLE] logged in as you, in clear\r\n"),
            .waitForClose,
        ])
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration(server, security: .starttls))
        }
        #expect(error?.code == .startTLSUnavailable)
        let outcome = try await server.finish()
        #expect(outcome.received.isEmpty, "no command may be sent in clear")
    }
}
