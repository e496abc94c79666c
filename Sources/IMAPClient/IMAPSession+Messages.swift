public import IMAPCore
public import NIOCore
import NIOConcurrencyHelpers

extension IMAPSession {
    /// UID SEARCH (RFC 3501 §6.4.4, §6.4.8), sorted ascending. Uses ESEARCH's compact
    /// `ALL` set when the server offers it (RFC 4731).
    public func uidSearch(_ key: SearchKey) async throws -> [UInt32] {
        let useESearch = try await supports(.esearch)
        let result = try await run(.uidSearch(key, returnOptions: useESearch ? ["ALL"] : nil))
        var uids: [UInt32] = []
        for response in result.untagged {
            switch response {
            case let .search(numbers, _): uids.append(contentsOf: numbers)
            case let .esearch(esearch):
                for range in esearch.all?.ranges ?? [] {
                    guard let upper = range.upper, upper >= range.lower else {
                        throw IMAPClientError(.protocolViolation, "ESEARCH ALL with an open range")
                    }
                    uids.append(contentsOf: range.lower...upper)
                }
            default: break
            }
        }
        return uids.sorted()
    }

    /// UID FETCH (RFC 3501 §6.4.5), collecting every response.
    public func uidFetch(_ uids: UIDSet, items: [FetchItem]) async throws -> [FetchResponse] {
        let collected = NIOLockedValueBox<[FetchResponse]>([])
        try await run(.uidFetch(uids, items, changedSince: nil)) { fetch in
            collected.withLockedValue { $0.append(fetch) }
        }
        return collected.withLockedValue { $0 }
    }

