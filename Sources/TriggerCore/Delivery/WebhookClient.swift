import IMAPClient
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
public import NIOPosix
import NIOSSL

/// The HTTP/1.1 client webhooks are posted with: SwiftNIO's HTTP codec over pooled keep-alive
/// connections, one exchange per connection at a time, `http` and `https` (TLS with the
/// system trust store, host name verified, SNI).
///
/// Why not AsyncHTTPClient (DESIGN.md §4 names it): a webhook is always the same exchange — a
/// small POST whose body is already in memory, whose response is read to its end within one
/// deadline, without redirects, proxies, cookies, decompression or streaming. AsyncHTTPClient's
/// general request machinery cost about three times this client's CPU per delivery in the burst
/// benchmark, and it sends the head and the body in two writes (`docs/architecture.md`).
///
/// Connections are made on demand and kept per endpoint (scheme, host, port) while idle, up to
/// `maxIdlePerEndpoint`, for `idleTimeout`. A request that fails on a reused connection before
/// any byte of a response arrived — the receiver closed it while it sat idle, a race HTTP/1.1
/// cannot avoid — is sent once more on a fresh connection: receivers dedupe on
/// `Idempotency-Key`, and the alternative is a failed attempt and a retry delay for nothing.
public final class WebhookClient: Sendable {
    /// Why an exchange produced no response.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The deadline passed (connect, TLS handshake, request and response all count).
        case timedOut
        /// The connection closed; `responseStarted` when part of a response had arrived.
        case closed(responseStarted: Bool)
        /// A transport error before any byte of a response.
        case failedBeforeResponse(any Error)
        /// The request cannot be sent as configured (say, a header value with a line break).
        case invalidRequest(String)
        /// The client was shut down.
        case shutDown

        static func == (lhs: Failure, rhs: Failure) -> Bool {
            lhs.description == rhs.description
        }

