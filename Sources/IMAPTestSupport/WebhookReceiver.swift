#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
public import NIOSSL

/// A real HTTP/1.1 server on 127.0.0.1 that plays a webhook receiver: it records every request
/// and answers as scripted, for tests, `scripts/demo.sh` and `scripts/bench.sh`.
///
/// Connections are kept alive (RFC 9112 §9.3) and pipelined requests are answered in order. The
/// answer to a request is, first match wins: the next response queued with `enqueue`, the
/// `respond` closure, the default response (200). It can be stopped and restarted on the same
/// port to play a receiver that is down for a while; stopping also drops open connections, as
/// a crashed server would.
///
/// Requests are handled on NIO event loops, not in Swift tasks, and recording is an append under
/// a lock: thousands of requests per second cost no more than the HTTP parsing.
public final class WebhookReceiver: Sendable {
    /// The port it listens on (also after a restart).
    public let port: Int
    let core: Core

    private init(port: Int, core: Core) {
        self.port = port
        self.core = core
    }

    /// Starts listening on 127.0.0.1; port 0 picks an ephemeral port (see `port`). With `tls`,
    /// connections are TLS (an `https` receiver). `keepsRequests: false` keeps none in
    /// `requests` (only the count): for a long benchmark that only counts what arrives.
    public static func start(port: Int = 0, defaultResponse: Response = .ok, tls: NIOSSLContext? = nil,
                             keepsRequests: Bool = true) async throws -> WebhookReceiver {
        let core = Core(defaultResponse: defaultResponse, tls: tls, keepsRequests: keepsRequests)
        let bound = try await core.bind(port: port)
        return WebhookReceiver(port: bound, core: core)
    }

    /// `http://127.0.0.1:<port><path>` (`https` with TLS).
    public func url(path: String = "/hook") -> String {
        "\(core.tls == nil ? "http" : "https")://127.0.0.1:\(port)\(path)"
    }

    /// Every request so far, in arrival order.
    public var requests: [Request] {
        core.state.withLockedValue { $0.requests }
    }

    /// How many requests arrived so far.
    public var requestCount: Int {
        core.state.withLockedValue { $0.requestCount }
    }

    /// How many connections were accepted so far (keep-alive clients reuse one).
    public var connectionsAccepted: Int {
        core.state.withLockedValue { $0.connectionsAccepted }
    }

    /// Waits until at least `count` requests arrived and returns all of them, or throws
    /// `Timeout` after `timeout`.
    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws -> [Request] {
        try await core.waitForRequests(count: count, timeout: timeout)
    }

    /// Forgets the recorded requests (the policy stays).
    public func clearRequests() {
        core.state.withLockedValue { state in
            state.requests.removeAll()
            state.requestCount = 0
        }
    }

    /// Queues responses for the next requests, in order, ahead of `respond` and the default.
    public func enqueue(_ responses: Response...) {
        enqueue(responses)
    }

    /// Queues responses for the next requests, in order, ahead of `respond` and the default.
    public func enqueue(_ responses: [Response]) {
        core.state.withLockedValue { $0.queued.append(contentsOf: responses) }
    }

    /// Answers requests with a closure once the queue is empty; nil removes it. The closure runs
    /// on an event loop: it must not block (use `Response.delay` to be slow).
    public func respond(_ responder: (@Sendable (Request) -> Response)?) {
        core.state.withLockedValue { $0.responder = responder }
    }

    /// The answer when neither the queue nor a closure decides.
    public var defaultResponse: Response {
        get { core.state.withLockedValue { $0.defaultResponse } }
        set { core.state.withLockedValue { $0.defaultResponse = newValue } }
    }

    /// Calls `observer` for every request after it is recorded, on an event loop (for tools
    /// that print or count requests); nil removes it.
    public func onRequest(_ observer: (@Sendable (Request) -> Void)?) {
        core.state.withLockedValue { $0.observer = observer }
    }

    /// Whether it is listening.
    public var isRunning: Bool {
        core.state.withLockedValue { $0.serverChannel != nil }
    }

    /// Stops listening and closes every open connection (clients see connection refused
    /// until `restart`). Recorded requests and the policy stay.
    public func stop() async {
        await core.stop()
    }

    /// Closes every open connection and keeps listening: what a receiver's own idle timeout does.
    public func closeConnections() async {
        let connections = core.state.withLockedValue { state in
            defer { state.connections.removeAll() }
            return Array(state.connections.values)
        }
        for connection in connections { try? await connection.close() }
    }

