import Foundation
public import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix

/// A small fake IMAP server on 127.0.0.1 with an autologout timer (RFC 3501 §5.4: at least 30
/// minutes, reset by any command): a connection that sends nothing for `autologout` gets
/// `* BYE Autologout` and is closed. A client in IDLE sends nothing until DONE, so a client that
/// does not re-issue IDLE before the autologout is logged out in the middle of it.
///
/// It serves any number of connections and answers just what a watcher sends: CAPABILITY,
/// LOGIN, SELECT/EXAMINE (an empty mailbox), NOOP, UID SEARCH, IDLE/DONE, LOGOUT; anything
/// else gets BAD. Durations are real: a test on a `ScaledClock` passes `clock.real(30 min)`.
public final class AutologoutIMAPServer: LoopbackLineServer {
    /// What happened, over every connection.
    public struct Record: Sendable {
        public var connections = 0
        public var autologouts = 0
        /// Every IDLE: when it started and (once DONE came) ended, on the continuous clock.
        public var idles: [(start: ContinuousClock.Instant, end: ContinuousClock.Instant?)] = []
    }

    public let channel: any Channel
    public let record: NIOLockedValueBox<Record>

    private init(channel: any Channel, record: NIOLockedValueBox<Record>) {
        self.channel = channel
        self.record = record
    }

    public static func start(autologout: Duration) async throws -> AutologoutIMAPServer {
        let record = NIOLockedValueBox(Record())
        let timeout = TimeAmount.nanoseconds(Int64(autologout.components.seconds) * 1_000_000_000
                                             + Int64(autologout.components.attoseconds / 1_000_000_000))
        let channel = try await listen(accepted: { record.withLockedValue { $0.connections += 1 } }) {
            Session(autologout: timeout, record: record)
        }
        return AutologoutIMAPServer(channel: channel, record: record)
    }

    /// One connection: lines in, answers out, the autologout timer reset by every line.
    final class Session: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        static let capabilities = "IMAP4rev1 IDLE LITERAL+ UIDPLUS"

        let autologout: TimeAmount
        let record: NIOLockedValueBox<Record>
        private var buffer = ByteBuffer()
        private var timer: Scheduled<Void>?
        /// The tag of the IDLE in progress.
        private var idleTag: String?

        init(autologout: TimeAmount, record: NIOLockedValueBox<Record>) {
            self.autologout = autologout
            self.record = record
        }

        func channelActive(context: ChannelHandlerContext) {
            send("* OK [CAPABILITY \(Self.capabilities)] fake server with autologout ready", context: context)
            armTimer(context: context)
        }

        func channelInactive(context: ChannelHandlerContext) {
            timer?.cancel()
            context.fireChannelInactive()
        }

        private func armTimer(context: ChannelHandlerContext) {
            timer?.cancel()
            let channel = context.channel, record = self.record
            timer = context.eventLoop.scheduleTask(in: autologout) {
                record.withLockedValue { $0.autologouts += 1 }
                channel.writeAndFlush(ByteBuffer(string: "* BYE Autologout; idle for too long\r\n")).whenComplete { _ in
                    channel.close(promise: nil)
                }
            }
        }

        private func send(_ line: String, context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            while let end = buffer.readableBytesView.firstIndex(of: 0x0A) {
                let length = end - buffer.readerIndex + 1
                let line = String(decoding: buffer.readBytes(length: length)!, as: UTF8.self)
                    .trimmingCharacters(in: ["\r", "\n"])
                armTimer(context: context)
                answer(line, context: context)
            }
        }

        private func answer(_ line: String, context: ChannelHandlerContext) {
            if let tag = idleTag {
                guard line.uppercased() == "DONE" else { return }
                idleTag = nil
                record.withLockedValue { record in
                    if let last = record.idles.indices.last { record.idles[last].end = .now }
                }
                send("\(tag) OK Idle completed", context: context)
                return
            }
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count >= 2 else {
                send("* BAD empty command", context: context)
                return
            }
            let (tag, command) = (words[0], words[1].uppercased())
            let argument = words.count > 2 ? words[2].uppercased() : ""
            switch command {
            case "CAPABILITY":
                send("* CAPABILITY \(Self.capabilities)", context: context)
                send("\(tag) OK done", context: context)
            case "LOGIN":
                send("\(tag) OK [CAPABILITY \(Self.capabilities)] logged in", context: context)
            case "SELECT", "EXAMINE":
                send("* FLAGS (\\Seen \\Deleted)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] ok\r\n* OK [UIDNEXT 1] ok", context: context)
                send("\(tag) OK [\(command == "EXAMINE" ? "READ-ONLY" : "READ-WRITE")] done", context: context)
            case "NOOP", "ENABLE", "ID":
                send("\(tag) OK done", context: context)
            case "UID" where argument.hasPrefix("SEARCH"):
                send("* SEARCH", context: context)
                send("\(tag) OK done", context: context)
            case "IDLE":
                idleTag = tag
                record.withLockedValue { $0.idles.append((start: .now, end: nil)) }
                send("+ idling", context: context)
            case "LOGOUT":
                send("* BYE logging out", context: context)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\(tag) OK done\r\n"))).whenComplete { _ in
                    channel.close(promise: nil)
                }
            default:
                send("\(tag) BAD unknown command", context: context)
            }
        }
    }
}
