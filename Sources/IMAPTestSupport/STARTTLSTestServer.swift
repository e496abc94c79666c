import Foundation
public import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import NIOSSL

/// A fake IMAP server on 127.0.0.1 that only gets as far as STARTTLS (RFC 3501 §6.2.1), with a
/// certificate of the test's choosing: for what a client does when the certificate it meets only
/// after the upgrade is bad (expired, from another CA), which the real Dovecot cannot serve on demand.
///
/// It greets `* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready` and answers tagged
/// commands: CAPABILITY with that list (`IMAP4rev1 AUTH=PLAIN` once TLS is up), STARTTLS with
/// `OK Begin TLS` followed by TLS at the front of the pipeline, LOGOUT with BYE and OK, anything
/// else OK. It records every command line, to show what a client sent, credentials included.
///
/// It serves every connection, up to `maxConnections` at a time; a line longer than
/// `maxLineLength` closes its connection, and at most `maxRecordedLines` lines are kept: a client
/// gone wrong cannot make a test hang or grow without end.
public final class STARTTLSTestServer: LoopbackLineServer {
    public static let capabilities = "IMAP4rev1 STARTTLS LOGINDISABLED"
    public static let capabilitiesAfterTLS = "IMAP4rev1 AUTH=PLAIN"
    static let maxConnections = 16
    static let maxLineLength = 8192
    static let maxRecordedLines = 1000

    /// What the server saw, over every connection.
    public struct Record: Sendable {
        public var connections = 0
        /// Every command line (without CRLF), in arrival order.
        public var lines: [String] = []
        /// How many of them arrived after STARTTLS, inside TLS.
        public var linesOverTLS = 0
    }

    public let channel: any Channel
    public let record: NIOLockedValueBox<Record>

    private init(channel: any Channel, record: NIOLockedValueBox<Record>) {
        self.channel = channel
        self.record = record
    }

    /// Listens on an ephemeral loopback port; after STARTTLS every connection presents `tls`.
    public static func start(tls: NIOSSLContext) async throws -> STARTTLSTestServer {
        let record = NIOLockedValueBox(Record())
        let channel = try await listen(maxConnections: maxConnections, accepted: { record.withLockedValue { $0.connections += 1 } }) {
            Session(tls: tls, record: record)
        }
        return STARTTLSTestServer(channel: channel, record: record)
    }

    /// One connection: lines in, answers out, TLS once STARTTLS is answered.
    final class Session: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let tls: NIOSSLContext
        let record: NIOLockedValueBox<Record>
        private var buffer = ByteBuffer()
        private var secure = false

        init(tls: NIOSSLContext, record: NIOLockedValueBox<Record>) {
            self.tls = tls
            self.record = record
        }

        func channelActive(context: ChannelHandlerContext) {
            send("* OK [CAPABILITY \(STARTTLSTestServer.capabilities)] ready", context: context)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            while context.channel.isActive, let end = buffer.readableBytesView.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer.readBytes(length: end - buffer.readerIndex + 1)!, as: UTF8.self)
                    .trimmingCharacters(in: ["\r", "\n"])
                record.withLockedValue { record in
                    guard record.lines.count < STARTTLSTestServer.maxRecordedLines else { return }
                    record.lines.append(line)
                    if secure { record.linesOverTLS += 1 }
                }
                answer(line, context: context)
            }
            if buffer.readableBytes > STARTTLSTestServer.maxLineLength { context.close(promise: nil) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A client that refuses the certificate ends the handshake with an alert: done.
            context.close(promise: nil)
        }

        private func send(_ line: String, context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: nil)
        }

        private func answer(_ line: String, context: ChannelHandlerContext) {
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count >= 2 else {
                send("* BAD no command", context: context)
                return
            }
            let (tag, command) = (words[0], words[1].uppercased())
            switch command {
            case "CAPABILITY":
                send("* CAPABILITY \(secure ? STARTTLSTestServer.capabilitiesAfterTLS : STARTTLSTestServer.capabilities)", context: context)
                send("\(tag) OK done", context: context)
            case "STARTTLS" where !secure:
                // The OK goes out in clear before TLS is at the front; whatever the client sent
                // after STARTTLS in the same packet is dropped, as RFC 3501 §6.2.1 requires.
                send("\(tag) OK Begin TLS", context: context)
                buffer.clear()
                secure = true
                do {
                    try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                } catch {
                    context.close(promise: nil)
                }
            case "LOGOUT":
                send("* BYE logging out", context: context)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\(tag) OK done\r\n"))).whenComplete { _ in
                    channel.close(promise: nil)
                }
            default:
                send("\(tag) OK done", context: context)
            }
        }
    }
}