    /// Fetches whole messages without setting `\Seen` (`BODY.PEEK[]`), in batches of
    /// `batchSize` UIDs with up to `pipelineDepth` batches in flight, and hands each message to
    /// `body` as soon as its response is complete. Bodies larger than `maxBodySize` are fetched
    /// partially (`BODY.PEEK[]<0.maxBodySize>`, RFC 3501 §6.4.5) and marked truncated, so the
    /// cap is enforced by the server before any byte is buffered.
    ///
    /// Memory stays bounded however slow `body` is: a further batch is sent only while fewer
    /// than `pipelineDepth × batchSize` fetched messages wait for `body`. With `batchBytes`, a
    /// batch also holds at most that many bytes by the messages' RFC822.SIZE (capped at
    /// `maxBodySize`; a larger message goes alone), so a hundred large messages are not in
    /// flight at once: the large ones are found first (`sizedBatches`); and a further batch
    /// also waits while the bodies waiting for `body` hold `pipelineDepth × batchBytes` bytes
    /// or more (batches of a few large messages would otherwise pile up 200 messages deep).
    ///
    /// A UID with no message (expunged meanwhile) is simply not delivered.
    public func fetchMessages(
        uids: [UInt32], maxBodySize: UInt32 = 25 * 1024 * 1024, batchSize: Int = 100, batchBytes: Int? = nil,
        pipelineDepth: Int = 2, _ body: (FetchedMessage) async throws -> Void
    ) async throws {
        let batches: [UIDSet]
        if let batchBytes, uids.count > 1 {
            batches = try await sizedBatches(uids, maxBodySize: maxBodySize, batchSize: max(1, batchSize), batchBytes: batchBytes)
        } else {
            batches = stride(from: 0, to: uids.count, by: max(1, batchSize)).map {
                UIDSet(values: uids[$0..<min($0 + max(1, batchSize), uids.count)])
            }
        }
        guard !batches.isEmpty else { return }
        let items: [FetchItem] = [.uid, .flags, .internalDate, .rfc822Size,
                                  .bodyPeek(section: "", partial: 0...(max(1, maxBodySize) - 1))]
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: FetchResponse.self)
        let depth = max(1, pipelineDepth)
        // No byte budget without `batchBytes`; a product past Int.max is no budget either.
        let waitingBytes = batchBytes.map { depth.multipliedReportingOverflow(by: max(1, $0)) }
        let feeder = BatchFeeder(batches: batches, items: items, depth: depth,
                                 maxWaiting: depth * max(1, batchSize),
                                 maxWaitingBytes: waitingBytes.map { $0.overflow ? .max : $0.partialValue } ?? .max,
                                 handler: handler, eventLoop: eventLoop, continuation: continuation)
        // A consumer that stops early (throws) stops further batches too.
        continuation.onTermination = { _ in feeder.stop() }
        eventLoop.execute { feeder.start() }
        var delivered = Set<UInt32>()
        var iterator = stream.makeAsyncIterator()
        while true {
            let next: FetchResponse?
            do {
                next = try await iterator.next()
            } catch {
                throw IMAPClientHandler.classify(error)
            }
            guard let fetch = next else { return }
            feeder.taken(fetch)
            guard let uid = fetch.uid, let data = fetch.body(section: ""), !delivered.contains(uid) else { continue }
            delivered.insert(uid)
            let bytes = data.bytes ?? ByteBuffer()
            let size = fetch.rfc822Size ?? UInt64(bytes.readableBytes)
            // The consumer's own errors pass through unchanged.
            try await body(FetchedMessage(uid: uid, flags: fetch.flags ?? [], internalDate: fetch.internalDate,
                                          size: size, body: bytes, truncated: size > UInt64(bytes.readableBytes)))
        }
    }

    /// `uids` in batches of at most `batchSize` UIDs and `batchBytes` bytes by RFC822.SIZE
    /// (capped at `maxBodySize`; a larger message alone). One `UID SEARCH UID first:* LARGER t`,
    /// with t = `batchBytes / batchSize`, finds the messages that could make a full batch too
    /// big (usually none: a burst of mail costs one more round trip, not a size per message);
    /// only their sizes are fetched, at most 500 UIDs a command (short command lines, RFC 7162
    /// §4). Every other message counts as t bytes. A UID without an answer (expunged) counts as
    /// empty.
    func sizedBatches(_ uids: [UInt32], maxBodySize: UInt32, batchSize: Int, batchBytes: Int) async throws -> [UIDSet] {
        let threshold = UInt64(max(1, batchBytes / batchSize))
        let wanted = Set(uids)
        let large = try await uidSearch(.and([.uid(.from(uids.min() ?? 1)), .larger(UInt32(clamping: threshold))]))
            .filter { wanted.contains($0) }
        var sizes: [UInt32: UInt64] = [:]
        for start in stride(from: 0, to: large.count, by: 500) {
            let chunk = UIDSet(values: large[start..<min(start + 500, large.count)])
            for fetch in try await uidFetch(chunk, items: [.uid, .rfc822Size]) {
                if let uid = fetch.uid, let size = fetch.rfc822Size { sizes[uid] = size }
            }
        }
        var batches: [UIDSet] = []
        var current: [UInt32] = []
        var bytes: UInt64 = 0
        for uid in uids {
            let size = min(sizes[uid] ?? threshold, UInt64(maxBodySize))
            if !current.isEmpty, current.count >= batchSize || bytes + size > UInt64(batchBytes) {
                batches.append(UIDSet(values: current))
                current.removeAll(keepingCapacity: true)
                bytes = 0
            }
            current.append(uid)
            bytes += size
        }
        if !current.isEmpty { batches.append(UIDSet(values: current)) }
        return batches
    }

    /// UID STORE (RFC 3501 §6.4.6), `.SILENT` by default.
    public func uidStore(_ uids: UIDSet, _ operation: Command.StoreOperation, flags: [Flag], silent: Bool = true) async throws {
        try await run(.uidStore(uids, operation, flags, silent: silent))
    }

    /// UID COPY (RFC 3501 §6.4.7); returns the COPYUID data when the server sends it (RFC 4315).
    @discardableResult
    public func uidCopy(_ uids: UIDSet, to mailbox: String) async throws -> ResponseCode? {
        try await run(.uidCopy(uids, mailbox: mailbox)).status.code
    }

    /// Moves messages: UID MOVE when advertised (RFC 6851), else COPY + STORE `\Deleted` +
    /// UID EXPUNGE of exactly these UIDs (RFC 4315). Without either, refuses: a plain EXPUNGE
    /// would also remove other messages marked `\Deleted`. The fallback is not atomic: cut off
    /// after the COPY (`afterCopy` runs there), a repeated move copies again.
    public func uidMove(_ uids: UIDSet, to mailbox: String, afterCopy: () -> Void = {}) async throws {
        let capabilities = try await self.capabilities
        if capabilities.contains(.move) {
            try await run(.uidMove(uids, mailbox: mailbox))
            return
        }
        guard capabilities.contains(.uidPlus) else {
            throw IMAPClientError(.unsupported, "server offers neither MOVE nor UIDPLUS; a safe move is impossible")
        }
        try await run(.uidCopy(uids, mailbox: mailbox))
        afterCopy()
        try await run(.uidStore(uids, .add, [.deleted], silent: true))
        try await run(.uidExpunge(uids))
    }

    /// Deletes exactly these messages: STORE `\Deleted`, then UID EXPUNGE (RFC 4315 §2.1).
    /// Without UIDPLUS, refuses before touching anything: a plain EXPUNGE would also remove
    /// other messages marked `\Deleted`, and a flag set with no expunge to follow would leave
    /// the message marked for whoever expunges next.
    public func uidDelete(_ uids: UIDSet) async throws {
        guard try await supports(.uidPlus) else {
            throw IMAPClientError(.unsupported, "server does not offer UIDPLUS (UID EXPUNGE); a safe delete is impossible")
        }
        try await run(.uidStore(uids, .add, [.deleted], silent: true))
        try await run(.uidExpunge(uids))
    }

    /// UID EXPUNGE (RFC 4315 §2.1): removes only these messages (they must be `\Deleted`).
    public func uidExpunge(_ uids: UIDSet) async throws {
        guard try await supports(.uidPlus) else {
            throw IMAPClientError(.unsupported, "server does not offer UIDPLUS (UID EXPUNGE)")
        }
        try await run(.uidExpunge(uids))
    }

    /// APPEND (RFC 3501 §6.3.11); returns `(uidValidity, uid)` from APPENDUID when sent (RFC 4315).
    @discardableResult
    public func append(_ message: ByteBuffer, to mailbox: String, flags: [Flag] = [],
                       date: InternalDate? = nil) async throws -> (uidValidity: UInt32, uid: UInt32)? {
        let result = try await run(.append(mailbox: mailbox, flags: flags, date: date, message: message))
        if case let .appendUID(validity, set)? = result.status.code, let first = set.ranges.first {
            return (validity, first.lower)
        }
        return nil
    }
}

