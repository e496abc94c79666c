public import IMAPCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One IMAP session over SwiftNIO: connect (implicit TLS, STARTTLS or — only when allowed —
/// plain), authenticate, and run commands with `async` calls. Commands may be issued from
/// several tasks; they are pipelined on the one connection. Any timeout, protocol violation or
/// connection loss fails every outstanding call and closes the session: a new session is the
/// way back (IMAP state after a lost reply is unknowable).
public final class IMAPSession: Sendable {
    public let configuration: IMAPClientConfiguration
    /// The server's greeting (OK, or PREAUTH when already authenticated).
    public let greeting: StatusResponse
    let channel: any Channel
    let handler: NIOLoopBound<IMAPClientHandler>
    let logger: Logger

    init(configuration: IMAPClientConfiguration, greeting: StatusResponse, channel: any Channel,
         handler: NIOLoopBound<IMAPClientHandler>, logger: Logger) {
        self.configuration = configuration
        self.greeting = greeting
        self.channel = channel
        self.handler = handler
        self.logger = logger
    }

    var eventLoop: any EventLoop { channel.eventLoop }

    /// The capabilities as last advertised (after STARTTLS and login they are re-read).
    public var capabilities: [Capability] {
        get async throws {
            let handler = self.handler
            return try await eventLoop.submit { handler.value.capabilities }.get()
        }
    }

    /// Whether the server advertised `capability`.
    public func supports(_ capability: Capability) async throws -> Bool {
        try await capabilities.contains(capability)
    }

    /// Sends a command and waits for its completion; NO and BAD are returned, not thrown.
    func execute(_ command: Command, sasl: (any SASLMechanism)? = nil,
                 onFetch: (@Sendable (FetchResponse) -> Void)? = nil) async throws -> CommandResult {
        let promise = eventLoop.makePromise(of: CommandResult.self)
        let handler = self.handler
        eventLoop.execute {
            handler.value.submit(command, promise: promise, sasl: sasl, onFetch: onFetch)
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            throw IMAPClientHandler.classify(error)
        }
    }

    /// Sends a command; NO and BAD are thrown as ``IMAPClientError``.
    @discardableResult
    func run(_ command: Command, onFetch: (@Sendable (FetchResponse) -> Void)? = nil) async throws -> CommandResult {
        let result = try await execute(command, onFetch: onFetch)
        try Self.check(result, command)
        return result
    }

    static func check(_ result: CommandResult, _ command: Command) throws {
        switch result.status.kind {
        case .ok: return
        case .no:
            throw IMAPClientError(.commandFailed, "\(command.logDescription) failed",
                                  serverText: result.status.text, responseCode: result.status.code)
        default:
            throw IMAPClientError(.commandRejected, "\(command.logDescription) was rejected",
                                  serverText: result.status.text, responseCode: result.status.code)
        }
    }

    /// Hands over the unsolicited events (EXISTS, EXPUNGE, FETCH, …) received outside IDLE
    /// since the last call. A watcher checks them after every command: an EXISTS that arrived
    /// inside a FETCH or SEARCH reply is new mail the server will not announce again.
    public func takeEvents() async throws -> [MailboxEvent] {
        let handler = self.handler
        return try await eventLoop.submit { handler.value.takeEvents() }.get()
    }

    /// Whether the connection is still usable.
    public var isOpen: Bool { channel.isActive }

    /// LOGOUT (RFC 3501 §6.1.3) and close. Errors are ignored: the session ends either way.
    public func logout() async {
        _ = try? await execute(.logout)
        await close()
    }

    /// Closes the connection without LOGOUT.
    public func close() async {
        try? await channel.close()
    }
}
