import IMAPCore
import Logging
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing

@testable import IMAPClient

// Channel-level tests of IMAPClientHandler without network: an EmbeddedChannel plays the
// connection, `feed` is what the server sends, `written` is what the client sent.
//
// EmbeddedEventLoop is bound to the thread that created it, so every test touching a harness is
// synchronous; tests that must read an AsyncThrowingStream build and tear down the harness in a
// synchronous helper first and only then iterate the (already finished) stream.

// MARK: - Harness

/// Records a future's outcome as soon as it completes (EmbeddedEventLoop runs callbacks inline).
final class Outcome<Value> {
    private(set) var result: Result<Value, any Error>?

    init(_ future: EventLoopFuture<Value>) {
        future.assumeIsolated().whenComplete { self.result = $0 }
    }

    var isPending: Bool { result == nil }

    var value: Value? {
        if case let .success(value)? = result { return value }
        return nil
    }

    /// The failure, which must be an IMAPClientError to count.
    var error: IMAPClientError? {
        if case let .failure(error)? = result { return error as? IMAPClientError }
        return nil
    }
}

/// One IMAPClientHandler in an active EmbeddedChannel.
final class Harness {
    let channel = EmbeddedChannel()
    let handler: IMAPClientHandler
    let greeting: Outcome<StatusResponse>

