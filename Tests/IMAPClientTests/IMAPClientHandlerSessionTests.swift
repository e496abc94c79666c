import IMAPCore
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import IMAPClient

// IMAPSession's async API over the handler, on a NIOAsyncTestingChannel (thread-safe, so the
// test may await while the "server" answers).

private struct SessionRig {
    let channel: NIOAsyncTestingChannel
    let session: IMAPSession

    var loop: NIOAsyncTestingEventLoop { channel.testingEventLoop }

    init(greeting: String = "* OK [CAPABILITY IMAP4rev1 IDLE ESEARCH] ready\r\n",
         commandTimeout: TimeAmount = .seconds(60)) async throws {
        let channel = NIOAsyncTestingChannel()
        let loop = channel.testingEventLoop
        let (handler, greetingFuture) = try await loop.executeInContext {
            let promise = loop.makePromise(of: StatusResponse.self)
            let handler = IMAPClientHandler(commandTimeout: commandTimeout, limits: .default,
                                            logger: Logger(label: "test.imap"), greeting: promise)
            try channel.pipeline.syncOperations.addHandler(handler)
            return (NIOLoopBound(handler, eventLoop: loop), promise.futureResult)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 143))
        try await channel.writeInbound(ByteBuffer(string: greeting))
        let status = try await greetingFuture.get()
        self.channel = channel
        self.session = IMAPSession(configuration: IMAPClientConfiguration(host: "localhost", commandTimeout: commandTimeout),
                                   greeting: status, channel: channel, handler: handler, logger: Logger(label: "test.imap"))
    }

    /// The next thing the client writes.
    func nextWrite() async throws -> String {
        String(buffer: try await channel.waitForOutboundWrite(as: ByteBuffer.self))
    }

    func reply(_ text: String) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    /// Closes the channel (failing whatever is left) and runs what is still scheduled.
    func close() async {
        try? await channel.close()
        await loop.run()
    }
}

@Suite struct HandlerSessionTests {
    @Test func statusReturnsTheRequestedMailboxEvenAfterAnUnsolicitedOne() async throws {
        let rig = try await SessionRig()
        async let status = rig.session.status("INBOX")
        #expect(try await rig.nextWrite() == "A0001 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)\r\n")
        try await rig.reply("* STATUS Archive (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 3 UNSEEN 0)\r\n"
            + "* STATUS INBOX (MESSAGES 5 UIDNEXT 9 UIDVALIDITY 7 UNSEEN 2)\r\nA0001 OK\r\n")
        let result = try await status
        #expect(result.wireName == "INBOX")
        #expect(result.messages == 5)
        #expect(result.uidNext == 9)
        await rig.close()
    }

    @Test func uidSearchUsesESearchWhenOffered() async throws {
        let rig = try await SessionRig()
        async let uids = rig.session.uidSearch(.uid(.from(3)))
        #expect(try await rig.nextWrite() == "A0001 UID SEARCH RETURN (ALL) UID 3:*\r\n")
        try await rig.reply("* 12 EXISTS\r\n* ESEARCH (TAG \"A0001\") UID ALL 9,3:5\r\nA0001 OK\r\n")
        #expect(try await uids == [3, 4, 5, 9])
        #expect(try await rig.session.takeEvents() == [.exists(12)])
        await rig.close()
    }

