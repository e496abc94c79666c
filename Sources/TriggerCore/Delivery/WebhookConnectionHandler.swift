import NIOCore
import NIOHTTP1

/// The last handler of a webhook connection's pipeline (after NIOHTTP1's client codec): one
/// exchange at a time on a keep-alive connection (RFC 9112 §9.3), no pipelining.
///
/// `start` writes the request head, body and end with a single flush — one `writev`, so a
/// receiver reads the whole request at once — and arms the exchange's deadline. The response's
/// status and headers are kept, and the first `keptBodyBytes` of its body; the rest is read and
/// dropped so the connection stays usable. Between exchanges an idle timer closes a connection
/// nobody took back. Everything runs on the channel's event loop.
final class WebhookConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// A complete response.
    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        /// Whether the connection may carry another request (RFC 9112 §9.3).
        var keepAlive: Bool
    }

    let keptBodyBytes: Int
    private var context: ChannelHandlerContext?
    private var promise: EventLoopPromise<Response>?
    private var response: Response?
    private var deadline: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    /// An error seen while no exchange was running: a TLS handshake that failed before the
    /// first request was written is that request's failure.
    private var errorBetweenExchanges: (any Error)?

    init(keptBodyBytes: Int) {
        self.keptBodyBytes = keptBodyBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(WebhookClient.Failure.closed(responseStarted: response != nil))
        self.context = nil
    }

    /// Sends one request; `promise` gets the response or the reason there is none. A connection
    /// closed while it sat in the pool fails at once with `closed(responseStarted: false)`.
    func start(head: HTTPRequestHead, body: ByteBuffer, deadline: NIODeadline, promise: EventLoopPromise<Response>) {
        idleTimer?.cancel()
        idleTimer = nil
        guard let context, context.channel.isActive, self.promise == nil else {
            promise.fail(errorBetweenExchanges.map(WebhookClient.Failure.failedBeforeResponse)
                ?? WebhookClient.Failure.closed(responseStarted: false))
            return
        }
        self.promise = promise
        response = nil
        self.deadline = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            fail(WebhookClient.Failure.timedOut)
        }
        let headWritten = context.eventLoop.makePromise(of: Void.self)
        headWritten.futureResult.assumeIsolated().whenFailure { [self] error in
            // NIOHTTP1 refuses a head with a header it cannot send (a line break in a value).
            fail(WebhookClient.Failure.invalidRequest("\(error)"))
        }
        context.write(wrapOutboundOut(.head(head)), promise: headWritten)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Arms the idle timer of a connection going back to the pool.
    func parked(for timeout: TimeAmount) {
        // Already taken again (`start` ran first): the exchange's own deadline applies.
        guard let context, promise == nil else { return }
        idleTimer?.cancel()
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            response = Response(status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) },
                                body: [], keepAlive: head.isKeepAlive)
        case var .body(buffer):
            guard var current = response else { return }
            let room = keptBodyBytes - current.body.count
            if room > 0, let bytes = buffer.readBytes(length: min(room, buffer.readableBytes)) {
                response = nil  // unique, so the append does not copy
                current.body.append(contentsOf: bytes)
                response = current
            }
        case .end:
            guard let promise, let response else { return }
            self.promise = nil
            deadline?.cancel()
            deadline = nil
            promise.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        fail(WebhookClient.Failure.closed(responseStarted: response != nil))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if promise == nil { errorBetweenExchanges = error }
        fail(response == nil ? WebhookClient.Failure.failedBeforeResponse(error) : error)
    }

    /// Fails the exchange in progress, if any, and closes the connection: after a failure its
    /// state is unknown, so it is never reused.
    private func fail(_ error: any Error) {
        deadline?.cancel()
        deadline = nil
        if let promise {
            self.promise = nil
            promise.fail(error)
        }
        context?.close(promise: nil)
    }
}