/// Sends fetch batches with a bounded number in flight and a bounded number of fetched
/// messages waiting for the consumer (backpressure: a slow consumer pauses the fetching instead
/// of buffering the mailbox in memory); lives on the event loop.
private final class BatchFeeder: Sendable {
    private struct State {
        var next = 0
        var running = 0
        var failed = false
        /// Responses handed to the stream and not yet taken by the consumer, and their bytes.
        var waiting = 0
        var waitingBytes = 0
        /// Batches not sent when their predecessor finished, because too many responses waited.
        var deferred = 0
    }

    private let batches: [UIDSet]
    private let items: [FetchItem]
    private let depth: Int
    private let maxWaiting: Int
    private let maxWaitingBytes: Int
    private let handler: NIOLoopBound<IMAPClientHandler>
    private let eventLoop: any EventLoop
    private let continuation: AsyncThrowingStream<FetchResponse, any Error>.Continuation
    private let state = NIOLockedValueBox(State())

    init(batches: [UIDSet], items: [FetchItem], depth: Int, maxWaiting: Int, maxWaitingBytes: Int,
         handler: NIOLoopBound<IMAPClientHandler>, eventLoop: any EventLoop,
         continuation: AsyncThrowingStream<FetchResponse, any Error>.Continuation) {
        self.batches = batches
        self.items = items
        self.depth = depth
        self.maxWaiting = maxWaiting
        self.maxWaitingBytes = maxWaitingBytes
        self.handler = handler
        self.eventLoop = eventLoop
        self.continuation = continuation
    }

    func start() {
        for _ in 0..<depth { sendNext() }
    }

    /// No further batches are sent; those in flight complete normally.
    func stop() {
        state.withLockedValue { $0.failed = true }
    }

    /// What a waiting response counts against `maxWaitingBytes`: its body.
    private static func bytes(_ response: FetchResponse) -> Int {
        response.body(section: "")?.bytes?.readableBytes ?? 0
    }

    /// Whether the responses waiting leave room for another batch.
    private func roomForMore(_ state: State) -> Bool {
        state.waiting < maxWaiting && state.waitingBytes < maxWaitingBytes
    }

    /// The consumer took one response from the stream: a deferred batch may go now.
    func taken(_ response: FetchResponse) {
        let bytes = Self.bytes(response)
        let resume = state.withLockedValue { state -> Bool in
            state.waiting -= 1
            state.waitingBytes -= bytes
            guard state.deferred > 0, roomForMore(state) else { return false }
            state.deferred -= 1
            return true
        }
        if resume { eventLoop.execute { self.sendNext() } }
    }

    private func sendNext() {
        let index: Int? = state.withLockedValue { state in
            guard !state.failed, state.next < batches.count else { return nil }
            defer { state.next += 1; state.running += 1 }
            return state.next
        }
        guard let index else { return }
        let promise = eventLoop.makePromise(of: CommandResult.self)
        let command = Command.uidFetch(batches[index], items, changedSince: nil)
        let continuation = self.continuation
        handler.value.submit(command, promise: promise, onFetch: { response in
            let bytes = Self.bytes(response)
            self.state.withLockedValue {
                $0.waiting += 1
                $0.waitingBytes += bytes
            }
            continuation.yield(response)
        })
        promise.futureResult.whenComplete { result in
            switch result {
            case let .success(result):
                do {
                    try IMAPSession.check(result, command)
                } catch {
                    self.state.withLockedValue { $0.failed = true }
                    continuation.finish(throwing: error)
                    return
                }
                enum Next { case finish, send, wait }
                let next = self.state.withLockedValue { state -> Next in
                    state.running -= 1
                    if state.next >= self.batches.count { return state.running == 0 ? .finish : .wait }
                    guard self.roomForMore(state) else {
                        state.deferred += 1
                        return .wait
                    }
                    return .send
                }
                switch next {
                case .finish: continuation.finish()
                case .send: self.sendNext()
                case .wait: break
                }
            case let .failure(error):
                self.state.withLockedValue { $0.failed = true }
                continuation.finish(throwing: error)
            }
        }
    }
}
