import IMAPCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// The channel handler behind ``IMAPSession``: parses responses, writes commands (pipelined,
/// with continuation handling), routes untagged data, enforces timeouts, and upgrades to TLS
/// on STARTTLS. All state is confined to the channel's event loop; the session reaches it
/// through `NIOLoopBound`.
final class IMAPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let commandTimeout: TimeAmount
    private let logger: Logger
    private var parser: ResponseParser
    /// Received bytes not parsed yet.
    private(set) var buffer = ByteBuffer()
    private var context: ChannelHandlerContext?

    private(set) var capabilities: [Capability] = []
    private var encoder = CommandEncoder()
    private var nextTag = 1

    private var greeting: EventLoopPromise<StatusResponse>?
    private var waiting: [PendingCommand] = []
    private var inFlight: [PendingCommand] = []
    /// The sent command that is exchanging continuations; nothing else is sent meanwhile.
    private var interactive: PendingCommand?
    private var idleSink: AsyncThrowingStream<MailboxEvent, any Error>.Continuation?
    private var idling = false
    /// Set while processing a STARTTLS OK: the rest of the buffer must be thrown away.
    private var discardBuffered = false

    /// Unsolicited events seen outside IDLE, oldest first, bounded.
    private(set) var events: [MailboxEvent] = []
    private let maxEvents = 10_000
    /// Incremented for every EXISTS/RECENT seen, in or out of IDLE.
    private(set) var newMailSignals = 0
    private(set) var closedError: IMAPClientError?
    private var byeText: String?
    /// When bytes last arrived: a command times out only after `commandTimeout` of silence, so
    /// a long download for one command does not time out the commands pipelined behind it.
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)

    init(commandTimeout: TimeAmount, limits: Limits, logger: Logger, greeting: EventLoopPromise<StatusResponse>) {
        self.commandTimeout = commandTimeout
        self.parser = ResponseParser(limits: limits)
        self.logger = logger
        self.greeting = greeting
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        lastActivity = context.eventLoop.now
        buffer.writeBuffer(&bytes)
        do {
            while closedError == nil, let response = try parser.parse(&buffer) {
                try handle(response)
                if discardBuffered {
                    discardBuffered = false
                    if buffer.readableBytes > 0 {
                        logger.warning("discarding bytes received before the TLS handshake",
                                       metadata: ["bytes": "\(buffer.readableBytes)"])
                    }
                    buffer.clear()
                    parser.resetFraming()
                    break
                }
            }
            if buffer.readerIndex > 65_536 { compactBuffer() }
        } catch let error as IMAPCoreError {
            fail(IMAPClientError(.protocolViolation, error.description))
        } catch let error as IMAPClientError {
            fail(error)
        } catch {
            fail(IMAPClientError(.protocolViolation, "\(error)"))
        }
    }

    /// Moves the unparsed bytes into a buffer of their own. The responses parsed from the old
    /// one (a message's literal above all) are slices that share its storage, so compacting it
    /// in place (`discardReadBytes`) would copy its whole capacity — after a 10 MB literal, 16 MB
    /// or more — once per response, each copy kept alive by the next response's slices: 537 MB
    /// at the peak of the adversarial corpus (heaptrack), where the messages waiting held 40 MB.
    /// The old storage now lives only as long as the slices taken from it.
    private func compactBuffer() {
        var rest = ByteBuffer()
        rest.reserveCapacity(max(buffer.readableBytes, 4096))
        rest.writeBuffer(&buffer)
        buffer = rest
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, let pending = interactive, case .startTLS = pending.command {
            complete(pending, with: CommandResult(status: StatusResponse(kind: .ok, text: "TLS established"), untagged: []))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = byeText.map { IMAPClientError(.connectionClosed, "server closed the connection", serverText: $0) }
            ?? IMAPClientError(.connectionClosed, "connection closed")
        fail(error, close: false)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(Self.classify(error))
    }

    /// How a certificate that failed verification is described (`IMAPSession.connect` then
    /// looks whether its dates are the reason).
    static let untrusted = "the server certificate is not trusted"

    static func classify(_ error: any Error) -> IMAPClientError {
        if let error = error as? IMAPClientError { return error }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            let detail = "\(error)"
            if detail.contains("CERTIFICATE_VERIFY_FAILED") {
                return IMAPClientError(.tlsFailure, "\(untrusted) (add its CA with a CA file): \(detail)")
            }
            if detail.contains("failedToValidateHostname") {
                return IMAPClientError(.tlsFailure, "the server certificate does not match the host name: \(detail)")
            }
            return IMAPClientError(.tlsFailure, "TLS failed: \(detail)")
        }
        if error is IMAPCoreError { return IMAPClientError(.protocolViolation, "\(error)") }
        return IMAPClientError(.connectionClosed, "connection error: \(error)")
    }

    // MARK: Submitting

    /// Queues a command and sends it as soon as nothing interactive is in the way.
    func submit(_ command: Command, promise: EventLoopPromise<CommandResult>, sasl: (any SASLMechanism)? = nil,
                onFetch: ((FetchResponse) -> Void)? = nil, idleStarted: EventLoopPromise<Void>? = nil,
                tlsHandler: NIOSSLClientHandler? = nil) {
        if let closedError {
            promise.fail(closedError)
            idleStarted?.fail(closedError)
            return
        }
        if idling || (interactive.map { if case .idle = $0.command { return true } else { return false } } ?? false) {
            let error = IMAPClientError(.invalidState, "a command was sent while IDLE is active")
            promise.fail(error)
            idleStarted?.fail(error)
            return
        }
        let number = String(nextTag)
        let tag = "A" + String(repeating: "0", count: max(0, 4 - number.count)) + number
        nextTag += 1
        // Encoded only when sent (pump): a command queued behind STARTTLS or AUTHENTICATE must use
        // the literal forms of the capabilities valid then, not those from before.
        let pending = PendingCommand(tag: tag, command: command, segments: [], promise: promise,
                                     sasl: sasl, onFetch: onFetch, idleStarted: idleStarted, tlsHandler: tlsHandler)
        logger.trace("command", metadata: ["tag": "\(tag)", "command": "\(command.logDescription)"])
        waiting.append(pending)
        pump()
    }

    /// Ends IDLE (RFC 2177): writes DONE; the IDLE command completes with its tagged OK.
    func endIdle() {
        guard idling, let context, let pending = interactive else { return }
        idling = false
        context.writeAndFlush(wrapOutboundOut(CommandEncoder.idleDone), promise: nil)
        armTimeout(pending)
    }

    private func pump() {
        guard let context else { return }
        while interactive == nil, !waiting.isEmpty {
            let pending = waiting.removeFirst()
            do {
                pending.segments = try encoder.encode(tag: pending.tag, pending.command).segments
            } catch {
                let failure = IMAPClientError(.invalidState, "cannot encode \(pending.command.logDescription): \(error)")
                pending.idleStarted?.fail(failure)
                pending.idleStarted = nil
                pending.promise.fail(failure)
                continue
            }
            let first = pending.segments.removeFirst()
            inFlight.append(pending)
            armTimeout(pending)
            context.write(wrapOutboundOut(first), promise: nil)
            if pending.isInteractive { interactive = pending }
        }
        context.flush()
    }

    private func armTimeout(_ pending: PendingCommand, deadline: NIODeadline? = nil) {
        pending.timeout?.cancel()
        guard let context else { return }
        pending.timeout = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline ?? context.eventLoop.now + commandTimeout) {
            [weak self, weak pending] in
            guard let self, let pending else { return }
            // Still hearing from the server: wait until it has been silent for the whole period.
            let quietUntil = self.lastActivity + self.commandTimeout
            if let context = self.context, quietUntil > context.eventLoop.now {
                self.armTimeout(pending, deadline: quietUntil)
                return
            }
            self.fail(IMAPClientError(.timeout, "no answer to \(pending.tag) \(pending.command.logDescription) within \(self.commandTimeout.nanoseconds / 1_000_000) ms"))
        }
    }

    // MARK: Responses

    private func handle(_ response: Response) throws {
        if let greeting {
            self.greeting = nil
            guard case let .untagged(.condition(status)) = response, [.ok, .preauth, .bye].contains(status.kind) else {
                let error = IMAPClientError(.protocolViolation, "the server did not start with a greeting")
                greeting.fail(error)
                throw error
            }
            if case let .capability(list) = status.code { updateCapabilities(list) }
            if status.kind == .bye { byeText = status.text }
            greeting.succeed(status)
            return
        }
        switch response {
        case let .continuation(text):
            try continuation(text)
        case let .tagged(tagged):
            guard let index = inFlight.firstIndex(where: { $0.tag == tagged.tag }) else {
                throw IMAPClientError(.protocolViolation, "completion for unknown tag \(tagged.tag)")
            }
            let pending = inFlight[index]
            if case let .capability(list) = tagged.status.code { updateCapabilities(list) }
            if case .startTLS = pending.command, tagged.status.kind == .ok, let tls = pending.tlsHandler, let context {
                // RFC 3501 §6.2.1 / RFC 2595 §3.1: nothing received before the handshake may be used.
                discardBuffered = true
                updateCapabilities([])
                pending.timeout?.cancel()
                armTimeout(pending)
                try context.pipeline.syncOperations.addHandler(tls, position: .first)
                return  // completes on TLSUserEvent.handshakeCompleted
            }
            complete(pending, with: CommandResult(status: tagged.status, untagged: pending.untagged))
        case let .untagged(untagged):
            untaggedResponse(untagged)
        }
    }

    private func continuation(_ text: String) throws {
        guard let pending = interactive, let context else {
            throw IMAPClientError(.protocolViolation, "unexpected continuation request")
        }
        if !pending.segments.isEmpty {
            context.writeAndFlush(wrapOutboundOut(pending.segments.removeFirst()), promise: nil)
            if pending.segments.isEmpty, !pending.isInteractive {
                interactive = nil
                pump()
            }
            return
        }
        switch pending.command {
        case .idle:
            guard let started = pending.idleStarted, !idling else {
                throw IMAPClientError(.protocolViolation, "unexpected continuation during IDLE")
            }
            idling = true
            pending.timeout?.cancel()  // IDLE lasts until DONE
            pending.idleStarted = nil
            // Events that arrived before IDLE began are handed over first: nothing is lost.
            for event in takeEvents() { idleSink?.yield(event) }
            started.succeed(())
        case .authenticate:
            var reply: String
            do {
                guard let challenge = Base64.decode(text) else {
                    throw IMAPClientError(.protocolViolation, "SASL challenge is not base64")
                }
                let answer = try pending.sasl?.respond(to: challenge) ?? []
                reply = Base64.encode(answer)
            } catch {
                logger.debug("cancelling SASL exchange", metadata: ["reason": "\(error)"])
                reply = "*"  // RFC 3501 §6.2.2: cancel the exchange
            }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply + "\r\n")), promise: nil)
        default:
            throw IMAPClientError(.protocolViolation, "unexpected continuation request")
        }
    }

    private func untaggedResponse(_ response: UntaggedResponse) {
        switch response {
        case let .capability(list): updateCapabilities(list)
        case let .condition(status) where status.kind == .bye:
            byeText = status.text
            if inFlight.contains(where: { if case .logout = $0.command { true } else { false } }) { return }
            deliver(.bye(status.text))
            return
        case let .condition(status) where status.code == .alert:
            // RFC 3501 §7.1: ALERT text must reach a person, even inside SELECT's reply.
            deliver(.alert(status.text))
            return
        default: break
        }
        if let owner = inFlight.first(where: { $0.claims(response) }) {
            if case let .fetch(fetch) = response, let onFetch = owner.onFetch {
                onFetch(fetch)
            } else {
                owner.untagged.append(response)
            }
            // SELECT's EXISTS/RECENT are the mailbox size, but they still mean the sync must look.
            switch response {
            case .exists, .recent: newMailSignals += 1
            default: break
            }
            return
        }
        switch response {
        case let .exists(count): newMailSignals += 1; deliver(.exists(count))
        case let .recent(count): newMailSignals += 1; deliver(.recent(count))
        case let .expunge(number): deliver(.expunge(number))
        case let .fetch(fetch): deliver(.fetch(fetch))
        case let .flags(flags): deliver(.flags(flags))
        case .status:
            // Another mailbox's STATUS (no STATUS command claimed it) must not pass for the
            // result of a STATUS command that happens to be first in flight.
            if let owner = inFlight.first, !owner.isStatus { owner.untagged.append(response) }
        default:
            // Nothing reads an IDLE's untagged data, and a server may send keepalives such as
            // `* OK Still here` every second of an IDLE that lasts minutes: kept, they would
            // pile up for the whole IDLE.
            if let owner = inFlight.first, !owner.isIdle { owner.untagged.append(response) }
        }
    }

    private func deliver(_ event: MailboxEvent) {
        if idling, let idleSink {
            idleSink.yield(event)
            return
        }
        events.append(event)
        if events.count > maxEvents { events.removeFirst(events.count - maxEvents) }
    }

    /// Hands over the unsolicited events gathered outside IDLE.
    func takeEvents() -> [MailboxEvent] {
        defer { events.removeAll() }
        return events
    }

    func setIdleSink(_ sink: AsyncThrowingStream<MailboxEvent, any Error>.Continuation?) {
        idleSink = sink
    }

    private func updateCapabilities(_ list: [Capability]) {
        capabilities = list
        encoder = CommandEncoder(capabilities: list)
    }

    private func complete(_ pending: PendingCommand, with result: CommandResult) {
        pending.timeout?.cancel()
        inFlight.removeAll { $0 === pending }
        if interactive === pending {
            interactive = nil
            if case .idle = pending.command {
                idling = false
                idleSink?.finish()
                idleSink = nil
                pending.idleStarted?.fail(IMAPClientError(.commandFailed, "IDLE refused", serverText: result.status.text))
                pending.idleStarted = nil
            }
        }
        pending.promise.succeed(result)
        pump()
    }

    /// Fails everything outstanding and closes the connection. The first error wins.
    func fail(_ error: IMAPClientError, close: Bool = true) {
        guard closedError == nil else { return }
        closedError = error
        greeting?.fail(error)
        greeting = nil
        for pending in inFlight + waiting {
            pending.timeout?.cancel()
            pending.idleStarted?.fail(error)
            pending.idleStarted = nil
            pending.promise.fail(error)
        }
        inFlight.removeAll()
        waiting.removeAll()
        interactive = nil
        idling = false
        idleSink?.finish(throwing: error)
        idleSink = nil
        if close, let context { context.close(promise: nil) }
    }
}
