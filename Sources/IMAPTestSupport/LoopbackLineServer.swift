public import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix

/// What the small fake servers of the tests share: a listener on an ephemeral 127.0.0.1 port, a
/// record of what happened behind a lock (updated by their connection handlers), and a stop.
public protocol LoopbackLineServer: Sendable {
    associatedtype Record: Sendable
    var channel: any Channel { get }
    var record: NIOLockedValueBox<Record> { get }
}

extension LoopbackLineServer {
    /// The port the server listens on.
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// What the server saw so far.
    public var snapshot: Record {
        record.withLockedValue { $0 }
    }

    /// Stops listening; open connections end when their clients leave.
    public func stop() async {
        try? await channel.close()
    }

    /// Listens on an ephemeral loopback port; each connection gets the handler `session` makes
    /// (on its event loop), and `accepted` runs first. Past `maxConnections` open at once, a new
    /// connection is closed at once: a client gone wrong cannot pile up connections.
    static func listen(maxConnections: Int = .max, accepted: @escaping @Sendable () -> Void = {},
                       session: @escaping @Sendable () -> any ChannelHandler) async throws -> any Channel {
        let open = NIOLockedValueBox(0)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                let admitted = open.withLockedValue { count in
                    guard count < maxConnections else { return false }
                    count += 1
                    return true
                }
                guard admitted else { return child.close() }
                child.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
                accepted()
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(session())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }
}
