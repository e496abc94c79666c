import IMAPCore
import NIOCore
import IMAPCoreFuzz
import Testing

// Shared helpers for the IMAPCore tests: fixtures, feeding strategies, response builders,
// error expectations and a seeded random number generator.

/// One server response on the wire and what it must parse to.
struct ParseFixture: Sendable, CustomTestStringConvertible {
    let name: String
    let wire: [UInt8]
    let expected: Response

    init(_ name: String, _ wire: String, _ expected: Response) {
        self.name = name
        self.wire = Array(wire.utf8)
        self.expected = expected
    }

    init(_ name: String, bytes: [UInt8], _ expected: Response) {
        self.name = name
        self.wire = bytes
        self.expected = expected
    }

    var testDescription: String { name }
}

/// A literal `{N}\r\n` followed by `content`, with N computed from the UTF-8 bytes.
func lit(_ content: String, eol: String = "\r\n") -> String {
    "{\(content.utf8.count)}\(eol)\(content)"
}

extension ByteBuffer {
    init(_ bytes: [UInt8]) {
        self.init(bytes: bytes)
    }

    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}

func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

// MARK: Feeding strategies

/// Parses every complete response in `bytes`, fed as one buffer; also returns the bytes left.
func parseWhole(_ bytes: [UInt8], limits: Limits = .default) throws -> (responses: [Response], leftover: Int) {
    var parser = ResponseParser(limits: limits)
    var buffer = ByteBuffer(bytes)
    var responses: [Response] = []
    while let response = try parser.parse(&buffer) {
        responses.append(response)
    }
    return (responses, buffer.readableBytes)
}

/// Parses `bytes` arriving in chunks of `chunkSize` with one parser, calling `parse` until it
/// returns nil after every chunk (as a channel handler does after every read).
func parseChunked(_ bytes: [UInt8], chunkSize: Int, limits: Limits = .default) throws -> (responses: [Response], leftover: Int) {
    precondition(chunkSize > 0)
    var parser = ResponseParser(limits: limits)
    var buffer = ByteBuffer()
    var responses: [Response] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + chunkSize, bytes.count)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        while let response = try parser.parse(&buffer) {
            responses.append(response)
        }
    }
    return (responses, buffer.readableBytes)
}

/// Parses text that must hold exactly one complete response and nothing else.
func parseOne(_ text: String, limits: Limits = .default, sourceLocation: SourceLocation = #_sourceLocation) throws -> Response {
    let (responses, leftover) = try parseWhole(Array(text.utf8), limits: limits)
    #expect(leftover == 0, "bytes left over", sourceLocation: sourceLocation)
    #expect(responses.count == 1, "expected one response, got \(responses.count)", sourceLocation: sourceLocation)
    return try #require(responses.first, sourceLocation: sourceLocation)
}

/// The outcome of feeding some bytes: the responses that came out, then the error code if one
/// was thrown. The fuzz target's own feeding, which also checks that an incomplete response
/// consumes nothing and that only `IMAPCoreError` is thrown.
typealias FeedOutcome = FuzzTarget.Outcome

func outcome(_ bytes: [UInt8], chunkSize: Int?, limits: Limits) -> FeedOutcome {
    FuzzTarget.parse(bytes, chunk: chunkSize, limits: limits)
}

// MARK: Errors

