import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on 127.0.0.1 between a client under test and a real server, that breaks the
/// connection on command: cut it (a reset) when given bytes pass, freeze it (open, silent: a
/// half-open connection), stall new connections (accepted, never answered), trickle one byte at
/// a time, or reset at random with a seed. Loopback only, and every fault is bounded: a freeze
/// or stall lasts until the test changes it, random resets stop after their limit.
///
/// Meant for plaintext IMAP, so the triggers can see the protocol. Each accepted connection is
/// connected onward on the same event loop, so the script's timing does not depend on the
/// Swift task pool.
public final class FaultProxy: Sendable {
    /// How new bytes are passed on.
    public enum Mode: Sendable, Equatable {
        /// Both ways, at once.
        case forward
        /// New connections are accepted and never connected onward: no greeting, no answer.
        /// Connections already open keep forwarding.
        case stall
        /// Both ways, one byte at a time, this far apart.
        case trickle(Duration)
        /// The server's bytes are replaced by random ones (as many): a server sending garbage.
        case garbage
    }

    /// When to cut: once, on the first connection where it happens.
    public enum Trigger: Sendable {
        /// After the server's bytes contain `text` and `after` more of them have passed.
        case server(String, after: Int = 0)
        /// Once the client's bytes containing `text` have passed: the command reaches the
        /// server, its answer never reaches the client.
        case client(String)
    }

    /// One cut, and why.
    public struct Cut: Sendable {
        public var at: ContinuousClock.Instant
        public var reason: String
    }

    struct State {
        var mode: Mode = .forward
        var trigger: Trigger?
        /// Say BYE after every server message containing this text: (text, BYE line).
        var bye: (after: String, line: String)?
        var byes = 0
        /// Capability names hidden from the client (`hideCapability`).
        var hidden: [String] = []
        /// The longest line the client sent, CRLF included.
        var longestClientLine = 0
        /// Random resets: the server's bytes (over all connections) at which the next one
        /// comes, how far apart they are on average, and how many are left.
        var random: (generator: SeededGenerator, nextAt: Int, meanGap: Int, remaining: Int)?
        var serverBytes = 0
        var cuts: [Cut] = []
        var accepted = 0
        /// How often each watched text came from the server.
        var seen: [String: Int] = [:]
        var links: [ObjectIdentifier: Link] = [:]
    }

    private let serverChannel: any Channel
    let state: NIOLockedValueBox<State>
    /// The port to point the client at.
    public let port: Int

    private init(serverChannel: any Channel, state: NIOLockedValueBox<State>) {
        self.serverChannel = serverChannel
        self.state = state
        port = serverChannel.localAddress!.port!
    }

    /// Listens on an ephemeral loopback port and forwards each connection to `host`:`port`.
    public static func start(to host: String, port target: Int) async throws -> FaultProxy {
        let state = NIOLockedValueBox(State())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let stalled = state.withLockedValue { state in
                    state.accepted += 1
                    return state.mode == .stall
                }
                let link = Link(client: inbound)
                state.withLockedValue { $0.links[ObjectIdentifier(link)] = link }
                inbound.closeFuture.whenComplete { _ in
                    _ = state.withLockedValue { $0.links.removeValue(forKey: ObjectIdentifier(link)) }
                }
                if stalled {
                    // Read and drop whatever the client sends; never answer.
                    return inbound.eventLoop.makeCompletedFuture {
                        try inbound.pipeline.syncOperations.addHandler(Relay(link: link, toServer: true, state: state, partner: nil))
                    }
                }
                // The client's bytes are not read before the child's initializer completes, so
                // nothing is lost while the onward connection comes up.
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: host, port: target)
                    .flatMap { outbound in
                        link.server = outbound
                        return inbound.eventLoop.makeCompletedFuture {
                            try inbound.pipeline.syncOperations.addHandler(Relay(link: link, toServer: true, state: state, partner: outbound))
                            try outbound.pipeline.syncOperations.addHandler(Relay(link: link, toServer: false, state: state, partner: inbound))
                        }
                    }
                    .flatMapError { error in
                        inbound.close(promise: nil)
                        return inbound.eventLoop.makeFailedFuture(error)
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FaultProxy(serverChannel: channel, state: state)
    }

