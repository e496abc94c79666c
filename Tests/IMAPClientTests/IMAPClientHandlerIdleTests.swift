import IMAPCore
import NIOCore
import Testing

@testable import IMAPClient

// IDLE (RFC 2177) and command timeouts. Each IDLE scenario runs synchronously against the
// EmbeddedChannel (which is bound to its creating thread) and returns the event stream, which
// the async test then drains.

private typealias EventStream = AsyncThrowingStream<MailboxEvent, any Error>

private func drain(_ stream: EventStream) async -> (events: [MailboxEvent], error: (any Error)?) {
    var events: [MailboxEvent] = []
    do {
        for try await event in stream { events.append(event) }
        return (events, nil)
    } catch {
        return (events, error)
    }
}

/// A harness that has sent IDLE with a sink and an idleStarted promise.
private struct IdleSetup {
    let harness: Harness
    let stream: EventStream
    let started: Outcome<Void>
    let idle: Outcome<CommandResult>

    init(commandTimeout: TimeAmount = .seconds(30), before: String = "") throws {
        harness = try Harness(commandTimeout: commandTimeout)
        try harness.greet()
        if !before.isEmpty { try harness.feed(before) }
        let (stream, sink) = EventStream.makeStream()
        self.stream = stream
        harness.handler.setIdleSink(sink)
        let promise = harness.loop.makePromise(of: Void.self)
        started = Outcome(promise.futureResult)
        idle = harness.submit(.idle, idleStarted: promise)
        #expect(try harness.written() == ["A0001 IDLE\r\n"])
    }
}

private let seenFlagUpdate = FetchResponse(sequenceNumber: 2, attributes: [.flags([.seen])])

@Suite struct HandlerIdleTests {
    private func idleRoundTrip() throws -> EventStream {
        let setup = try IdleSetup(before: "* 4 EXISTS\r\n")
        let h = setup.harness
        try h.feed("* 1 RECENT\r\n")  // after IDLE was sent, before the server accepted it
        #expect(setup.started.isPending)
        #expect(h.submit(.noop).error?.code == .invalidState)  // IDLE is already the interactive command
        try h.feed("+ idling\r\n")
        #expect(setup.started.result != nil && setup.started.error == nil)
        try h.feed("* 5 EXISTS\r\n* 3 EXPUNGE\r\n* 2 FETCH (FLAGS (\\Seen))\r\n")
        #expect(h.handler.takeEvents().isEmpty)  // they went to the stream
        #expect(h.handler.newMailSignals == 3)
        let refused = h.submit(.capability)
        #expect(refused.error?.code == .invalidState)
        #expect(try h.written().isEmpty)
        h.handler.endIdle()
        #expect(try h.written() == ["DONE\r\n"])
        #expect(setup.idle.isPending)
        try h.feed("A0001 OK Idle completed\r\n")
        #expect(setup.idle.value?.kind == .ok)
        // Back to normal: commands go out with the next tag, events are collected again.
        let noop = h.submit(.noop)
        #expect(try h.written() == ["A0002 NOOP\r\n"])
        try h.feed("* 6 EXISTS\r\nA0002 OK\r\n")
        #expect(noop.value?.kind == .ok)
        #expect(h.handler.takeEvents() == [.exists(6)])
        #expect(h.isOpen)
        return setup.stream
    }

    @Test func idleDeliversPendingThenLiveEventsInOrderAndEndsOnDone() async throws {
        let stream = try idleRoundTrip()
        let (events, error) = await drain(stream)
        #expect(error == nil)
        #expect(events == [.exists(4), .recent(1), .exists(5), .expunge(3), .fetch(seenFlagUpdate)])
    }

    private func keepalivesDuringIdle() throws -> EventStream {
        let setup = try IdleSetup()
        let h = setup.harness
        try h.feed("+ idling\r\n")
        for _ in 0..<500 { try h.feed("* OK Still here\r\n") }
        try h.feed("* 9 EXISTS\r\n")
        h.handler.endIdle()
        try h.feed("A0001 OK Idle completed\r\n")
        #expect(setup.idle.value?.kind == .ok)
        // Dovecot sends `* OK Still here` as often as every second; none of it is kept.
        #expect(setup.idle.value?.untagged == [])
        return setup.stream
    }

    @Test func keepalivesDuringIdleAreNotAccumulated() async throws {
        let (events, error) = await drain(try keepalivesDuringIdle())
        #expect(events == [.exists(9)])
        #expect(error == nil)
    }

    private func refusedIdle() throws -> EventStream {
        let setup = try IdleSetup()
        try setup.harness.feed("A0001 NO IDLE not allowed now\r\n")
        #expect(setup.started.error?.code == .commandFailed)
        #expect(setup.started.error?.serverText == "IDLE not allowed now")
        #expect(setup.idle.value?.kind == .no)
        #expect(setup.harness.isOpen)
        // The refusal ended the interactive phase: the next command goes out.
        setup.harness.submit(.noop)
        #expect(try setup.harness.written() == ["A0002 NOOP\r\n"])
        return setup.stream
    }

    @Test func refusedIdleFailsIdleStartedAndFinishesTheStream() async throws {
        let (events, error) = await drain(try refusedIdle())
        #expect(events.isEmpty)
        #expect(error == nil)
    }

