import IMAPCore
import NIOCore
import Testing

/// Every ``Limits`` bound: exceeded (throws the right code) and met exactly (passes).
@Suite("Limits")
struct LimitsTests {
    @Test("defaults are the documented ones")
    func defaults() {
        let limits = Limits.default
        #expect(limits.maxLineLength == 16 * 1024 * 1024)
        #expect(limits.maxLiteralSize == 64 * 1024 * 1024)
        #expect(limits.maxNestingDepth == 64)
        #expect(limits.maxElements == 2_000_000)
        #expect(Limits() == .default)
    }

    // MARK: maxLineLength

    static let lineLimits = Limits(maxLineLength: 64)

    /// `* OK ` followed by filler up to `length` bytes (line end not counted).
    static func line(length: Int) -> String {
        "* OK " + String(repeating: "x", count: length - 5)
    }

    @Test("a line of exactly maxLineLength bytes parses", arguments: ["\r\n", "\n"])
    func lineAtLimit(_ eol: String) throws {
        let text = Self.line(length: 64) + eol
        let response = try parseOne(text, limits: Self.lineLimits)
        #expect(response == .untaggedStatus(.ok, nil, String(repeating: "x", count: 59)))
        // Also arriving one byte at a time.
        let fed = outcome(Array(text.utf8), chunkSize: 1, limits: Self.lineLimits)
        #expect(fed == FeedOutcome(responses: [response], error: nil))
    }

    @Test("a line one byte too long throws once its line end arrives", arguments: ["\r\n", "\n"])
    func lineTooLongWithLineEnd(_ eol: String) {
        expectParseError(.lineTooLong, Self.line(length: 65) + eol, limits: Self.lineLimits)
    }

    @Test("a line too long throws before any line end arrives")
    func lineTooLongWithoutLineEnd() throws {
        // Exactly the limit, no line end yet: more bytes are needed.
        var parser = ResponseParser(limits: Self.lineLimits)
        var buffer = ByteBuffer(string: Self.line(length: 64))
        #expect(try parser.parse(&buffer) == nil)
        // One byte more and the line can no longer fit.
        buffer.writeString("x")
        expectIMAPError(.lineTooLong) { try parser.parse(&buffer) }
        // A fresh parser given the whole overlong prefix at once agrees.
        expectParseError(.lineTooLong, Self.line(length: 65), limits: Self.lineLimits)
        // And a server that never sends a line end cannot make the client buffer without bound.
        expectParseError(.lineTooLong, Self.line(length: 10_000), limits: Self.lineLimits)
    }

    @Test("a line at the limit with only its CR arrived still waits for the LF")
    func lineAtLimitAwaitingLineFeed() throws {
        var parser = ResponseParser(limits: Self.lineLimits)
        var buffer = ByteBuffer(string: Self.line(length: 64) + "\r")
        #expect(try parser.parse(&buffer) == nil)
        buffer.writeString("\n")
        #expect(try parser.parse(&buffer) == .untaggedStatus(.ok, nil, String(repeating: "x", count: 59)))
    }

    @Test("literal bytes do not count toward the line length")
    func literalsExcludedFromLineLength() throws {
        let body = String(repeating: "b", count: 500)
        let text = "* 1 FETCH (BODY[] \(lit(body)) UID 5)\r\n"
        let fetch = try #require(try parseOne(text, limits: Limits(maxLineLength: 30)).fetchValue)
        #expect(fetch.uid == 5)
        #expect(fetch.body()?.bytes?.readableBytes == 500)
        // The part of the line after a literal is measured on its own.
        let after = "* 1 FETCH (BODY[] {1}\r\nb " + String(repeating: "X-A 1 ", count: 10) + "UID 5)\r\n"
        expectParseError(.lineTooLong, after, limits: Limits(maxLineLength: 30))
    }

    @Test("a SEARCH reply longer than the line limit throws")
    func longSearch() {
        let numbers = (1...100).map(String.init).joined(separator: " ")
        expectParseError(.lineTooLong, "* SEARCH \(numbers)\r\n", limits: Limits(maxLineLength: 100))
    }

    // MARK: maxLiteralSize

    static let literalLimits = Limits(maxLiteralSize: 1000)

    @Test("a literal of exactly maxLiteralSize bytes parses", arguments: ["{1000}", "~{1000}", "{1000+}"])
    func literalAtLimit(_ announcement: String) throws {
        let body = String(repeating: "a", count: 1000)
        let fetch = try #require(try parseOne("* 1 FETCH (BODY[] \(announcement)\r\n\(body))\r\n", limits: Self.literalLimits).fetchValue)
        #expect(fetch.body()?.bytes?.readableBytes == 1000)
    }

    @Test("a literal too large throws as soon as its announcement line arrives",
          arguments: ["{1001}", "~{1001}", "{1001+}", "{99999999999}"])
    func literalTooLarge(_ announcement: String) throws {
        // Only the announcement: none of the literal's bytes have arrived.
        expectParseError(.literalTooLarge, "* 1 FETCH (BODY[] \(announcement)\r\n", limits: Self.literalLimits)
        // Same when the line arrives byte by byte: nil until the LF, then the error.
        var parser = ResponseParser(limits: Self.literalLimits)
        var buffer = ByteBuffer()
        for byte in "* 1 FETCH (BODY[] \(announcement)\r".utf8 {
            buffer.writeInteger(byte)
            #expect(try parser.parse(&buffer) == nil)
        }
        buffer.writeString("\n")
        expectIMAPError(.literalTooLarge) { try parser.parse(&buffer) }
    }