    /// Changes how bytes are passed on from now on, on every connection.
    public func setMode(_ mode: Mode) {
        state.withLockedValue { $0.mode = mode }
    }

    /// Arms a one-shot cut.
    public func arm(_ trigger: Trigger) {
        state.withLockedValue { $0.trigger = trigger }
    }

    /// Resets connections at random points of the server's byte stream: gaps drawn uniformly
    /// from 1...2 × `meanGap` bytes by a seeded generator, counted over all connections, at
    /// most `limit` times. Offsets do not depend on how reads are chunked, so a seed repeats a
    /// From now on, on every connection: once the server's bytes contain `text` (say `+ idling`,
    /// Dovecot's answer to IDLE), those bytes pass, then the proxy sends the client
    /// `* BYE <line>` itself and closes both sides — a server that ends every session this way.
    /// `nil` stops it.
    public func sayBye(after text: String?, line: String = "Server shutting down.") {
        state.withLockedValue { $0.bye = text.map { ($0, line) } }
    }

    /// From now on the server seems not to offer `name`: in what it sends, ` NAME` before a
    /// space, `]` or a line end becomes ` XAME` (same length, an unknown capability). Meant for
    /// capability lists; a connection that already has them keeps them.
    public func hideCapability(_ name: String) {
        state.withLockedValue { $0.hidden.append(name) }
    }

    /// The longest line any client sent so far, in octets with its CRLF: RFC 7162 §4 asks
    /// clients to keep command lines within 8,192 octets.
    public var longestClientLine: Int { state.withLockedValue { $0.longestClientLine } }

    /// How many BYEs `sayBye` sent.
    public var byes: Int { state.withLockedValue { $0.byes } }

    /// run as long as the server sends the same bytes.
    public func resetRandomly(seed: UInt64, meanGap: Int, limit: Int) {
        var generator = SeededGenerator(seed: seed)
        let first = Int(generator.next() % UInt64(2 * meanGap)) + 1
        state.withLockedValue { $0.random = (generator, $0.serverBytes + first, meanGap, limit) }
    }

    /// Cuts every open connection now; returns how many.
    @discardableResult
    public func cutAll(reason: String = "cut by the test") -> Int {
        let links = state.withLockedValue { Array($0.links.values) }
        for link in links { link.cut(reason: reason, state: state) }
        return links.count
    }

    /// Silences every open connection: both sockets stay open and nothing passes either way,
    /// like a NAT entry that expired. New connections are not affected. Returns how many.
    @discardableResult
    public func freezeAll() -> Int {
        let links = state.withLockedValue { Array($0.links.values) }
        for link in links { link.frozen.withLockedValue { $0 = true } }
        return links.count
    }

    /// Starts counting how often the server sends `text` (see ``occurrences(of:)``), e.g.
    /// Dovecot's `+ idling`, the sign that the client's IDLE began.
    public func watch(_ text: String) {
        state.withLockedValue { $0.seen[text] = $0.seen[text] ?? 0 }
    }

    /// How often the server sent a watched text so far.
    public func occurrences(of text: String) -> Int {
        state.withLockedValue { $0.seen[text] ?? 0 }
    }

    /// The cuts so far, in order.
    public var cuts: [Cut] { state.withLockedValue { $0.cuts } }

    /// How many connections were accepted so far.
    public var accepted: Int { state.withLockedValue { $0.accepted } }

    /// How many connections are open now.
    public var open: Int { state.withLockedValue { $0.links.count } }

    /// Stops listening and closes every connection.
    public func stop() async {
        try? await serverChannel.close()
        let links = state.withLockedValue { Array($0.links.values) }
        for link in links {
            link.client.eventLoop.execute {
                link.client.close(promise: nil)
                link.server?.close(promise: nil)
            }
        }
    }
}

extension FaultProxy {
    /// One proxied connection: the client's socket and the onward one.
    final class Link: @unchecked Sendable {
        let client: any Channel
        /// Set once, on the event loop, before any byte is relayed.
        var server: (any Channel)?
        let frozen = NIOLockedValueBox(false)
        let cutOnce = NIOLockedValueBox(false)