        var description: String {
            switch self {
            case .timedOut: "timed out"
            case let .closed(started): started ? "connection closed during the response" : "connection closed by peer"
            case let .failedBeforeResponse(error): "\(error)"
            case let .invalidRequest(reason): "invalid request: \(reason)"
            case .shutDown: "client shut down"
            }
        }
    }

    /// One pooled connection: its channel and its handler, reachable from any thread.
    struct Connection: Sendable {
        let channel: any Channel
        let handler: NIOLoopBound<WebhookConnectionHandler>
        var id: ObjectIdentifier { ObjectIdentifier(channel) }
    }

    private struct State {
        var idle: [WebhookTarget.Endpoint: [Connection]] = [:]
        /// Every open connection, idle or busy, to close them all on shutdown.
        var open: [ObjectIdentifier: any Channel] = [:]
        var isShutDown = false
    }

    /// Where connections live; the dispatcher runs its deliveries on one of its loops.
    public let group: any EventLoopGroup
    let maxIdlePerEndpoint: Int
    let idleTimeout: TimeAmount
    let keptBodyBytes: Int
    /// What `https` servers are verified against: the system trust store unless a test says.
    let trustRoots: NIOSSLTrustRoots
    private let state = NIOLockedValueBox(State())
    /// Made on first use: most configurations post over plain HTTP on loopback, and loading the
    /// system trust store costs memory.
    private let tlsContext = NIOLockedValueBox<NIOSSLContext?>(nil)

    /// `maxIdlePerEndpoint` should be the delivery concurrency, so every running delivery finds
    /// a warm connection.
    public convenience init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxIdlePerEndpoint: Int = 8,
                            idleTimeout: TimeAmount = .seconds(60)) {
        self.init(group: group, maxIdlePerEndpoint: maxIdlePerEndpoint, idleTimeout: idleTimeout,
                  trustRoots: IMAPSession.systemTrustRoots)
    }

    /// `keptBodyBytes`: how much of a response body is kept, for a failure's reason and the log.
    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxIdlePerEndpoint: Int = 8,
         idleTimeout: TimeAmount = .seconds(60), keptBodyBytes: Int = 4096, trustRoots: NIOSSLTrustRoots) {
        self.group = group
        self.maxIdlePerEndpoint = max(1, maxIdlePerEndpoint)
        self.idleTimeout = idleTimeout
        self.keptBodyBytes = keptBodyBytes
        self.trustRoots = trustRoots
    }

    /// How many connections are open (idle or busy).
    var openConnections: Int { state.withLockedValue { $0.open.count } }

    /// POSTs `body` to `target` with `headers` (the client adds `Host` and `Content-Length`) and
    /// reads the response within `deadline`. Cancelling the calling task closes the connection.
    func post(_ target: WebhookTarget, headers: HTTPHeaders, body: ByteBuffer,
              deadline: NIODeadline) async throws -> WebhookConnectionHandler.Response {
        try await send(.POST, target, headers: headers, body: body, deadline: deadline)
    }

    /// One request: `POST` for webhooks and token requests, `GET` for discovery documents.
    func send(_ method: HTTPMethod, _ target: WebhookTarget, headers: HTTPHeaders, body: ByteBuffer,
              deadline: NIODeadline) async throws -> WebhookConnectionHandler.Response {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target.requestTarget, headers: headers)
        head.headers.replaceOrAdd(name: "Host", value: target.hostHeader)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        if let connection = leaseIdle(target.endpoint) {
            do {
                return try await exchange(on: connection, target: target, head: head, body: body, deadline: deadline)
            } catch let failure as Failure where failure.isStale && NIODeadline.now() < deadline && !Task.isCancelled {
                // The receiver closed the idle connection: once more, on a new one.
            }
        }
        let connection = try await connect(target.endpoint, deadline: deadline)
        return try await exchange(on: connection, target: target, head: head, body: body, deadline: deadline)
    }

    /// Closes every connection; later requests fail with `shutDown`.
    public func shutdown() async {
        let channels = state.withLockedValue { state in
            state.isShutDown = true
            state.idle.removeAll()
            defer { state.open.removeAll() }
            return Array(state.open.values)
        }
        for channel in channels { try? await channel.close() }
    }

    private func exchange(on connection: Connection, target: WebhookTarget, head: HTTPRequestHead, body: ByteBuffer,
                          deadline: NIODeadline) async throws -> WebhookConnectionHandler.Response {
        let loop = connection.channel.eventLoop
        let promise = loop.makePromise(of: WebhookConnectionHandler.Response.self)
        let handler = connection.handler
        if loop.inEventLoop {
            handler.value.start(head: head, body: body, deadline: deadline, promise: promise)
        } else {
            loop.execute { handler.value.start(head: head, body: body, deadline: deadline, promise: promise) }
        }
        let response = try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            connection.channel.close(promise: nil)
        }
        if response.keepAlive {
            park(connection, endpoint: target.endpoint)
        } else {
            connection.channel.close(promise: nil)
        }
        return response
    }

    /// An idle connection to `endpoint`, preferably one on the event loop this task runs on
    /// (its I/O and the task then share a thread).
    private func leaseIdle(_ endpoint: WebhookTarget.Endpoint) -> Connection? {
        state.withLockedValue { state in
            guard var idle = state.idle[endpoint], !idle.isEmpty else { return nil }
            defer { state.idle[endpoint] = idle }
            idle.removeAll { !$0.channel.isActive }
            let index = idle.lastIndex { $0.channel.eventLoop.inEventLoop } ?? idle.indices.last
            return index.map { idle.remove(at: $0) }
        }
    }

    /// Puts a connection whose exchange ended cleanly back in the pool, or closes it.
    private func park(_ connection: Connection, endpoint: WebhookTarget.Endpoint) {
        let kept = state.withLockedValue { state in
            guard !state.isShutDown, state.open[connection.id] != nil, (state.idle[endpoint]?.count ?? 0) < maxIdlePerEndpoint
            else { return false }
            state.idle[endpoint, default: []].append(connection)
            return true
        }
        guard kept else {
            connection.channel.close(promise: nil)
            return
        }
        let handler = connection.handler
        let timeout = idleTimeout
        connection.channel.eventLoop.execute { handler.value.parked(for: timeout) }
    }

    /// A new connection to `endpoint`, TLS included for `https`, made within `deadline`.
    private func connect(_ endpoint: WebhookTarget.Endpoint, deadline: NIODeadline) async throws -> Connection {
        guard !state.withLockedValue({ $0.isShutDown }) else { throw Failure.shutDown }
        let tls = endpoint.secure ? try sslContext() : nil
        let remaining = deadline - .now()
        guard remaining > .zero else { throw Failure.timedOut }
        let keptBodyBytes = self.keptBodyBytes
        // `any()` is the loop this task runs on when it is one of the group's (the dispatcher's
        // executor): the connection's I/O and the task waiting for it then share a thread.
        let bootstrap = ClientBootstrap(group: group.any())
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(remaining)
        let connection: Connection
        do {
            connection = try await bootstrap.connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        // SNI carries names only (RFC 6066 §3); the certificate is checked
                        // against the host either way.
                        let isAddress = (try? SocketAddress(ipAddress: endpoint.host, port: 0)) != nil
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : endpoint.host))
                    }
                    try pipeline.addHTTPClientHandlers()
                    let handler = WebhookConnectionHandler(keptBodyBytes: keptBodyBytes)
                    try pipeline.addHandler(handler)
                    return Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        } catch ChannelError.connectTimeout {
            throw Failure.timedOut
        }
        let registered = state.withLockedValue { state in
            guard !state.isShutDown else { return false }
            state.open[connection.id] = connection.channel
            return true
        }
        guard registered else {
            connection.channel.close(promise: nil)
            throw Failure.shutDown
        }
        connection.channel.closeFuture.whenComplete { [self] _ in
            state.withLockedValue { state in
                state.open[connection.id] = nil
                state.idle[endpoint]?.removeAll { $0.id == connection.id }
            }
        }
        return connection
    }

    private func sslContext() throws -> NIOSSLContext {
        try tlsContext.withLockedValue { cached in
            if let cached { return cached }
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = trustRoots
            let context = try NIOSSLContext(configuration: configuration)
            cached = context
            return context
        }
    }
}

extension WebhookClient.Failure {
    /// Whether a reused connection failed the way a connection the receiver closed while idle
    /// does: before any byte of a response.
    var isStale: Bool {
        switch self {
        case .closed(responseStarted: false), .failedBeforeResponse: true
        default: false
        }
    }
}