    @Test func fetchMessagesDeliversBodiesFromPipelinedBatches() async throws {
        let rig = try await SessionRig()
        let task = Task {
            var messages: [FetchedMessage] = []
            try await rig.session.fetchMessages(uids: [10, 11], maxBodySize: 100, batchSize: 1, pipelineDepth: 2) {
                messages.append($0)
            }
            return messages
        }
        let items = "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]<0.100>)"
        #expect(try await rig.nextWrite() == "A0001 UID FETCH 10 \(items)\r\n")
        #expect(try await rig.nextWrite() == "A0002 UID FETCH 11 \(items)\r\n")
        try await rig.reply("* 2 FETCH (UID 11 FLAGS () INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 500 "
            + "BODY[]<0> {5}\r\nWorld)\r\nA0002 OK\r\n"
            + "* 1 FETCH (UID 10 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 5 "
            + "BODY[]<0> {5}\r\nHello)\r\nA0001 OK\r\n")
        let messages = try await task.value
        #expect(messages.map(\.uid) == [11, 10])
        #expect(messages.map { String(buffer: $0.body) } == ["World", "Hello"])
        #expect(messages.map(\.truncated) == [true, false])
        #expect(messages.last?.flags == [.seen])
        #expect(messages.first?.internalDate?.zoneMinutes == -420)
        await rig.close()
    }

    /// Expects nothing written for 300 ms, then lets the stuck consumer go on (`open`) and
    /// returns the next write: the fetch batch that was held back.
    private static func heldBack(_ rig: SessionRig, until open: AsyncStream<Void>.Continuation, _ comment: Comment) async throws -> String {
        try await Task.sleep(for: .milliseconds(300))
        let early = try await rig.channel.readOutbound(as: ByteBuffer.self)
        #expect(early == nil, comment)
        open.yield()
        return if let early { String(buffer: early) } else { try await rig.nextWrite() }
    }

