import IMAPClient
import IMAPCore
import IMAPTestSupport
import NIOCore
import Testing

/// Misbehaving servers, played by a scripted fake server on loopback.
@Suite("Misbehaving servers")
struct ScriptedServerTests {
    static let greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR IDLE STARTTLS LITERAL+] fake ready\r\n"

    func configuration(_ server: ScriptedIMAPServer, security: IMAPSecurity = .none,
                       connectTimeout: TimeAmount = .seconds(5), commandTimeout: TimeAmount = .seconds(5),
                       limits: Limits = .default) -> IMAPClientConfiguration {
        IMAPClientConfiguration(host: "127.0.0.1", port: server.port, security: security, allowInsecure: true,
                                connectTimeout: connectTimeout, commandTimeout: commandTimeout, limits: limits)
    }

    @Test func greetingNeverComes() async throws {
        let server = try await ScriptedIMAPServer.start([.pause(milliseconds: 5000)])
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration(server, connectTimeout: .milliseconds(500)))
        }
        // The server closes after 5 s: had the 500 ms greeting timeout (an event-loop timer) not
        // fired first, this would be connectionClosed. (Wall-clock time measured here would
        // include the test task's own scheduling delays on a loaded machine.)
        #expect(error?.code == .timeout)
        #expect(error?.message == "no greeting within 500 ms")
        await server.stop()
    }

    @Test func byeGreetingIsRefused() async throws {
        let server = try await ScriptedIMAPServer.start([.send("* BYE Too many connections\r\n"), .waitForClose])
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration(server))
        }
        #expect(error?.code == .connectionClosed)
        #expect(error?.serverText == "Too many connections")
        await server.stop()
    }

    @Test func loginRefused() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("LOGIN"),
            .send("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
            .expect("LOGOUT"),
            .send("* BYE Logging out\r\n{tag} OK Logout completed.\r\n"),
            .close,
        ])
        let session = try await IMAPSession.connect(configuration(server))
        let error = await #expect(throws: IMAPClientError.self) {
            try await session.login(username: "alice", password: "hunter2-secret")
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.responseCode == .other("AUTHENTICATIONFAILED", nil))
        #expect(error?.isRetryable == false)
        await session.logout()
        let outcome = try await server.finish()
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
    }

    @Test func byeDuringIdleEndsTheEventStream() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("IDLE"),
            .send("+ idling\r\n* 4 EXISTS\r\n"),
            .pause(milliseconds: 100),
            .send("* BYE Server shutting down\r\n"),
            .close,
        ])
        let session = try await IMAPSession.connect(configuration(server))
        let idle = try await session.idle()
        var events: [MailboxEvent] = []
        let error = await #expect(throws: IMAPClientError.self) {
            for try await event in idle.events { events.append(event) }
        }
        #expect(events.first == .exists(4))
        #expect(events.contains(.bye("Server shutting down")))
        #expect(error?.code == .connectionClosed)
        #expect(error?.serverText == "Server shutting down")
        let after = await #expect(throws: IMAPClientError.self) { try await session.noop() }
        #expect(after?.code == .connectionClosed)
        await server.stop()
    }

    @Test func startTLSNotAdvertised() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no tls here\r\n"),
            .waitForClose,
        ])
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration(server, security: .starttls))
        }
        #expect(error?.code == .startTLSUnavailable)
        let outcome = try await server.finish()
        #expect(outcome.received.isEmpty, "no command, and no credentials, may be sent in clear")
    }

    @Test func startTLSRefused() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("STARTTLS"),
            .send("{tag} NO TLS is broken today\r\n"),
            .waitForClose,
        ])
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration(server, security: .starttls))
        }
        #expect(error?.code == .startTLSUnavailable)
        #expect(error?.serverText == "TLS is broken today")
        let outcome = try await server.finish()
        #expect(outcome.received.count == 1)
    }

    @Test func responseInjectedBeforeTLSIsDiscarded() async throws {
        // A man in the middle appends a plaintext response after the STARTTLS OK, hoping the
        // client treats it as coming from inside TLS (CVE-2011-0411 style).
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("STARTTLS"),
            .send("{tag} OK Begin TLS negotiation now\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN LOGINDISABLED] injected\r\nA0002 OK injected\r\n"),
            .expectTLSHandshake,
        ])
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration(server, security: .starttls))
        }
        // The fake server cannot finish the handshake: the client must fail on TLS, having
        // ignored the injected lines.
        #expect(error?.code == .tlsFailure || error?.code == .connectionClosed)
        let outcome = try await server.finish()
        #expect(outcome.sawTLSHandshake, "the client went straight to the TLS handshake: \(outcome.failures)")
    }

    @Test func literalLargerThanTheCap() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("UID FETCH"),
            .send("* 1 FETCH (UID 1 BODY[] {5000000}\r\n"),
            .send(String(repeating: "x", count: 1000)),
            .waitForClose,
        ])
        let session = try await IMAPSession.connect(configuration(server, limits: Limits(maxLiteralSize: 1_000_000)))
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await session.uidFetch(UIDSet(values: [1]), items: [.uid, .bodyPeek(section: "", partial: nil)])
        }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("literal") == true)
        // The handler closes the channel right after failing; closing completes asynchronously.
        for _ in 0..<100 where session.isOpen { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!session.isOpen)
        await server.stop()
    }

    @Test func connectionCutMidLiteral() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("UID FETCH"),
            .send("* 1 FETCH (UID 7 BODY[] {100}\r\nFrom: a@b\r\nSubj"),
            .pause(milliseconds: 50),
            .close,
        ])
        let session = try await IMAPSession.connect(configuration(server))
        var delivered = 0
        let error = await #expect(throws: IMAPClientError.self) {
            try await session.fetchMessages(uids: [7]) { _ in delivered += 1 }
        }
        #expect(error?.code == .connectionClosed)
        #expect(delivered == 0, "a partial message is never delivered")
        await server.stop()
    }

    @Test func commandTimeoutClosesTheSession() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("NOOP"),
            .pause(milliseconds: 2000),
            .close,
        ])
        let session = try await IMAPSession.connect(configuration(server, commandTimeout: .milliseconds(300)))
        let error = await #expect(throws: IMAPClientError.self) { try await session.noop() }
        #expect(error?.code == .timeout)
        #expect(error?.isRetryable == true)
        await server.stop()
    }

    @Test func unsolicitedResponsesBetweenCommandsAreEvents() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send(Self.greeting),
            .expect("UID SEARCH"),
            .send("* 3 EXISTS\r\n* SEARCH 1 2\r\n* 1 RECENT\r\n* OK [ALERT] Mailbox almost full\r\n{tag} OK Search done\r\n"),
            .expect("LOGOUT"),
            .send("* BYE bye\r\n{tag} OK done\r\n"),
            .close,
        ])
        let session = try await IMAPSession.connect(configuration(server))
        let uids = try await session.uidSearch(.uid(.from(1)))
        #expect(uids == [1, 2])
        let events = try await session.takeEvents()
        #expect(events == [.exists(3), .recent(1), .alert("Mailbox almost full")])
        #expect(try await session.takeEvents().isEmpty)
        await session.logout()
        #expect(try await server.finish().failures.isEmpty)
    }

    @Test func synchronisingLiteralWaitsForContinuation() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no literal plus\r\n"),
            .expect("APPEND INBOX {5}"),
            .send("+ Ready for literal data\r\n"),
            .expectBytes(5),
            .expect(""),
            .send("{tag} OK [APPENDUID 77 12] Append completed.\r\n"),
            .waitForClose,
        ])
        let session = try await IMAPSession.connect(configuration(server))
        let result = try await session.append(ByteBuffer(string: "Hello"), to: "INBOX")
        #expect(result?.uidValidity == 77)
        #expect(result?.uid == 12)
        await session.close()
        let outcome = try await server.finish()
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
    }
}