    private func closedDuringIdle() throws -> EventStream {
        let setup = try IdleSetup()
        let h = setup.harness
        try h.feed("+ idling\r\n* 7 EXISTS\r\n* BYE Idle timeout\r\n")
        h.channel.pipeline.fireChannelInactive()
        #expect(setup.idle.error?.code == .connectionClosed)
        #expect(setup.idle.error?.serverText == "Idle timeout")
        return setup.stream
    }

    @Test func connectionLossDuringIdleFinishesTheStreamWithAnError() async throws {
        let (events, error) = await drain(try closedDuringIdle())
        #expect(events == [.exists(7), .bye("Idle timeout")])
        #expect((error as? IMAPClientError)?.code == .connectionClosed)
    }

    private func timeoutAfterDone() throws -> EventStream {
        let setup = try IdleSetup(commandTimeout: .seconds(30))
        let h = setup.harness
        try h.feed("+ idling\r\n")
        h.loop.advanceTime(by: .minutes(29))  // far beyond commandTimeout: IDLE has no timeout
        #expect(h.isOpen)
        #expect(setup.idle.isPending)
        try h.feed("* 8 EXISTS\r\n")
        h.handler.endIdle()
        #expect(try h.written() == ["DONE\r\n"])
        h.loop.advanceTime(by: .seconds(29))
        #expect(h.isOpen)
        h.loop.advanceTime(by: .seconds(2))  // no tagged OK to DONE within commandTimeout
        #expect(setup.idle.error?.code == .timeout)
        #expect(!h.isOpen)
        return setup.stream
    }

    @Test func idleIsNotTimedOutButTheAnswerToDoneIs() async throws {
        let (events, error) = await drain(try timeoutAfterDone())
        #expect(events == [.exists(8)])
        #expect((error as? IMAPClientError)?.code == .timeout)
    }

    @Test func idleWithoutContinuationTimesOut() throws {
        let setup = try IdleSetup(commandTimeout: .seconds(30))
        setup.harness.loop.advanceTime(by: .seconds(31))
        #expect(setup.started.error?.code == .timeout)
        #expect(setup.idle.error?.code == .timeout)
        #expect(!setup.harness.isOpen)
    }

    @Test func endIdleBeforeTheServerAcceptedIsIgnored() throws {
        let setup = try IdleSetup()
        setup.harness.handler.endIdle()
        #expect(try setup.harness.written().isEmpty)
        try setup.harness.feed("+ idling\r\n")
        #expect(setup.started.result != nil && setup.started.error == nil)
        setup.harness.handler.endIdle()
        setup.harness.handler.endIdle()  // only one DONE
        #expect(try setup.harness.written() == ["DONE\r\n"])
    }

    @Test func aSecondContinuationDuringIdleIsAProtocolViolation() throws {
        let setup = try IdleSetup()
        try setup.harness.feed("+ idling\r\n+ again\r\n")
        #expect(setup.idle.error?.code == .protocolViolation)
        #expect(!setup.harness.isOpen)
    }
}

// MARK: - Timeouts

@Suite struct HandlerTimeoutTests {
    @Test func unansweredCommandTimesOutFailsEverythingAndCloses() throws {
        let h = try Harness(commandTimeout: .seconds(10))
        try h.greet()
        let noop = h.submit(.noop)
        h.loop.advanceTime(by: .seconds(5))
        let capability = h.submit(.capability)
        h.loop.advanceTime(by: .seconds(4))
        #expect(noop.isPending && capability.isPending)
        #expect(h.isOpen)
        h.loop.advanceTime(by: .seconds(2))  // NOOP is 11 s old, CAPABILITY 6 s
        #expect(noop.error?.code == .timeout)
        #expect(noop.error?.message.contains("A0001") == true)
        #expect(capability.error?.code == .timeout)
        #expect(capability.error == noop.error)  // the first error wins, for everyone
        #expect(!h.isOpen)
        let later = h.submit(.noop)
        #expect(later.error == noop.error)
        #expect(try h.written() == ["A0001 NOOP\r\n", "A0002 CAPABILITY\r\n"])
    }

    @Test func answeredCommandCancelsItsTimeout() throws {
        let h = try Harness(commandTimeout: .seconds(10))
        try h.greet()
        let noop = h.submit(.noop)
        h.loop.advanceTime(by: .seconds(9))
        try h.feed("A0001 OK\r\n")
        h.loop.advanceTime(by: .minutes(5))
        #expect(noop.value?.kind == .ok)
        #expect(h.isOpen)
        #expect(h.handler.closedError == nil)
    }

    @Test func commandQueuedBehindALiteralIsTimedFromWhenItIsSent() throws {
        let h = try Harness(commandTimeout: .seconds(10))
        try h.greet("* OK [CAPABILITY IMAP4rev1] ready\r\n")
        let append = h.submit(.append(mailbox: "INBOX", flags: [], date: nil, message: ByteBuffer(string: "x")))
        let noop = h.submit(.noop)
        h.loop.advanceTime(by: .seconds(8))
        try h.feed("+ go\r\nA0001 OK\r\n")
        #expect(append.value?.kind == .ok)
        h.loop.advanceTime(by: .seconds(8))  // 16 s after submission, 8 s after sending
        #expect(noop.isPending)
        #expect(h.isOpen)
        h.loop.advanceTime(by: .seconds(3))
        #expect(noop.error?.code == .timeout)
    }
}