    init(commandTimeout: TimeAmount = .seconds(60), limits: Limits = .default, active: Bool = true) throws {
        let promise = channel.embeddedEventLoop.makePromise(of: StatusResponse.self)
        handler = IMAPClientHandler(commandTimeout: commandTimeout, limits: limits,
                                    logger: Logger(label: "test.imap"), greeting: promise)
        greeting = Outcome(promise.futureResult)
        try channel.pipeline.syncOperations.addHandler(handler)
        if active {
            channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 143), promise: nil)
        }
    }

    deinit { Self.tearDown(channel) }

    /// Closes and drains an EmbeddedChannel: a TLS handler waits for the peer's close_notify,
    /// so its shutdown timeout must pass before `finish` (which waits for the close) may run;
    /// `finish` then cancels what is still scheduled (EmbeddedEventLoop insists).
    static func tearDown(_ channel: EmbeddedChannel) {
        channel.close(promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .minutes(1))
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    var loop: EmbeddedEventLoop { channel.embeddedEventLoop }
    var isOpen: Bool { channel.isActive }

    /// Server bytes, in one read.
    func feed(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Server bytes, one read per byte.
    func feedBytewise(_ text: String) throws {
        for byte in text.utf8 { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
    }

    /// Every write the client flushed since the last call, one string per write.
    func written() throws -> [String] {
        var writes: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { writes.append(String(buffer: buffer)) }
        return writes
    }

    /// Sends a greeting and drops what was written so far.
    func greet(_ line: String = "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n") throws {
        try feed(line)
        _ = try written()
    }

    @discardableResult
    func submit(_ command: Command, sasl: (any SASLMechanism)? = nil, onFetch: ((FetchResponse) -> Void)? = nil,
                idleStarted: EventLoopPromise<Void>? = nil, tlsHandler: NIOSSLClientHandler? = nil) -> Outcome<CommandResult> {
        let promise = loop.makePromise(of: CommandResult.self)
        handler.submit(command, promise: promise, sasl: sasl, onFetch: onFetch, idleStarted: idleStarted,
                       tlsHandler: tlsHandler)
        return Outcome(promise.futureResult)
    }
}

extension CommandResult {
    var kind: StatusKind { status.kind }
}

// MARK: - Greeting

@Suite struct HandlerGreetingTests {
    @Test func okGreetingFulfilsThePromiseWithItsText() throws {
        let h = try Harness()
        #expect(h.greeting.isPending)
        try h.feed("* OK Dovecot ready.\r\n")
        let greeting = try #require(h.greeting.value)
        #expect(greeting.kind == .ok)
        #expect(greeting.text == "Dovecot ready.")
        #expect(h.handler.capabilities.isEmpty)
        #expect(h.isOpen)
    }

    @Test func capabilityCodeInTheGreetingSetsCapabilities() throws {
        let h = try Harness()
        try h.feed("* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] hi\r\n")
        #expect(h.greeting.value?.text == "hi")
        #expect(h.handler.capabilities == [.imap4rev1, .literalPlus, .idle])
    }

    @Test func preauthGreetingIsReportedAsPreauth() throws {
        let h = try Harness()
        try h.feed("* PREAUTH [CAPABILITY IMAP4rev1] logged in as joe\r\n")
        #expect(h.greeting.value?.kind == .preauth)
        #expect(h.greeting.value?.text == "logged in as joe")
        #expect(h.handler.capabilities == [.imap4rev1])
        #expect(h.isOpen)
    }

    @Test func byeGreetingIsReportedAndItsTextReachesTheCloseError() throws {
        let h = try Harness()
        try h.feed("* BYE too many connections\r\n")
        #expect(h.greeting.value?.kind == .bye)
        #expect(h.greeting.value?.text == "too many connections")
        let noop = h.submit(.noop)
        h.channel.pipeline.fireChannelInactive()
        #expect(noop.error?.code == .connectionClosed)
        #expect(noop.error?.serverText == "too many connections")
    }

    @Test(arguments: ["A0001 OK welcome\r\n", "HELLO THERE\r\n", "+ ready\r\n", "* 3 EXISTS\r\n"])
    func anythingButAGreetingFailsWithProtocolViolationAndCloses(_ first: String) throws {
        let h = try Harness()
        try h.feed(first)
        #expect(h.greeting.error?.code == .protocolViolation)
        #expect(!h.isOpen)
        #expect(h.handler.closedError?.code == .protocolViolation)
        // Nothing after the first line is looked at.
        let noop = h.submit(.noop)
        #expect(noop.error?.code == .protocolViolation)
        #expect(try h.written().isEmpty)
    }

    @Test func greetingSplitAcrossReadsIsStillAGreeting() throws {
        let h = try Harness()
        try h.feed("* OK [CAPABILITY IMAP4rev1 ID")
        #expect(h.greeting.isPending)
        try h.feed("LE] hello\r\n")
        #expect(h.greeting.value?.text == "hello")
        #expect(h.handler.capabilities == [.imap4rev1, .idle])
    }
}

// MARK: - Tags and pipelining

@Suite struct HandlerPipeliningTests {
    @Test func commandsArePipelinedWithIncreasingTags() throws {
        let h = try Harness()
        try h.greet()
        let first = h.submit(.noop)
        let second = h.submit(.capability)
        // Both are on the wire before the server answered anything.
        #expect(try h.written() == ["A0001 NOOP\r\n", "A0002 CAPABILITY\r\n"])
        #expect(first.isPending && second.isPending)
        let third = h.submit(.select(mailbox: "INBOX", condStore: false))
        #expect(try h.written() == ["A0003 SELECT INBOX\r\n"])
        try h.feed("A0003 OK [READ-WRITE] selected\r\n")
        #expect(third.value?.kind == .ok)
        #expect(first.isPending && second.isPending)
    }

    @Test func completionsInReverseOrderFulfilTheRightPromises() throws {
        let h = try Harness()
        try h.greet()
        let noop = h.submit(.noop)
        let create = h.submit(.create(mailbox: "Archive"))
        #expect(try h.written() == ["A0001 NOOP\r\n", "A0002 CREATE Archive\r\n"])
        try h.feed("A0002 NO [ALREADYEXISTS] Mailbox exists\r\n")
        #expect(noop.isPending)
        #expect(create.value?.kind == .no)
        #expect(create.value?.status.text == "Mailbox exists")
        #expect(create.value?.status.code == .other("ALREADYEXISTS", nil))
        try h.feed("A0001 OK NOOP completed\r\n")
        #expect(noop.value?.kind == .ok)
        #expect(noop.value?.status.text == "NOOP completed")
        #expect(h.isOpen)
    }

    @Test func completionForAnUnknownTagFailsEverythingAndCloses() throws {
        let h = try Harness()
        try h.greet()
        let noop = h.submit(.noop)
        let capability = h.submit(.capability)
        try h.feed("A0007 OK what\r\n")
        #expect(noop.error?.code == .protocolViolation)
        #expect(capability.error?.code == .protocolViolation)
        #expect(noop.error?.message.contains("A0007") == true)
        #expect(!h.isOpen)
    }

    @Test func aTagIsNotReusedAfterItsCompletion() throws {
        let h = try Harness()
        try h.greet()
        let noop = h.submit(.noop)
        try h.feed("A0001 OK done\r\n")
        #expect(noop.value?.kind == .ok)
        let later = h.submit(.noop)
        #expect(try h.written() == ["A0001 NOOP\r\n", "A0002 NOOP\r\n"])
        // A second completion for A0001 is for a tag no longer outstanding.
        try h.feed("A0001 OK again\r\n")
        #expect(later.error?.code == .protocolViolation)
        #expect(!h.isOpen)
    }

    @Test func aCommandThatCannotBeEncodedFailsAloneAndWritesNothing() throws {
        let h = try Harness()
        try h.greet()
        let bad = h.submit(.create(mailbox: ""))
        #expect(bad.error?.code == .invalidState)
        let good = h.submit(.noop)
        let writes = try h.written()
        #expect(writes.count == 1)
        #expect(writes.first?.hasSuffix(" NOOP\r\n") == true)
        try h.feed((writes.first?.split(separator: " ").first.map(String.init) ?? "?") + " OK\r\n")
        #expect(good.value?.kind == .ok)
        #expect(h.isOpen)
    }
}