    @Test("the default literal limit applies before the bytes arrive")
    func defaultLiteralLimit() throws {
        expectParseError(.literalTooLarge, "* 1 FETCH (BODY[] {67108865}\r\n")
        var parser = ResponseParser()
        var buffer = ByteBuffer(string: "* 1 FETCH (BODY[] {67108864}\r\n")
        #expect(try parser.parse(&buffer) == nil, "exactly 64 MiB is allowed and awaited")
    }

    @Test("a literal size with too many digits throws literalTooLarge, not an overflow trap", arguments: [
        "{99999999999999999999}", "{9223372036854775808}",
    ])
    func literalSizeOverflow(_ announcement: String) {
        expectParseError(.literalTooLarge, "* 1 FETCH (BODY[] \(announcement)\r\n")
    }

    @Test("too many literals in one response throw tooManyElements")
    func tooManyLiterals() throws {
        let limits = Limits(maxElements: 3)
        let three = "* 1 FETCH (BODY[1] {1}\r\na BODY[2] {1}\r\nb BODY[3] {1}\r\nc)\r\n"
        let fetch = try #require(try parseOne(three, limits: limits).fetchValue)
        #expect(fetch.attributes.count == 3)
        // The fourth announcement is refused before its byte arrives.
        expectParseError(.tooManyElements, "* 1 FETCH (BODY[1] {1}\r\na BODY[2] {1}\r\nb BODY[3] {1}\r\nc BODY[4] {1}\r\n",
                         limits: limits)
    }

    // MARK: maxNestingDepth

    static let nestingLimits = Limits(maxNestingDepth: 4)

    /// A FETCH whose BODYSTRUCTURE nests `depth` lists inside the FETCH attribute list.
    static func nested(_ depth: Int) -> String {
        "* 1 FETCH (BODYSTRUCTURE " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth) + ")\r\n"
    }

    @Test("nesting exactly maxNestingDepth parses")
    func nestingAtLimit() throws {
        // The attribute list is depth 1, so three more levels reach 4.
        let fetch = try #require(try parseOne(Self.nested(3), limits: Self.nestingLimits).fetchValue)
        #expect(fetch.attributes == [.other("BODYSTRUCTURE", .list([.list([.list([.number(1)])])]))])
    }

    @Test("nesting one level deeper throws nestingTooDeep")
    func nestingTooDeep() {
        expectParseError(.nestingTooDeep, Self.nested(4), limits: Self.nestingLimits)
    }

    @Test("deep nesting at the default limit throws instead of exhausting the stack")
    func deepNestingDefault() {
        expectParseError(.nestingTooDeep, Self.nested(100_000))
        expectParseError(.nestingTooDeep, "* 1 FETCH (X-GM-LABELS " + String(repeating: "(", count: 64) + "\r\n")
    }

    @Test("nesting in ENVELOPE address lists counts")
    func envelopeNesting() {
        let envelope = "* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL NIL NIL))\r\n"
        // FETCH list 1, ENVELOPE 2, address list 3.
        #expect(throws: Never.self) { try parseOne(envelope, limits: Limits(maxNestingDepth: 3)) }
        expectParseError(.nestingTooDeep, envelope, limits: Limits(maxNestingDepth: 2))
    }

    // MARK: maxElements

    static let elementLimits = Limits(maxElements: 5)

    @Test("a SEARCH reply of exactly maxElements numbers parses")
    func searchAtLimit() throws {
        #expect(try parseOne("* SEARCH 1 2 3 4 5\r\n", limits: Self.elementLimits) == .untagged(.search([1, 2, 3, 4, 5], modSeq: nil)))
    }

    @Test("a SEARCH reply with too many numbers throws tooManyElements")
    func searchTooMany() {
        expectParseError(.tooManyElements, "* SEARCH 1 2 3 4 5 6\r\n", limits: Self.elementLimits)
    }

    @Test("lists of exactly maxElements parse", arguments: [
        "* FLAGS (\\a \\b \\c \\d \\e)\r\n",
        "* 1 FETCH (X-GM-LABELS (a b c d e))\r\n",
        "* CAPABILITY A B C D E\r\n",
        "* STATUS INBOX (A 1 B 2 C 3 D 4 E 5)\r\n",
        "* ID (\"a\" NIL \"b\" NIL \"c\" NIL \"d\" NIL \"e\" NIL)\r\n",
        "* OK [PERMANENTFLAGS (\\a \\b \\c \\d \\e)] x\r\n",
        "* LIST (\\a \\b \\c \\d \\e) \"/\" x\r\n",
    ])
    func listAtLimit(_ text: String) {
        #expect(throws: Never.self) { try parseOne(text, limits: Self.elementLimits) }
    }

    @Test("lists with too many elements throw tooManyElements", arguments: [
        "* FLAGS (\\a \\b \\c \\d \\e \\f)\r\n",
        "* 1 FETCH (X-GM-LABELS (a b c d e f))\r\n",
        "* CAPABILITY A B C D E F\r\n",
        "* STATUS INBOX (A 1 B 2 C 3 D 4 E 5 F 6)\r\n",
        "* ID (\"a\" NIL \"b\" NIL \"c\" NIL \"d\" NIL \"e\" NIL \"f\" NIL)\r\n",
        "* OK [PERMANENTFLAGS (\\a \\b \\c \\d \\e \\f)] x\r\n",
        "* LIST (\\a \\b \\c \\d \\e \\f) \"/\" x\r\n",
        "* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 3 MODSEQ (1) X-A 1 X-B 2)\r\n",
    ])
    func listTooMany(_ text: String) {
        expectParseError(.tooManyElements, text, limits: Self.elementLimits)
    }
}