    @Test func fetchMessagesPausesWhileTheConsumerIsBehind() async throws {
        let rig = try await SessionRig()
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            var uids: [UInt32] = []
            var gateIterator = gate.makeAsyncIterator()
            // One batch of one message in flight, one fetched message waiting at most.
            try await rig.session.fetchMessages(uids: [1, 2, 3], maxBodySize: 100, batchSize: 1, pipelineDepth: 1) { message in
                if message.uid == 1 { _ = await gateIterator.next() }
                uids.append(message.uid)
            }
            return uids
        }
        func message(_ uid: Int) -> String {
            "* \(uid) FETCH (UID \(uid) RFC822.SIZE 2 BODY[]<0> {2}\r\nhi)\r\n"
        }
        let items = "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]<0.100>)"
        #expect(try await rig.nextWrite() == "A0001 UID FETCH 1 \(items)\r\n")
        try await rig.reply(message(1) + "A0001 OK\r\n")
        #expect(try await rig.nextWrite() == "A0002 UID FETCH 2 \(items)\r\n")
        try await rig.reply(message(2) + "A0002 OK\r\n")
        // The consumer is stuck on message 1 and message 2 waits: batch 3 is held back.
        let third = try await Self.heldBack(rig, until: open, "no further FETCH while the consumer is behind")
        #expect(third == "A0003 UID FETCH 3 \(items)\r\n")
        try await rig.reply(message(3) + "A0003 OK\r\n")
        #expect(try await task.value == [1, 2, 3])
        await rig.close()
    }

    @Test func fetchMessagesAlsoPausesWhileTheBytesWaitingReachTheBudget() async throws {
        let rig = try await SessionRig(greeting: "* OK [CAPABILITY IMAP4rev1] ready\r\n")
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            var uids: [UInt32] = []
            var gateIterator = gate.makeAsyncIterator()
            // Ten messages may wait by count, but only 100 bytes (depth 1 × batchBytes 100).
            try await rig.session.fetchMessages(uids: [1, 2, 3], maxBodySize: 1000, batchSize: 10, batchBytes: 100,
                                                pipelineDepth: 1) { message in
                if message.uid == 1 { _ = await gateIterator.next() }
                uids.append(message.uid)
            }
            return uids
        }
        let body = String(repeating: "x", count: 150)
        func message(_ uid: Int) -> String {
            "* \(uid) FETCH (UID \(uid) RFC822.SIZE 60 BODY[]<0> {150}\r\n\(body))\r\n"
        }
        #expect(try await rig.nextWrite() == "A0001 UID SEARCH UID 1:* LARGER 10\r\n")
        try await rig.reply("* SEARCH 1 2 3\r\nA0001 OK\r\n")
        #expect(try await rig.nextWrite() == "A0002 UID FETCH 1:3 (UID RFC822.SIZE)\r\n")
        // By their sizes (60 each) the batches are [1], [2], [3]; the bodies are larger.
        try await rig.reply("* 1 FETCH (UID 1 RFC822.SIZE 60)\r\n* 2 FETCH (UID 2 RFC822.SIZE 60)\r\n"
            + "* 3 FETCH (UID 3 RFC822.SIZE 60)\r\nA0002 OK\r\n")
        #expect(try await rig.nextWrite().hasPrefix("A0003 UID FETCH 1 "))
        try await rig.reply(message(1) + "A0003 OK\r\n")
        #expect(try await rig.nextWrite().hasPrefix("A0004 UID FETCH 2 "))
        try await rig.reply(message(2) + "A0004 OK\r\n")
        // Message 2's 150 bytes wait while the consumer is stuck on message 1: batch 3 is held back.
        let third = try await Self.heldBack(rig, until: open, "no further FETCH while 150 bytes wait")
        #expect(third.hasPrefix("A0005 UID FETCH 3 "))
        try await rig.reply(message(3) + "A0005 OK\r\n")
        #expect(try await task.value == [1, 2, 3])
        await rig.close()
    }

    @Test func idleDeliversEventsAndDoneEndsIt() async throws {
        let rig = try await SessionRig()
        async let started = rig.session.idle()
        #expect(try await rig.nextWrite() == "A0001 IDLE\r\n")
        try await rig.reply("+ idling\r\n")
        let idle = try await started
        try await rig.reply("* 5 EXISTS\r\n* 3 EXPUNGE\r\n")
        var iterator = idle.events.makeAsyncIterator()
        #expect(try await iterator.next() == .exists(5))
        #expect(try await iterator.next() == .expunge(3))
        async let done: Void = idle.done()
        #expect(try await rig.nextWrite() == "DONE\r\n")
        try await rig.reply("A0001 OK Idle completed\r\n")
        try await done
        #expect(try await iterator.next() == nil)
        await rig.close()
    }

    @Test func refusedIdleThrowsWithTheServerText() async throws {
        let rig = try await SessionRig()
        let started = Task { try await rig.session.idle() }
        #expect(try await rig.nextWrite() == "A0001 IDLE\r\n")
        try await rig.reply("A0001 NO [INUSE] Mailbox busy\r\n")
        await #expect {
            _ = try await started.value
        } throws: { error in
            guard let error = error as? IMAPClientError else { return false }
            return error.code == .commandFailed && error.serverText == "Mailbox busy" && error.isRetryable
        }
        await rig.close()
    }

    @Test func commandTimeoutFailsTheCallAndClosesTheSession() async throws {
        let rig = try await SessionRig(commandTimeout: .seconds(5))
        let noop = Task { try await rig.session.noop() }
        #expect(try await rig.nextWrite() == "A0001 NOOP\r\n")
        await rig.loop.advanceTime(by: .seconds(6))
        await #expect {
            try await noop.value
        } throws: { error in
            (error as? IMAPClientError)?.code == .timeout
        }
        #expect(!rig.session.isOpen)
        await #expect {
            try await rig.session.noop()
        } throws: { error in
            (error as? IMAPClientError)?.code == .timeout
        }
        await rig.close()
    }

    @Test func loginIsRefusedLocallyWhenDisabled() async throws {
        let rig = try await SessionRig(greeting: "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
        await #expect {
            try await rig.session.login(username: "joe", password: "secret")
        } throws: { error in
            (error as? IMAPClientError)?.code == .unsupported
        }
        #expect(try await rig.channel.readOutbound(as: ByteBuffer.self) == nil)
        await rig.close()
    }
}
