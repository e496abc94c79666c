import IMAPCore
import NIOCore

/// An IDLE in progress (RFC 2177). Mailbox events arrive on ``events`` until ``done()``; the
/// stream ends with an error if the connection fails or the server says BYE.
public struct IMAPIdle: Sendable {
    /// EXISTS, EXPUNGE, FETCH and other unsolicited events, in order. Events received before
    /// IDLE began and not yet taken are delivered first.
    public let events: AsyncThrowingStream<MailboxEvent, any Error>
    let completion: EventLoopFuture<CommandResult>
    let handler: NIOLoopBound<IMAPClientHandler>
    let eventLoop: any EventLoop

    /// Sends DONE and waits for the IDLE command's completion.
    public func done() async throws {
        let handler = self.handler
        eventLoop.execute { handler.value.endIdle() }
        let result: CommandResult
        do {
            result = try await completion.get()
        } catch {
            throw IMAPClientHandler.classify(error)
        }
        try IMAPSession.check(result, .idle)
    }
}

extension IMAPSession {
    /// Starts IDLE (RFC 2177) and returns once the server accepted it. Servers drop idle
    /// clients after 30 minutes: callers re-issue IDLE well before (the watcher uses 10).
    public func idle() async throws -> IMAPIdle {
        guard try await supports(.idle) else {
            throw IMAPClientError(.unsupported, "server does not offer IDLE")
        }
        let (events, sink) = AsyncThrowingStream.makeStream(of: MailboxEvent.self)
        let promise = eventLoop.makePromise(of: CommandResult.self)
        let started = eventLoop.makePromise(of: Void.self)
        let handler = self.handler
        eventLoop.execute {
            handler.value.setIdleSink(sink)
            handler.value.submit(.idle, promise: promise, idleStarted: started)
        }
        do {
            try await started.futureResult.get()
        } catch {
            sink.finish()
            // A refused IDLE completes with NO/BAD: report the server's words.
            if let result = try? await promise.futureResult.get() { try IMAPSession.check(result, .idle) }
            throw IMAPClientHandler.classify(error)
        }
        return IMAPIdle(events: events, completion: promise.futureResult, handler: handler, eventLoop: eventLoop)
    }
}
