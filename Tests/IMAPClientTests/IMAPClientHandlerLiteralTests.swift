import IMAPCore
import NIOCore
import Testing

@testable import IMAPClient

// Synchronising literals (RFC 3501 §7.5), LITERAL+/LITERAL- (RFC 7888) and SASL exchanges
// (RFC 3501 §6.2.2): everything driven by continuation requests.

@Suite struct HandlerLiteralTests {
    static let message = "Subject: hi\r\n\r\nHello\r\n"

    @Test func appendWithoutLiteralPlusWaitsForTheContinuation() throws {
        let h = try Harness()
        try h.greet("* OK [CAPABILITY IMAP4rev1] ready\r\n")
        let append = h.submit(.append(mailbox: "INBOX", flags: [.seen], date: nil, message: ByteBuffer(string: Self.message)))
        #expect(try h.written() == ["A0001 APPEND INBOX (\\Seen) {22}\r\n"])
        // A command submitted meanwhile must not land inside the literal.
        let noop = h.submit(.noop)
        #expect(try h.written().isEmpty)
        try h.feed("+ go ahead\r\n")
        #expect(try h.written() == [Self.message + "\r\n", "A0002 NOOP\r\n"])
        try h.feed("A0001 OK [APPENDUID 7 42] Append completed\r\nA0002 OK\r\n")
        #expect(append.value?.status.code == .appendUID(uidValidity: 7, uids: UIDSet([.init(42, 42)])))
        #expect(noop.value?.kind == .ok)
        #expect(h.isOpen)
    }

    @Test func severalLiteralsInOneCommandNeedOneContinuationEach() throws {
        let h = try Harness()
        try h.greet("* OK [CAPABILITY IMAP4rev1] ready\r\n")
        let login = h.submit(.login(username: "jörg", password: "pässword"))
        #expect(try h.written() == ["A0001 LOGIN {5}\r\n"])
        try h.feed("+ ok\r\n")
        #expect(try h.written() == ["jörg {9}\r\n"])
        let noop = h.submit(.noop)
        #expect(try h.written().isEmpty)
        try h.feed("+ ok\r\n")
        #expect(try h.written() == ["pässword\r\n", "A0002 NOOP\r\n"])
        try h.feed("A0002 OK\r\nA0001 OK\r\n")
        #expect(login.value?.kind == .ok)
        #expect(noop.value?.kind == .ok)
    }

    @Test func aRefusedLiteralEndsTheCommandAndUnblocksTheQueue() throws {
        let h = try Harness()
        try h.greet("* OK [CAPABILITY IMAP4rev1] ready\r\n")
        let append = h.submit(.append(mailbox: "INBOX", flags: [], date: nil, message: ByteBuffer(string: "x")))
        let noop = h.submit(.noop)
        #expect(try h.written() == ["A0001 APPEND INBOX {1}\r\n"])
        try h.feed("A0001 NO [TOOBIG] Message too large\r\n")
        #expect(append.value?.kind == .no)
        #expect(append.value?.status.code == .other("TOOBIG", nil))
        #expect(try h.written() == ["A0002 NOOP\r\n"])
        #expect(noop.isPending)
    }

    @Test func withLiteralPlusAppendIsOneWrite() throws {
        let h = try Harness()
        try h.greet("* OK ready\r\n")
        try h.feed("* CAPABILITY IMAP4rev1 LITERAL+\r\n")
        #expect(h.handler.capabilities.contains(.literalPlus))
        let append = h.submit(.append(mailbox: "INBOX", flags: [], date: nil, message: ByteBuffer(string: Self.message)))
        let noop = h.submit(.noop)
        #expect(try h.written() == ["A0001 APPEND INBOX {22+}\r\n" + Self.message + "\r\n", "A0002 NOOP\r\n"])
        try h.feed("A0001 OK\r\nA0002 OK\r\n")
        #expect(append.value?.kind == .ok)
        #expect(noop.value?.kind == .ok)
    }

    @Test func literalMinusCoversOnlyLiteralsUpTo4096Bytes() throws {
        let h = try Harness()
        try h.greet("* OK [CAPABILITY IMAP4rev1 LITERAL-] ready\r\n")
        h.submit(.append(mailbox: "INBOX", flags: [], date: nil, message: ByteBuffer(string: "small")))
        #expect(try h.written() == ["A0001 APPEND INBOX {5+}\r\nsmall\r\n"])
        let big = String(repeating: "x", count: 4097)
        h.submit(.append(mailbox: "INBOX", flags: [], date: nil, message: ByteBuffer(string: big)))
        #expect(try h.written() == ["A0002 APPEND INBOX {4097}\r\n"])
        try h.feed("+ go\r\n")
        #expect(try h.written() == [big + "\r\n"])
    }

    @Test func continuationWithNothingWaitingIsAProtocolViolation() throws {
        let h = try Harness()
        try h.greet()
        let noop = h.submit(.noop)
        try h.feed("+ send more\r\n")
        #expect(noop.error?.code == .protocolViolation)
        #expect(!h.isOpen)
    }

    @Test func continuationAfterTheLiteralWasSentIsAProtocolViolation() throws {
        let h = try Harness()
        try h.greet("* OK [CAPABILITY IMAP4rev1] ready\r\n")
        let append = h.submit(.append(mailbox: "INBOX", flags: [], date: nil, message: ByteBuffer(string: "x")))
        try h.feed("+ go\r\n")
        #expect(try h.written() == ["A0001 APPEND INBOX {1}\r\n", "x\r\n"])
        try h.feed("+ again?\r\n")
        #expect(append.error?.code == .protocolViolation)
        #expect(!h.isOpen)
    }
}