/// The command timeout measures silence, not duration.
@Suite("Command timeout")
struct CommandTimeoutTests {
    @Test func aSlowButSteadyAnswerIsNotATimeout() async throws {
        // The server answers in pieces every 300 ms for 2.4 s; the timeout is 1.5 s of silence, so
        // a duration-based timeout would fire, and a silence-based one has 5× margin under load.
        var script: [ScriptedIMAPServer.Step] = [
            .send(ScriptedServerTests.greeting), .expect("UID FETCH"),
            .send("* 1 FETCH (UID 1 BODY[] {8}\r\n"),
        ]
        for byte in "abcdefgh" { script += [.pause(milliseconds: 300), .send(String(byte))] }
        script += [.send(")\r\n{tag} OK done\r\n"), .waitForClose]
        let server = try await ScriptedIMAPServer.start(script)
        let session = try await IMAPSession.connect(IMAPClientConfiguration(
            host: "127.0.0.1", port: server.port, security: .none, allowInsecure: true,
            connectTimeout: .seconds(5), commandTimeout: .milliseconds(1500)))
        let fetched = try await session.uidFetch(UIDSet(values: [1]), items: [.uid, .bodyPeek(section: "", partial: nil)])
        #expect(fetched.first?.body()?.bytes == ByteBuffer(string: "abcdefgh"))
        await session.close()
        await server.stop()
    }
}

/// Moving without the MOVE extension (RFC 6851): COPY, then mark and expunge exactly those UIDs.
@Suite("MOVE fallback")
struct MoveFallbackTests {
    func connect(_ server: ScriptedIMAPServer) async throws -> IMAPSession {
        try await IMAPSession.connect(IMAPClientConfiguration(
            host: "127.0.0.1", port: server.port, security: .none, allowInsecure: true, connectTimeout: .seconds(5)))
    }

