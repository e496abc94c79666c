import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Receives the authorization server's redirect on the loopback interface (RFC 8252 §7.3) for
/// `mailtrigger oauth login`: an HTTP server on 127.0.0.1 that answers the browser with a short
/// page and hands over the query of every request to `/callback` that carries a code or an error.
///
/// Any program on this machine can reach the port, and an old sign-in link can come back to it:
/// the sign-in takes only the redirect with its own `state` (``redirect(timeout:accepting:)``).
final class LoopbackRedirectListener: Sendable {
    let port: Int
    private let channel: any Channel
    private let queries: AsyncStream<[String: String]>

    private init(channel: any Channel, port: Int, queries: AsyncStream<[String: String]>) {
        self.channel = channel
        self.port = port
        self.queries = queries
    }

    /// Listens on 127.0.0.1:`port` (0: a free port the system picks) for the redirect of the
    /// sign-in with `state`; the browser is told whether a redirect was that one.
    static func start(port: Int = 0, state: String) async throws -> LoopbackRedirectListener {
        let (queries, continuation) = AsyncStream.makeStream(of: [String: String].self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RedirectHandler(state: state, deliver: { continuation.yield($0) }))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        let bound = channel.localAddress?.port ?? port
        return LoopbackRedirectListener(channel: channel, port: bound, queries: queries)
    }

    /// The redirect URI to register and send: `http://127.0.0.1:PORT/callback`.
    var redirectURI: String { "http://127.0.0.1:\(port)/callback" }

    /// The query of the first redirect `accept` takes, or nil when none came within `timeout`
    /// (counted from the call, whatever was refused meanwhile). One wait covers every redirect:
    /// cancelling a task that waits on the stream ends the stream, so it is never waited on twice.
    func redirect(timeout: Duration, accepting accept: @escaping @Sendable ([String: String]) -> Bool) async -> [String: String]? {
        let queries = self.queries
        return await withTaskGroup(of: [String: String]?.self) { group in
            group.addTask {
                for await query in queries where accept(query) { return query }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
    }

    func close() async {
        try? await channel.close()
    }

    /// Answers every request and passes on the query of `/callback`.
    final class RedirectHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let state: String
        let deliver: @Sendable ([String: String]) -> Void

        init(state: String, deliver: @escaping @Sendable ([String: String]) -> Void) {
            self.state = state
            self.deliver = deliver
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case let .head(head) = unwrapInboundIn(data) else { return }
            let components = URLComponents(string: head.uri)
            let isCallback = components?.path == "/callback"
            var query: [String: String] = [:]
            for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
            // Only for the page: the sign-in itself checks the state of what it is handed. A
            // browser that followed an old link must not read "Signed in" while mailtrigger waits on.
            let isOurs = query["state"] == state
            let text = !isCallback ? "Not found."
                : !isOurs ? "This is not the sign-in mailtrigger is waiting for (an old link?). Open the address mailtrigger printed last."
                : query["error"] == nil ? "Signed in. You can close this window and return to mailtrigger."
                : "Sign-in refused (\(query["error"] ?? "")). Return to mailtrigger."
            var headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close"),
                                       ("Content-Length", String(text.utf8.count))])
            headers.add(name: "Cache-Control", value: "no-store")
            let status: HTTPResponseStatus = !isCallback ? .notFound : isOurs ? .ok : .badRequest
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            if isCallback, query["code"] != nil || query["error"] != nil { deliver(query) }
        }
    }
}