    /// Listens again on the same port after `stop`. While the port was free, another socket may
    /// have taken it as its local port for an outgoing connection; binding is retried for a few
    /// seconds, until that one is gone.
    public func restart() async throws {
        guard !isRunning else { return }
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                _ = try await core.bind(port: port)
                return
            } catch let error as IOError where error.errnoCode == EADDRINUSE && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

extension WebhookReceiver {
    /// The state shared by the receiver and its connection handlers.
    final class Core: Sendable {
        struct State {
            var requests: [Request] = []
            var requestCount = 0
            var queued: [Response] = []
            var queueHead = 0
            var responder: (@Sendable (Request) -> Response)?
            var defaultResponse: Response
            var observer: (@Sendable (Request) -> Void)?
            var waiters: [Int: Waiter] = [:]
            var nextWaiterID = 0
            var serverChannel: (any Channel)?
            var connections: [ObjectIdentifier: any Channel] = [:]
            var connectionsAccepted = 0
        }

        struct Waiter {
            var count: Int
            var continuation: CheckedContinuation<[Request], any Error>
        }

        let state: NIOLockedValueBox<State>
        let group = MultiThreadedEventLoopGroup.singleton
        let tls: NIOSSLContext?
        let keepsRequests: Bool

        init(defaultResponse: Response, tls: NIOSSLContext?, keepsRequests: Bool) {
            state = NIOLockedValueBox(State(defaultResponse: defaultResponse))
            self.tls = tls
            self.keepsRequests = keepsRequests
        }

        /// Binds and returns the port.
        func bind(port: Int) async throws -> Int {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(ChannelOptions.backlog, value: 512)
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { [self] child in
                    track(child)
                    return child.eventLoop.makeCompletedFuture {
                        let pipeline = child.pipeline.syncOperations
                        if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                        try pipeline.addHandler(WebhookReceiverHandler(core: self))
                    }
                }
                .bind(host: "127.0.0.1", port: port).get()
            state.withLockedValue { $0.serverChannel = channel }
            return channel.localAddress?.port ?? port
        }

        private func track(_ child: any Channel) {
            let id = ObjectIdentifier(child)
            state.withLockedValue { state in
                state.connections[id] = child
                state.connectionsAccepted += 1
            }
            child.closeFuture.whenComplete { [self] _ in
                _ = state.withLockedValue { $0.connections.removeValue(forKey: id) }
            }
        }

        func stop() async {
            let (server, connections) = state.withLockedValue { state in
                defer {
                    state.serverChannel = nil
                    state.connections.removeAll()
                }
                return (state.serverChannel, Array(state.connections.values))
            }
            try? await server?.close()
            for connection in connections { try? await connection.close() }
        }

        /// Records a request, wakes the waiters it satisfies, and picks its answer.
        func record(_ request: Request) -> Response {
            let (queued, responder, fallback, observer, ready, requests) = state.withLockedValue { state in
                state.requestCount += 1
                if keepsRequests { state.requests.append(request) }
                var queued: Response?
                if state.queueHead < state.queued.count {
                    queued = state.queued[state.queueHead]
                    state.queueHead += 1
                    // Start over once drained so a long-lived queue does not grow for ever.
                    if state.queueHead == state.queued.count {
                        state.queued.removeAll(keepingCapacity: true)
                        state.queueHead = 0
                    }
                }
                var ready: [Waiter] = []
                if !state.waiters.isEmpty {
                    for (id, waiter) in state.waiters where waiter.count <= state.requests.count {
                        ready.append(waiter)
                        state.waiters[id] = nil
                    }
                }
                return (queued, state.responder, state.defaultResponse, state.observer, ready,
                        ready.isEmpty ? [] : state.requests)
            }
            for waiter in ready { waiter.continuation.resume(returning: requests) }
            observer?(request)
            // The closure runs outside the lock: it may look at the receiver itself.
            return queued ?? responder?(request) ?? fallback
        }

        func waitForRequests(count: Int, timeout: Duration) async throws -> [Request] {
            try await withCheckedThrowingContinuation { continuation in
                let outcome: (id: Int, ready: [Request]?) = state.withLockedValue { state in
                    if state.requests.count >= count { return (0, state.requests) }
                    let id = state.nextWaiterID
                    state.nextWaiterID += 1
                    state.waiters[id] = Waiter(count: count, continuation: continuation)
                    return (id, nil)
                }
                if let ready = outcome.ready { return continuation.resume(returning: ready) }
                // The timer runs on an event loop, so no task has to sleep for it.
                group.next().scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { [self] in
                    let (waiter, received) = state.withLockedValue { state in
                        (state.waiters.removeValue(forKey: outcome.id), state.requests.count)
                    }
                    waiter?.continuation.resume(throwing: Timeout(expected: count, received: received))
                }
            }
        }
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : scaled + attoseconds / 1_000_000_000
    }
}