    @Test func copyStoreUIDExpungeWithUIDPlus() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send("* OK [CAPABILITY IMAP4rev1 UIDPLUS LITERAL+] no move here\r\n"),
            .expect("UID COPY 4:5,9 Archive"),
            .send("{tag} OK [COPYUID 1 4:5,9 1:3] done\r\n"),
            .expect("UID STORE 4:5,9 +FLAGS.SILENT (\\Deleted)"),
            .send("{tag} OK done\r\n"),
            .expect("UID EXPUNGE 4:5,9"),
            .send("* 3 EXPUNGE\r\n* 3 EXPUNGE\r\n* 5 EXPUNGE\r\n{tag} OK done\r\n"),
            .waitForClose,
        ])
        let session = try await connect(server)
        try await session.uidMove(UIDSet(values: [4, 5, 9]), to: "Archive")
        #expect(try await session.takeEvents() == [.expunge(3), .expunge(3), .expunge(5)])
        await session.close()
        let outcome = try await server.finish()
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.received.count == 3)
    }

    @Test func refusedWithoutMoveOrUIDPlus() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send("* OK [CAPABILITY IMAP4rev1] old server\r\n"),
            .waitForClose,
        ])
        let session = try await connect(server)
        let error = await #expect(throws: IMAPClientError.self) {
            try await session.uidMove(UIDSet(values: [1]), to: "Archive")
        }
        #expect(error?.code == .unsupported)
        await session.close()
        #expect(try await server.finish().received.isEmpty, "nothing was sent: a plain EXPUNGE is unsafe")
    }
}

/// A consumer that stops early stops the batches still to come.
@Suite("fetchMessages early stop")
struct FetchEarlyStopTests {
    struct Stop: Error {}

    @Test func aThrowingConsumerStopsFurtherBatches() async throws {
        let server = try await ScriptedIMAPServer.start([
            .send("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"),
            .expect("UID FETCH 1 "),
            .send("* 1 FETCH (UID 1 RFC822.SIZE 2 BODY[]<0> {2}\r\nhi)\r\n"),
            .pause(milliseconds: 200),
            .send("{tag} OK done\r\n"),
            .expect("NOOP"),
            .send("{tag} OK still here\r\n"),
            .waitForClose,
        ])
        let session = try await IMAPSession.connect(IMAPClientConfiguration(
            host: "127.0.0.1", port: server.port, security: .none, allowInsecure: true, connectTimeout: .seconds(5)))
        await #expect(throws: Stop.self) {
            try await session.fetchMessages(uids: [1, 2, 3], batchSize: 1, pipelineDepth: 1) { _ in throw Stop() }
        }
        // Let the first batch's OK arrive (when a feeder that did not stop would send the next
        // batch); then the next command the server sees must be NOOP, not the fetch of UID 2.
        try await Task.sleep(for: .milliseconds(600))
        try await session.noop()
        await session.close()
        let outcome = try await server.finish()
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
    }

    @Test func batchesAreCutByBytesFromTheSizesOfTheLargeMessages() async throws {
        // A 1,000-byte budget for 100 messages: messages over 10 bytes are asked for. Sizes 600,
        // 600, 300, 2000: [1], [2, 3], [4] (alone: larger than the budget).
        let server = try await ScriptedIMAPServer.start([
            .send("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"),
            .expect("UID SEARCH UID 1:* LARGER 10"),
            .send("* SEARCH 1 2 3 4 9\r\n{tag} OK done\r\n"),
            .expect("UID FETCH 1:4 (UID RFC822.SIZE)"),
            .send("* 1 FETCH (UID 1 RFC822.SIZE 600)\r\n* 2 FETCH (UID 2 RFC822.SIZE 600)\r\n"
                + "* 3 FETCH (UID 3 RFC822.SIZE 300)\r\n* 4 FETCH (UID 4 RFC822.SIZE 2000)\r\n{tag} OK sizes\r\n"),
            .expect("UID FETCH 1 "),
            .send("* 1 FETCH (UID 1 RFC822.SIZE 2 BODY[]<0> {2}\r\nhi)\r\n{tag} OK done\r\n"),
            .expect("UID FETCH 2:3 "),
            .send("* 2 FETCH (UID 2 RFC822.SIZE 2 BODY[]<0> {2}\r\nhi)\r\n* 3 FETCH (UID 3 RFC822.SIZE 2 BODY[]<0> {2}\r\nhi)\r\n{tag} OK done\r\n"),
            .expect("UID FETCH 4 "),
            .send("* 4 FETCH (UID 4 RFC822.SIZE 2 BODY[]<0> {2}\r\nhi)\r\n{tag} OK done\r\n"),
            .waitForClose,
        ])
        let session = try await IMAPSession.connect(IMAPClientConfiguration(
            host: "127.0.0.1", port: server.port, security: .none, allowInsecure: true, connectTimeout: .seconds(5)))
        var fetched: [UInt32] = []
        try await session.fetchMessages(uids: [1, 2, 3, 4], batchSize: 100, batchBytes: 1000, pipelineDepth: 1) { fetched.append($0.uid) }
        #expect(fetched == [1, 2, 3, 4])
        await session.close()
        let outcome = try await server.finish()
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
    }
}
