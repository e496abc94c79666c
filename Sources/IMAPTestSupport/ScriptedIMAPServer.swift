import NIOCore
import NIOPosix

/// A fake IMAP server on 127.0.0.1 that follows a script, for misbehaviour the real Dovecot will
/// not produce on demand: a greeting that never comes, BYE during IDLE, STARTTLS refused, bytes
/// injected after STARTTLS, an oversized literal, a connection cut mid-literal.
///
/// It serves exactly one connection. `{tag}` in a sent line stands for the tag of the last
/// command line the client sent.
public final class ScriptedIMAPServer: Sendable {
    /// One step of the script.
    public enum Step: Sendable {
        /// Write these bytes (with `{tag}` replaced).
        case send(String)
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

    private let serverChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    public let port: Int
    private let outcome: EventLoopPromise<Outcome>

    private init(serverChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, port: Int,
                 outcome: EventLoopPromise<Outcome>) {
        self.serverChannel = serverChannel
        self.port = port
        self.outcome = outcome
    }

    /// Starts listening on an ephemeral loopback port; runs `script` on the first connection.
    public static func start(_ script: [Step]) async throws -> ScriptedIMAPServer {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        let promise = group.next().makePromise(of: Outcome.self)
        let server = ScriptedIMAPServer(serverChannel: channel, port: channel.channel.localAddress!.port!,
                                        outcome: promise)
        promise.completeWithTask {
            try await channel.executeThenClose { inbound in
                for try await connection in inbound {
                    return await Self.run(script, on: connection)
                }
                return Outcome(failures: ["no client connected"])
            }
        }
        return server
    }

    /// Waits for the script to end (or the client to leave) and returns what happened.
    public func finish() async throws -> Outcome {
        try await outcome.futureResult.get()
    }

    /// Stops listening; the script's connection is closed.
    public func stop() async {
        try? await serverChannel.channel.close()
    }

    private static func run(_ script: [Step], on connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async -> Outcome {
        var outcome = Outcome()
        do {
            try await connection.executeThenClose { inbound, outbound in
                var reader = inbound.makeAsyncIterator()
                var pending = ByteBuffer()
                var lastTag = "*"
                func fill() async throws -> Bool {
                    guard var more = try await reader.next() else { return false }
                    pending.writeBuffer(&more)
                    return true
                }
                for step in script {
                    switch step {
                    case let .send(text):
                        try await outbound.write(ByteBuffer(string: text.replacingOccurrences(of: "{tag}", with: lastTag)))
                    case let .expect(fragment):
                        var line: String?
                        while line == nil {
                            if let newline = pending.readableBytesView.firstIndex(of: 0x0A) {
                                let length = newline - pending.readerIndex + 1
                                line = pending.readString(length: length)
                            } else if try await !fill() {
                                outcome.failures.append("client closed while \(fragment) was expected")
                                return
                            }
                        }
                        let text = line!.trimmingCharacters(in: .whitespacesAndNewlines)
                        outcome.received.append(text)
                        if let tag = text.split(separator: " ").first { lastTag = String(tag) }
                        if !fragment.isEmpty, !text.lowercased().contains(fragment.lowercased()) {
                            outcome.failures.append("expected a line containing \(fragment), got \(text)")
                            return
                        }
                    case let .expectBytes(count):
                        while pending.readableBytes < count {
                            guard try await fill() else {
                                outcome.failures.append("client closed before sending \(count) bytes")
                                return
                            }
                        }
                        pending.moveReaderIndex(forwardBy: count)
                    case .expectTLSHandshake:
                        while pending.readableBytes < 1 {
                            guard try await fill() else {
                                outcome.failures.append("client closed instead of starting TLS")
                                return
                            }
                        }
                        outcome.sawTLSHandshake = pending.readableBytesView.first == 0x16
                        if !outcome.sawTLSHandshake {
                            let text = pending.readString(length: pending.readableBytes) ?? ""
                            outcome.received.append(text)
                            outcome.failures.append("expected a TLS handshake, got plaintext")
                        }
                        return
                    case let .pause(milliseconds):
                        try await Task.sleep(for: .milliseconds(milliseconds))
                    case .close:
                        return
                    case .waitForClose:
                        while try await fill() { pending.clear() }
                    }
                }
            }
        } catch {
            outcome.failures.append("server error: \(error)")
        }
        return outcome
    }
}
