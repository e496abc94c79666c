import IMAPCore
import NIOCore
import NIOSSL
import Testing

@testable import IMAPClient

// Parser limits as seen through the handler, framing across reads, error classification and
// the redaction of credentials.

@Suite struct HandlerParserLimitTests {
    @Test func oversizedLiteralFailsBeforeAnyLiteralByteArrives() throws {
        let h = try Harness(limits: Limits(maxLiteralSize: 10))
        try h.greet()
        let fetch = h.submit(.uidFetch(UIDSet(values: [1]), [.bodyPeek(section: "", partial: nil)], changedSince: nil))
        let noop = h.submit(.noop)
        try h.feed("* 1 FETCH (BODY[] {100}\r\n")
        #expect(fetch.error?.code == .protocolViolation)
        #expect(fetch.error?.message.contains("literalTooLarge") == true)
        #expect(noop.error?.code == .protocolViolation)
        #expect(!h.isOpen)
    }

    @Test func literalAtTheLimitIsAccepted() throws {
        let h = try Harness(limits: Limits(maxLiteralSize: 10))
        try h.greet()
        let fetch = h.submit(.uidFetch(UIDSet(values: [1]), [.uid, .bodyPeek(section: "", partial: nil)], changedSince: nil))
        try h.feed("* 1 FETCH (UID 1 BODY[] {10}\r\n0123456789)\r\nA0001 OK\r\n")
        let body = try #require(fetch.value?.untagged.first)
        guard case let .fetch(response) = body else { Issue.record("not a FETCH: \(body)"); return }
        #expect(response.body()?.bytes == ByteBuffer(string: "0123456789"))
        #expect(h.isOpen)
    }

    @Test func overlongLineFailsWithoutWaitingForItsEnd() throws {
        let h = try Harness(limits: Limits(maxLineLength: 64))
        try h.greet()
        let noop = h.submit(.noop)
        try h.feedBytewise("* OK " + String(repeating: "x", count: 70))
        #expect(noop.error?.code == .protocolViolation)
        #expect(noop.error?.message.contains("lineTooLong") == true)
        #expect(!h.isOpen)
    }

    private struct Observed: Equatable {
        var greeting: StatusResponse?
        var fetch: [UntaggedResponse]?
        var status: [UntaggedResponse]?
        var events: [MailboxEvent]
        var capabilities: [Capability]
        var signals: Int
        var open: Bool
    }

    private func run(bytewise: Bool) throws -> Observed {
        let h = try Harness()
        let feed = bytewise ? h.feedBytewise : h.feed
        try feed("* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
        let fetch = h.submit(.uidFetch(UIDSet(values: [10]), [.uid, .bodyPeek(section: "", partial: nil)], changedSince: nil))
        let status = h.submit(.status(mailbox: "INBOX", items: ["MESSAGES"]))
        try feed("* 1 FETCH (UID 10 BODY[] {12}\r\nHello\r\nWorld)\r\n* 3 EXISTS\r\n"
            + "* CAPABILITY IMAP4rev1 IDLE LITERAL+\r\n* STATUS INBOX (MESSAGES 3)\r\n"
            + "A0001 OK done\r\nA0002 OK\r\n")
        return Observed(greeting: h.greeting.value, fetch: fetch.value?.untagged, status: status.value?.untagged,
                        events: h.handler.takeEvents(), capabilities: h.handler.capabilities,
                        signals: h.handler.newMailSignals, open: h.isOpen)
    }

    @Test func responsesFedByteByByteAreHandledLikeWholeOnes() throws {
        let whole = try run(bytewise: false)
        #expect(whole.greeting?.text == "ready")
        // The unsolicited CAPABILITY (claimed by no command) is filed with the first command in flight.
        #expect(whole.fetch == [
            .fetch(FetchResponse(sequenceNumber: 1, attributes: [
                .uid(10), .body(BodyData(section: "", bytes: ByteBuffer(string: "Hello\r\nWorld"))),
            ])),
            .capability([.imap4rev1, .idle, .literalPlus]),
        ])
        #expect(whole.status == [.status(MailboxStatus(wireName: "INBOX", values: ["MESSAGES": 3]))])
        #expect(whole.events == [.exists(3)])
        #expect(whole.capabilities == [.imap4rev1, .idle, .literalPlus])
        #expect(whole.signals == 1)
        #expect(whole.open)
        #expect(try run(bytewise: true) == whole)
    }
}

// MARK: - Error classification

