import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A fake IMAP server on 127.0.0.1 that follows a script, for misbehaviour the real Dovecot will
/// not produce on demand: a greeting that never comes, BYE during IDLE, STARTTLS refused, bytes
/// injected after STARTTLS, an oversized literal, a connection cut mid-literal.
///
/// It serves exactly one connection. `{tag}` in a sent line stands for the tag of the last
/// command line the client sent. The script runs in a channel handler on a NIO event loop, not in
/// a Swift task: CPU-heavy tests running in parallel on the cooperative pool cannot delay it, so
/// its timing is as scripted.
public final class ScriptedIMAPServer: Sendable {
    /// One step of the script.
    public enum Step: Sendable {
        /// Write these bytes (with `{tag}` replaced).
        case send(String)
        /// Write these bytes as they are: what a `String` cannot hold (invalid UTF-8).
        case sendBytes([UInt8])
        /// Read one line from the client; it must contain this text (case-insensitive).
        case expect(String)
        /// Read exactly this many raw bytes (a literal the client sends).
        case expectBytes(Int)
        /// The next byte from the client must start a TLS record (0x16, a ClientHello).
        case expectTLSHandshake
        /// Wait this long.
        case pause(milliseconds: Int)
        /// Close the connection.
        case close
        /// Read until the client closes.
        case waitForClose
    }

    /// What happened: every line the client sent, and every way the client broke the script.
    public struct Outcome: Sendable {
        public var received: [String] = []
        public var failures: [String] = []
        public var sawTLSHandshake = false
    }

    private let serverChannel: any Channel
    public let port: Int
    private let result: OutcomePromise

    private init(serverChannel: any Channel, port: Int, result: OutcomePromise) {
        self.serverChannel = serverChannel
        self.port = port
        self.result = result
    }

    /// Starts listening on an ephemeral loopback port; runs `script` on the first connection.
    public static func start(_ script: [Step]) async throws -> ScriptedIMAPServer {
        let group = MultiThreadedEventLoopGroup.singleton
        let result = OutcomePromise(group.next().makePromise(of: Outcome.self))
        let accepted = NIOLockedValueBox(false)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                let first = accepted.withLockedValue { taken in
                    defer { taken = true }
                    return !taken
                }
                guard first else { return child.close() }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ScriptHandler(steps: script, result: result))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedIMAPServer(serverChannel: channel, port: channel.localAddress!.port!, result: result)
    }

    /// Waits for the script to end (or the client to leave) and returns what happened.
    public func finish() async throws -> Outcome {
        try await result.promise.futureResult.get()
    }

    /// Stops listening. A script that never got a client ends with that as its failure.
    public func stop() async {
        try? await serverChannel.close()
        result.complete(Outcome(failures: ["no client connected"]))
    }
}

/// The outcome, completed once whoever finishes first.
final class OutcomePromise: Sendable {
    let promise: EventLoopPromise<ScriptedIMAPServer.Outcome>
    private let done = NIOLockedValueBox(false)

    init(_ promise: EventLoopPromise<ScriptedIMAPServer.Outcome>) { self.promise = promise }

    func complete(_ outcome: ScriptedIMAPServer.Outcome) {
        let first = done.withLockedValue { done in
            defer { done = true }
            return !done
        }
        if first { promise.succeed(outcome) }
    }
}

/// Runs the script on one connection, step by step, as bytes arrive and timers fire.
final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let steps: [ScriptedIMAPServer.Step]
    private let result: OutcomePromise
    private var position = 0
    private var pending = ByteBuffer()
    private var lastTag = "*"
    private var outcome = ScriptedIMAPServer.Outcome()
    private var paused = false
    private var finished = false

    init(steps: [ScriptedIMAPServer.Step], result: OutcomePromise) {
        self.steps = steps
        self.result = result
    }

    func channelActive(context: ChannelHandlerContext) {
        advance(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        advance(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            if position < steps.count, case .waitForClose = steps[position] {
                // The client left, as the script expected.
            } else if position < steps.count {
                outcome.failures.append("client closed while step \(position + 1) (\(steps[position])) was pending")
            }
            end(context, close: false)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.failures.append("server error: \(error)")
        end(context, close: true)
    }

    private func end(_ context: ChannelHandlerContext, close: Bool) {
        guard !finished else { return }
        finished = true
        result.complete(outcome)
        if close { context.close(promise: nil) }
    }

    /// Runs steps until one has to wait for bytes, a timer, or the client closing.
    private func advance(_ context: ChannelHandlerContext) {
        while !finished, !paused, position < steps.count {
            switch steps[position] {
            case let .send(text):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text.replacingTag(with: lastTag))), promise: nil)
                position += 1
            case let .sendBytes(bytes):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
                position += 1
            case let .expect(fragment):
                guard let newline = pending.readableBytesView.firstIndex(of: 0x0A) else { return }
                let line = pending.readString(length: newline - pending.readerIndex + 1)!
                let text = line.trimmingLineEnd()
                outcome.received.append(text)
                if let tag = text.split(separator: " ").first { lastTag = String(tag) }
                if !fragment.isEmpty, !text.lowercased().contains(fragment.lowercased()) {
                    outcome.failures.append("expected a line containing \(fragment), got \(text)")
                    return end(context, close: true)
                }
                position += 1
            case let .expectBytes(count):
                guard pending.readableBytes >= count else { return }
                pending.moveReaderIndex(forwardBy: count)
                position += 1
            case .expectTLSHandshake:
                guard let first = pending.readableBytesView.first else { return }
                outcome.sawTLSHandshake = first == 0x16
                if !outcome.sawTLSHandshake {
                    outcome.received.append(pending.readString(length: pending.readableBytes) ?? "")
                    outcome.failures.append("expected a TLS handshake, got plaintext")
                }
                return end(context, close: true)
            case let .pause(milliseconds):
                position += 1
                paused = true
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) { [self] in
                    paused = false
                    advance(context)
                }
                return
            case .close:
                return end(context, close: true)
            case .waitForClose:
                pending.clear()
                return
            }
        }
        if !finished, !paused, position >= steps.count { end(context, close: true) }
    }
}

extension String {
    func replacingTag(with tag: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: "{tag}") {
            result += rest[..<range.lowerBound]
            result += tag
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    func trimmingLineEnd() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" || last == "\r\n" || last == " " { text.removeLast() }
        return String(text)
    }
}