        init(client: any Channel) {
            self.client = client
        }

        /// Resets the client's side (SO_LINGER 0: an RST, as a crashed peer or a middlebox
        /// sends) and closes the server's.
        func cut(reason: String, state: NIOLockedValueBox<State>) {
            // Nothing more passes, and a link is cut once: reads already under way are dropped.
            guard !cutOnce.withLockedValue({ done in defer { done = true }; return done }) else { return }
            frozen.withLockedValue { $0 = true }
            state.withLockedValue { $0.cuts.append(Cut(at: .now, reason: reason)) }
            client.eventLoop.execute {
                // On the loop that set `server`.
                let (client, server) = (self.client, self.server)
                let reset = (client as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                    ?? client.eventLoop.makeSucceededVoidFuture()
                reset.whenComplete { _ in
                    client.close(promise: nil)
                    server?.close(promise: nil)
                }
            }
        }
    }
}

extension FaultProxy.Link {
    /// Sends the client `* BYE <line>` (after what was relayed to it) and closes both sides.
    func bye(_ line: String) {
        guard !cutOnce.withLockedValue({ done in defer { done = true }; return done }) else { return }
        frozen.withLockedValue { $0 = true }
        client.eventLoop.execute {
            let (client, server) = (self.client, self.server)
            client.writeAndFlush(ByteBuffer(string: "* BYE \(line)\r\n")).whenComplete { _ in
                client.close(promise: nil)
                server?.close(promise: nil)
            }
        }
    }
}

extension FaultProxy {
    /// Relays one direction of a link, applying the faults.
    final class Relay: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        let link: Link
        let toServer: Bool
        let state: NIOLockedValueBox<State>
        let partner: (any Channel)?
        /// The last bytes seen this way, so a trigger's text split across reads is found.
        private var tail: [UInt8] = []
        /// Bytes still to pass before the armed cut.
        private var cutAfter: Int?
        /// Bytes waiting to trickle out.
        private var pending: ByteBuffer?

        init(link: Link, toServer: Bool, state: NIOLockedValueBox<State>, partner: (any Channel)?) {
            self.link = link
            self.toServer = toServer
            self.state = state
            self.partner = partner
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            guard partner != nil, !link.frozen.withLockedValue({ $0 }) else { return }
            if let remaining = cutAfter {
                pass(bytes.readSlice(length: min(remaining, bytes.readableBytes))!, context: context)
                cutAfter = remaining - min(remaining, bytes.readableBytes)
                if cutAfter == 0 { link.cut(reason: "armed cut", state: state) }
                return
            }
            let view = Array(bytes.readableBytesView)
            var bye: String?
            let hidden = toServer ? [] : state.withLockedValue { $0.hidden }
            if !hidden.isEmpty { bytes = Self.hiding(hidden, in: bytes) }
            if toServer { measureLines(bytes) }
            let (cutAt, reason, mode) = state.withLockedValue { state -> (Int?, String, Mode) in
                if !toServer {
                    for text in state.seen.keys where find(text, in: view) != nil { state.seen[text]! += 1 }
                    if let (after, line) = state.bye, find(after, in: view) != nil {
                        state.byes += 1
                        bye = line
                    }
                }
                if let trigger = state.trigger, let at = match(trigger, in: view) {
                    state.trigger = nil
                    return (at, "armed cut", state.mode)
                }
                if !toServer {
                    let start = state.serverBytes
                    state.serverBytes += view.count
                    if var random = state.random, random.remaining > 0, random.nextAt <= state.serverBytes {
                        let offset = max(random.nextAt - start, 0)
                        random.remaining -= 1
                        random.nextAt = state.serverBytes + Int(random.generator.next() % UInt64(2 * random.meanGap)) + 1
                        state.random = random
                        return (offset, "random reset", state.mode)
                    }
                }
                return (nil, "", state.mode)
            }
            tail = Array((tail + view).suffix(256))
            guard let cutAt else {
                pass(bytes, context: context, mode: mode)
                if let bye { link.bye(bye) }
                return
            }
            if cutAt > view.count {
                // The trigger wants more bytes than this read has: pass them all, cut later.
                pass(bytes, context: context, mode: mode)
                cutAfter = cutAt - view.count
                return
            }
            pass(bytes.readSlice(length: cutAt)!, context: context, mode: .forward)
            link.cut(reason: reason, state: state)
        }