@Suite struct HandlerErrorClassificationTests {
    @Test(arguments: [
        NIOSSLError.handshakeFailed(.sslError([])) as any Error,
        NIOSSLError.uncleanShutdown,
        NIOSSLExtraError.failedToValidateHostname,
        BoringSSLError.zeroReturn,
    ])
    func tlsErrorsAreTLSFailures(_ error: any Error) {
        #expect(IMAPClientHandler.classify(error).code == .tlsFailure)
    }

    @Test func coreErrorsAreProtocolViolations() {
        let classified = IMAPClientHandler.classify(IMAPCoreError(.syntax, "bad atom at offset 3"))
        #expect(classified.code == .protocolViolation)
        #expect(classified.message.contains("bad atom at offset 3"))
    }

    @Test(arguments: [ChannelError.ioOnClosedChannel as any Error, ChannelError.eof, CancellationError()])
    func otherErrorsAreConnectionClosed(_ error: any Error) {
        #expect(IMAPClientHandler.classify(error).code == .connectionClosed)
    }

    @Test func clientErrorsPassThroughUnchanged() {
        let error = IMAPClientError(.authenticationFailed, "no", serverText: "bad password")
        #expect(IMAPClientHandler.classify(error) == error)
    }

    @Test func errorCaughtInThePipelineFailsEverythingWithItsClass() throws {
        let h = try Harness()
        try h.greet()
        let noop = h.submit(.noop)
        h.channel.pipeline.fireErrorCaught(NIOSSLError.uncleanShutdown)
        #expect(noop.error?.code == .tlsFailure)
        #expect(!h.isOpen)
    }

    @Test(arguments: [
        (IMAPClientError.Code.connectFailed, IMAPClientError.Scope.connection, true),
        (.tlsFailure, .account, false),
        (.startTLSUnavailable, .account, false),
        (.insecureNotAllowed, .account, false),
        (.authenticationFailed, .account, false),
        (.commandFailed, .command, false),
        (.commandRejected, .command, false),
        (.protocolViolation, .connection, true),
        (.timeout, .connection, true),
        (.connectionClosed, .connection, true),
        (.invalidState, .command, false),
        (.unsupported, .command, false),
    ])
    func scopeAndRetryability(_ code: IMAPClientError.Code, _ scope: IMAPClientError.Scope, _ retryable: Bool) {
        let error = IMAPClientError(code, "test")
        #expect(error.scope == scope)
        #expect(error.isRetryable == retryable)
    }

    @Test(arguments: [
        (ResponseCode?.none, false),
        (.other("UNAVAILABLE", nil), true),
        (.other("INUSE", nil), true),
        (.other("LIMIT", nil), true),
        (.other("SERVERBUG", nil), true),
        (.other("AUTHENTICATIONFAILED", nil), false),
        (.other("NONEXISTENT", nil), false),
        (.tryCreate, false),
    ])
    func commandFailedIsRetryableOnlyForTransientCodes(_ code: ResponseCode?, _ retryable: Bool) {
        let error = IMAPClientError(.commandFailed, "NO", serverText: "try later", responseCode: code)
        #expect(error.isRetryable == retryable)
        #expect(error.scope == .command)
    }
}

// MARK: - Redaction

@Suite struct HandlerRedactionTests {
    static let password = "Tr0ub4dor&3"

    @Test func loginLogDescriptionHidesThePassword() {
        let description = Command.login(username: "joe", password: Self.password).logDescription
        #expect(description.hasPrefix("LOGIN"))
        #expect(!description.contains(Self.password))
    }

    @Test func authenticateLogDescriptionHidesTheInitialResponse() throws {
        let initial = try #require(try PlainMechanism(username: "joe", password: Self.password).initialResponse())
        let description = Command.authenticate(mechanism: "PLAIN", initialResponse: initial).logDescription
        #expect(description.hasPrefix("AUTHENTICATE PLAIN"))
        #expect(!description.contains(Self.password))
        #expect(!description.contains(Base64.encode(initial)))
        #expect(!description.contains(String(decoding: initial, as: UTF8.self)))
    }

    @Test func plainMechanismDescriptionHidesThePassword() {
        let mechanism = PlainMechanism(username: "joe", password: Self.password)
        #expect(!"\(mechanism)".contains(Self.password))
        #expect(!String(reflecting: mechanism).contains(Self.password))
    }

    @Test func encodingFailureOfALoginDoesNotLeakThePassword() throws {
        let h = try Harness()
        try h.greet()
        let secret = Self.password + "\u{0}x"
        let login = h.submit(.login(username: "joe", password: secret))
        let error = try #require(login.error)
        #expect(error.code == .invalidState)
        #expect(!error.description.contains(Self.password))
        #expect(try h.written().isEmpty)
    }
}
