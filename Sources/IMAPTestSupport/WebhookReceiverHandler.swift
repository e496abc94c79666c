import Foundation
import NIOCore
import NIOHTTP1

/// One connection of a `WebhookReceiver`: collects each request, records it, and answers as the
/// receiver's policy says. `HTTPServerPipelineHandler` (in front of it) holds back pipelined
/// requests until the previous answer ended, so a delayed answer keeps responses in order.
final class WebhookReceiverHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: WebhookReceiver.Core
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var delayed: Scheduled<Void>?
    private var active = true

    init(core: WebhookReceiver.Core) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(requestHead):
            head = requestHead
            body.clear()
        case var .body(chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let request = WebhookReceiver.Request(
                method: requestHead.method.rawValue,
                path: requestHead.uri,
                headers: requestHead.headers.map { (name: $0.name, value: $0.value) },
                body: Data(body.readableBytesView),
                receivedAt: .now,
                date: Date()
            )
            let response = core.record(request)
            let keepAlive = requestHead.isKeepAlive
            if response.delay > .zero {
                delayed = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(response.delay.nanoseconds)) { [self] in
                    delayed = nil
                    if active { answer(context, response, keepAlive: keepAlive) }
                }
            } else {
                answer(context, response, keepAlive: keepAlive)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        delayed?.cancel()
        delayed = nil
        context.fireChannelInactive()
    }

    private func answer(_ context: ChannelHandlerContext, _ response: WebhookReceiver.Response, keepAlive: Bool) {
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        // 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6, §15.3.5).
        let bodiless = response.status == 204 || response.status == 304
        let payload = ByteBuffer(string: bodiless ? "" : response.body)
        if !bodiless { headers.replaceOrAdd(name: "Content-Length", value: String(payload.readableBytes)) }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status),
                                            headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if payload.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(payload))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