        /// Octets of the client's current line so far.
        private var lineLength = 0

        private func measureLines(_ bytes: ByteBuffer) {
            var longest = 0
            for byte in bytes.readableBytesView {
                lineLength += 1
                if byte == 0x0A {
                    longest = max(longest, lineLength)
                    lineLength = 0
                }
            }
            let open = lineLength
            state.withLockedValue { $0.longestClientLine = max($0.longestClientLine, longest, open) }
        }

        /// `bytes` with every ` NAME` of `names` followed by a space, `]` or CR made ` XAME`.
        static func hiding(_ names: [String], in bytes: ByteBuffer) -> ByteBuffer {
            var view = Array(bytes.readableBytesView)
            for name in names {
                let needle = Array(" \(name.uppercased())".utf8)
                var start = 0
                while start + needle.count < view.count {
                    if view[start..<start + needle.count].elementsEqual(needle), [0x20, 0x5D, 0x0D].contains(view[start + needle.count]) {
                        view[start + 1] = UInt8(ascii: "X")
                        start += needle.count
                    } else {
                        start += 1
                    }
                }
            }
            return ByteBuffer(bytes: view)
        }

        /// Where in `view` (an offset, possibly beyond its end) the trigger cuts, if it fires
        /// in this read.
        private func match(_ trigger: Trigger, in view: [UInt8]) -> Int? {
            let (text, after): (String, Int)
            switch trigger {
            case let .server(needle, more) where !toServer: (text, after) = (needle, more)
            case let .client(needle) where toServer: (text, after) = (needle, 0)
            default: return nil
            }
            guard let end = find(text, in: view) else { return nil }
            // A client trigger cuts after the whole read (the command line) has passed.
            return toServer ? view.count : end + after
        }

        /// Where in `view` the first match of `text` ends that was not wholly in the earlier
        /// bytes (a match may start in them: reads split text anywhere).
        private func find(_ text: String, in view: [UInt8]) -> Int? {
            let needle = Array(text.utf8)
            let haystack = tail + view
            guard haystack.count >= needle.count else { return nil }
            for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
                let end = start + needle.count - tail.count
                if end > 0 { return end }
            }
            return nil
        }

        private func pass(_ bytes: ByteBuffer, context: ChannelHandlerContext, mode: Mode = .forward) {
            guard let partner, bytes.readableBytes > 0 else { return }
            if mode == .garbage, !toServer {
                partner.writeAndFlush(ByteBuffer(bytes: (0..<bytes.readableBytes).map { _ in UInt8.random(in: 0...255) }), promise: nil)
            } else if case let .trickle(interval) = mode {
                if pending == nil {
                    pending = bytes
                    trickle(partner: partner, interval: interval, eventLoop: context.eventLoop)
                } else {
                    var queued = bytes
                    pending!.writeBuffer(&queued)
                }
            } else if var queued = pending {
                // Bytes still trickling go first.
                queued.writeImmutableBuffer(bytes)
                pending = queued
            } else {
                partner.writeAndFlush(bytes, promise: nil)
            }
        }

        private func trickle(partner: any Channel, interval: Duration, eventLoop: any EventLoop) {
            guard var queued = pending else { return }
            let trickling: Bool = state.withLockedValue { if case .trickle = $0.mode { true } else { false } }
            if !trickling || link.frozen.withLockedValue({ $0 }) {
                if !link.frozen.withLockedValue({ $0 }) { partner.writeAndFlush(queued, promise: nil) }
                pending = nil
                return
            }
            partner.writeAndFlush(queued.readSlice(length: 1)!, promise: nil)
            pending = queued.readableBytes > 0 ? queued : nil
            guard pending != nil else { return }
            let nanoseconds = interval.components.seconds * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
            eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) {
                self.trickle(partner: partner, interval: interval, eventLoop: eventLoop)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner?.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// SplitMix64: a small, seedable generator, so a failing random-reset run can be repeated.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