/// Expects `body` to throw an ``IMAPCoreError`` with `code`.
func expectIMAPError<R>(
    _ code: IMAPCoreError.Code,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> R
) {
    do {
        let value = try body()
        Issue.record("expected IMAPCoreError .\(code), got \(value) \(comment.map { "(\($0))" } ?? "")",
                     sourceLocation: sourceLocation)
    } catch let error as IMAPCoreError {
        #expect(error.code == code, "\(error) \(comment.map { "(\($0))" } ?? "")", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected IMAPCoreError .\(code), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}

/// Expects parsing `text` to throw `code`.
func expectParseError(
    _ code: IMAPCoreError.Code,
    _ text: String,
    limits: Limits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectIMAPError(code, Comment(rawValue: text.debugDescription), sourceLocation: sourceLocation) {
        var parser = ResponseParser(limits: limits)
        var buffer = ByteBuffer(string: text)
        return try parser.parse(&buffer)
    }
}

// MARK: Response builders

extension Response {
    /// `* OK|NO|BAD|BYE|PREAUTH [code] text`.
    static func untaggedStatus(_ kind: StatusKind, _ code: ResponseCode? = nil, _ text: String = "") -> Response {
        .untagged(.condition(StatusResponse(kind: kind, code: code, text: text)))
    }

    /// `tag OK|NO|BAD [code] text`.
    static func taggedStatus(_ tag: String, _ kind: StatusKind, _ code: ResponseCode? = nil, _ text: String = "") -> Response {
        .tagged(TaggedResponse(tag: tag, status: StatusResponse(kind: kind, code: code, text: text)))
    }

    /// `* n FETCH (attributes)`.
    static func fetch(_ sequenceNumber: UInt32, _ attributes: [FetchAttribute]) -> Response {
        .untagged(.fetch(FetchResponse(sequenceNumber: sequenceNumber, attributes: attributes)))
    }

    var untaggedValue: UntaggedResponse? {
        if case let .untagged(value) = self { return value }
        return nil
    }

    var taggedValue: TaggedResponse? {
        if case let .tagged(value) = self { return value }
        return nil
    }

    var fetchValue: FetchResponse? {
        if case let .untagged(.fetch(value)) = self { return value }
        return nil
    }

    var conditionValue: StatusResponse? {
        if case let .untagged(.condition(value)) = self { return value }
        return nil
    }
}

extension UIDSet {
    /// A set from literal wire text that must be valid.
    static func wire(_ text: String) -> UIDSet {
        guard let set = UIDSet(parsing: text) else { preconditionFailure("invalid test set \(text)") }
        return set
    }
}

extension IMAPValue {
    static func text(_ value: String) -> IMAPValue { .string(ByteBuffer(string: value)) }
}

extension BodyData {
    init(_ section: String, origin: UInt32? = nil, _ text: String?) {
        self.init(section: section, origin: origin, bytes: text.map { ByteBuffer(string: $0) })
    }
}

// MARK: Randomness

/// SplitMix64: a small deterministic generator so "random" tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: Fixture properties (requirement 2 of the test plan)

/// Fed whole, the fixture parses to exactly its expected response and consumes every byte.
func checkWhole(_ fixture: ParseFixture, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var parser = ResponseParser()
    var buffer = ByteBuffer(fixture.wire)
    let response = try parser.parse(&buffer)
    #expect(response == fixture.expected, sourceLocation: sourceLocation)
    #expect(buffer.readableBytes == 0, "the whole fixture is consumed", sourceLocation: sourceLocation)
    #expect(try parser.parse(&buffer) == nil, sourceLocation: sourceLocation)
}

/// Every strict prefix returns nil and leaves the buffer exactly as it was.
func checkPrefixes(_ fixture: ParseFixture, sourceLocation: SourceLocation = #_sourceLocation) throws {
    for length in 0..<fixture.wire.count {
        var parser = ResponseParser()
        // A non-zero reader index, as in a real receive buffer that already gave up responses.
        var buffer = ByteBuffer(string: "* 1 EXISTS\r\n")
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        buffer.writeBytes(fixture.wire[0..<length])
        let readerIndex = buffer.readerIndex
        let before = buffer.bytes
        let response = try parser.parse(&buffer)
        #expect(response == nil, "prefix of \(length) bytes", sourceLocation: sourceLocation)
        #expect(buffer.readerIndex == readerIndex, "prefix of \(length) bytes", sourceLocation: sourceLocation)
        #expect(buffer.bytes == before, "prefix of \(length) bytes", sourceLocation: sourceLocation)
        if response != nil { return }
    }
}

/// One parser fed one byte at a time yields the same single response, on the last byte only.
func checkByteByByte(_ fixture: ParseFixture, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var parser = ResponseParser()
    var buffer = ByteBuffer()
    var responses: [Response] = []
    for (index, byte) in fixture.wire.enumerated() {
        buffer.writeInteger(byte)
        if let response = try parser.parse(&buffer) {
            #expect(index == fixture.wire.count - 1, "response completed early at byte \(index)", sourceLocation: sourceLocation)
            responses.append(response)
        }
    }
    #expect(responses == [fixture.expected], sourceLocation: sourceLocation)
    #expect(buffer.readableBytes == 0, sourceLocation: sourceLocation)
}

/// All fixtures concatenated in one buffer come out one by one, in order.
func checkConcatenated(_ fixtures: [ParseFixture], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let all = fixtures.flatMap(\.wire)
    var parser = ResponseParser()
    var buffer = ByteBuffer(all)
    for fixture in fixtures {
        let before = buffer.readableBytes
        let response = try parser.parse(&buffer)
        #expect(response == fixture.expected, "\(fixture.name)", sourceLocation: sourceLocation)
        #expect(before - buffer.readableBytes == fixture.wire.count, "\(fixture.name) consumed exactly its bytes",
                sourceLocation: sourceLocation)
    }
    #expect(buffer.readableBytes == 0, sourceLocation: sourceLocation)
    #expect(try parser.parse(&buffer) == nil, sourceLocation: sourceLocation)
    // And arriving in odd-sized chunks, the same sequence.
    for chunkSize in [1, 3, 7, 64, 1000] {
        let (responses, leftover) = try parseChunked(all, chunkSize: chunkSize)
        #expect(responses == fixtures.map(\.expected), "chunks of \(chunkSize)", sourceLocation: sourceLocation)
        #expect(leftover == 0, sourceLocation: sourceLocation)
    }
}