// MARK: - SASL

/// Answers each known challenge; anything else cancels.
private struct ScriptedMechanism: SASLMechanism {
    let name = "X-SCRIPT"
    let answers: [String: String]
    func initialResponse() throws -> [UInt8]? { nil }
    func respond(to challenge: [UInt8]) throws -> [UInt8] {
        guard let answer = answers[String(decoding: challenge, as: UTF8.self)] else {
            throw IMAPClientError(.protocolViolation, "unexpected challenge")
        }
        return Array(answer.utf8)
    }
}

@Suite struct HandlerSASLTests {
    @Test func authenticateWithInitialResponseCompletesOnOK() throws {
        let h = try Harness()
        try h.greet("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n")
        let mechanism = PlainMechanism(username: "joe", password: "secret")
        let auth = h.submit(.authenticate(mechanism: "PLAIN", initialResponse: try mechanism.initialResponse()),
                            sasl: mechanism)
        #expect(try h.written() == ["A0001 AUTHENTICATE PLAIN AGpvZQBzZWNyZXQ=\r\n"])
        try h.feed("A0001 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n")
        #expect(auth.value?.kind == .ok)
        #expect(h.handler.capabilities == [.imap4rev1, .idle, .move])
        // The exchange is over: the next command goes out at once.
        h.submit(.noop)
        #expect(try h.written() == ["A0002 NOOP\r\n"])
    }

    @Test(arguments: ["+ \r\n", "+\r\n"])
    func emptyChallengeGetsThePlainResponse(_ challenge: String) throws {
        let h = try Harness()
        try h.greet("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
        let auth = h.submit(.authenticate(mechanism: "PLAIN", initialResponse: nil),
                            sasl: PlainMechanism(username: "joe", password: "secret"))
        #expect(try h.written() == ["A0001 AUTHENTICATE PLAIN\r\n"])
        let noop = h.submit(.noop)
        #expect(try h.written().isEmpty)  // nothing may interleave with the exchange
        try h.feed(challenge)
        #expect(try h.written() == ["AGpvZQBzZWNyZXQ=\r\n"])
        try h.feed("A0001 OK Logged in\r\n")
        #expect(auth.value?.kind == .ok)
        #expect(try h.written() == ["A0002 NOOP\r\n"])
        #expect(noop.isPending)
    }

    @Test func multiStepExchangeAnswersEachChallenge() throws {
        let h = try Harness()
        try h.greet()
        let mechanism = ScriptedMechanism(answers: ["step1": "answer1", "step2": "answer2"])
        let auth = h.submit(.authenticate(mechanism: "X-SCRIPT", initialResponse: nil), sasl: mechanism)
        try h.feed("+ c3RlcDE=\r\n")
        try h.feed("+ c3RlcDI=\r\n")
        #expect(try h.written() == ["A0001 AUTHENTICATE X-SCRIPT\r\n", "YW5zd2VyMQ==\r\n", "YW5zd2VyMg==\r\n"])
        try h.feed("A0001 OK\r\n")
        #expect(auth.value?.kind == .ok)
    }

    @Test func aMechanismThatThrowsCancelsWithAStar() throws {
        let h = try Harness()
        try h.greet()
        let auth = h.submit(.authenticate(mechanism: "X-SCRIPT", initialResponse: nil),
                            sasl: ScriptedMechanism(answers: [:]))
        try h.feed("+ c3RlcDE=\r\n")
        #expect(try h.written() == ["A0001 AUTHENTICATE X-SCRIPT\r\n", "*\r\n"])
        try h.feed("A0001 BAD AUTHENTICATE cancelled\r\n")
        #expect(auth.value?.kind == .bad)
        #expect(h.isOpen)
    }

    @Test(arguments: ["+ not base64!\r\n", "+ Zm9v\r\n"])
    func anUnusableChallengeCancelsWithAStar(_ challenge: String) throws {
        // A challenge that is not base64, or (for PLAIN) one that is not empty.
        let h = try Harness()
        try h.greet()
        let auth = h.submit(.authenticate(mechanism: "PLAIN", initialResponse: nil),
                            sasl: PlainMechanism(username: "joe", password: "secret"))
        try h.feed(challenge)
        #expect(try h.written() == ["A0001 AUTHENTICATE PLAIN\r\n", "*\r\n"])
        try h.feed("A0001 NO [AUTHENTICATIONFAILED] cancelled\r\n")
        #expect(auth.value?.kind == .no)
        #expect(auth.value?.status.code == .other("AUTHENTICATIONFAILED", nil))
    }

    @Test func rejectedCredentialsCompleteWithNoAndUnblockTheQueue() throws {
        let h = try Harness()
        try h.greet()
        let auth = h.submit(.authenticate(mechanism: "PLAIN", initialResponse: Array("\u{0}joe\u{0}wrong".utf8)))
        let capability = h.submit(.capability)
        #expect(try h.written().count == 1)
        try h.feed("A0001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
        #expect(auth.value?.kind == .no)
        #expect(try h.written() == ["A0002 CAPABILITY\r\n"])
        #expect(capability.isPending)
    }
}
