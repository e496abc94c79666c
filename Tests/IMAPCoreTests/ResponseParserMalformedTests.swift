import IMAPCore
import NIOCore
import Testing

/// Malformed input: a `.syntax` error, never a crash, a hang or a wrong response.
@Suite("ResponseParser: malformed input")
struct ResponseParserMalformedTests {
    @Test("malformed responses throw .syntax", arguments: [
        // Tagged status that is not OK/NO/BAD.
        "a1 FOO bar\r\n",
        "a1 BYE logging out\r\n",
        "a1 PREAUTH hello\r\n",
        "a1\r\n",
        "a+1 OK done\r\n",
        // Untagged status and codes.
        "*\r\n",
        "* \r\n",
        "*OK no space\r\n",
        "\r\n",
        "\n",
        " * OK leading space\r\n",
        "* OK [UIDNEXT abc] x\r\n",
        "* OK [UIDNEXT 5 text\r\n",
        "* OK [UIDVALIDITY 4294967296] too big\r\n",
        "* OK [CAPABILITY IMAP4rev1 text\r\n",
        "* OK [PERMANENTFLAGS \\Seen] x\r\n",
        "* OK [PERMANENTFLAGS (\\Seen] x\r\n",
        "a1 OK [APPENDUID 1 0] bad uid\r\n",
        "a1 OK [COPYUID 1 1:2] missing destination\r\n",
        "a1 OK [APPENDUID 1 1,,2] bad set\r\n",
        // Unterminated quotes.
        "* LIST () \"/ INBOX\r\n",
        "* ID (\"name\" \"Dovecot)\r\n",
        "* 1 FETCH (BODY[] \"abc\\\r\n",
        "* STATUS \"INBOX (MESSAGES 1)\r\n",
        // Garbage after a number, bad numbers.
        "* 12abc EXISTS\r\n",
        "* 5 EXISTS junk\r\n",
        "* 99999999999 EXISTS\r\n",
        "* 184467440737095516160 EXISTS\r\n",
        "* 1 FETCH (MODSEQ (99999999999999999999999))\r\n",
        "* 1 FETCH (UID 12x)\r\n",
        "* 1 FETCH (UID abc)\r\n",
        "* 1 FETCH (RFC822.SIZE -1)\r\n",
        // Lists.
        "* 1 FETCH (UID 5\r\n",
        "* 1 FETCH UID 5\r\n",
        "* 1 FETCH (FLAGS \\Seen)\r\n",
        "* FLAGS (\\Seen\r\n",
        "* FLAGS \\Seen\r\n",
        "* LIST \\Noselect \"/\" INBOX\r\n",
        "* LIST () \"ab\" INBOX\r\n",
        "* LIST () \"/\"\r\n",
        "* STATUS INBOX (MESSAGES)\r\n",
        "* STATUS INBOX (MESSAGES x)\r\n",
        "* STATUS INBOX MESSAGES 1\r\n",
        "* SEARCH 1 two\r\n",
        "* SEARCH (FOO 1)\r\n",
        "* SEARCH 1 (MODSEQ 5\r\n",
        "* ESEARCH ALL 1,,2\r\n",
        "* ESEARCH (TAG \"a\" UID\r\n",
        "* ESEARCH MIN x\r\n",
        "* ID (name \"x\")\r\n",
        "* ID (\"name\")\r\n",
        // FETCH data.
        "* 1 FETCH (INTERNALDATE \"31-Foo-2020 00:00:00 +0000\")\r\n",
        "* 1 FETCH (INTERNALDATE \"32-Jan-2020 00:00:00 +0000\")\r\n",
        "* 1 FETCH (INTERNALDATE \"01-Jan-2020 24:00:00 +0000\")\r\n",
        "* 1 FETCH (INTERNALDATE \"01-Jan-2020 00:00:00\")\r\n",
        "* 1 FETCH (INTERNALDATE \"01-Jan-2020 00:00:00 0000\")\r\n",
        "* 1 FETCH (INTERNALDATE 01-Jan-2020)\r\n",
        "* 1 FETCH (ENVELOPE (NIL NIL))\r\n",
        "* 1 FETCH (ENVELOPE NIL)\r\n",
        "* 1 FETCH (ENVELOPE (NIL NIL (NIL NIL \"a\" \"b\") NIL NIL NIL NIL NIL NIL NIL))\r\n",
        "* 1 FETCH (BODY[1 \"x\")\r\n",
        "* 1 FETCH (BODY[1]<x> \"x\")\r\n",
        "* 1 FETCH (BODY[1]<5 \"x\")\r\n",
        "* 1 FETCH (BODY[] x)\r\n",
        "* 1 FETCH (BODY[]\"x\")\r\n",
        "* 1 FETCH (MODSEQ 5)\r\n",
        "* 1 FETCH (X-GM-LABELS )\r\n",
        "* 1 FETCH (X-GM-LABELS ( \"unterminated))\r\n",
    ])
    func syntaxErrors(_ text: String) {
        expectParseError(.syntax, text)
        // The same bytes arriving one at a time fail the same way.
        let fed = outcome(Array(text.utf8), chunkSize: 1, limits: .default)
        #expect(fed.responses.isEmpty)
        #expect(fed.error == .syntax)
    }

    @Test("an error leaves earlier responses intact")
    func errorAfterGoodResponses() {
        let text = "* 1 EXISTS\r\n* 2 RECENT\r\na1 FOO\r\n* 3 EXISTS\r\n"
        for chunkSize in [nil, 1, 5] {
            let fed = outcome(Array(text.utf8), chunkSize: chunkSize, limits: .default)
            #expect(fed.responses == [.untagged(.exists(1)), .untagged(.recent(2))])
            #expect(fed.error == .syntax)
        }
    }

    @Test("the error message names the position, never the contents of a literal")
    func errorMessage() throws {
        var parser = ResponseParser()
        var buffer = ByteBuffer(string: "* 1 FETCH (BODY[] {11}\r\nsecret-body UID x)\r\n")
        do {
            _ = try parser.parse(&buffer)
            Issue.record("expected an error")
        } catch let error as IMAPCoreError {
            #expect(error.code == .syntax)
            #expect(error.message.contains("offset"))
            #expect(!error.message.contains("secret"))
            #expect(error.description.hasPrefix("IMAP syntax: "))
        }
    }

    /// Inputs built from IMAP-looking tokens and random bytes.
    static func randomInput(_ rng: inout SeededGenerator) -> [UInt8] {
        let tokens = ["* ", "a1 ", "+ ", "OK ", "NO ", "BYE ", "FETCH ", "(", ")", "[", "]", "{3}\r\n", "~{2}\r\n", "{0}\r\n",
                      "\"", "\\", "NIL ", "UID ", "BODY[", "<", ">", "12 ", "4294967296 ", "\r\n", "\n", " ", "FLAGS ",
                      "ENVELOPE ", "SEARCH ", "ESEARCH ", "LIST ", "STATUS ", "CAPABILITY ", "ID ", "INTERNALDATE ",
                      "\"17-Jul-1996 02:44:25 -0700\"", "MODSEQ ", "1:3,5:*", "X-GM-LABELS ", "UIDNEXT ", "COPYUID "]
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 1...40, using: &rng) {
            if Bool.random(using: &rng) {
                bytes += Array(tokens.randomElement(using: &rng)!.utf8)
            } else {
                bytes.append(UInt8.random(in: 0...255, using: &rng))
            }
        }
        return bytes
    }

    /// A fixture with a few bytes changed, deleted or duplicated.
    static func mutated(_ wire: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = wire
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
            let index = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: index)
            case 2: bytes.insert(bytes[index], at: index)
            default: bytes[index] = Array("()[]{}\" \r\n\\~+*".utf8).randomElement(using: &rng)!
            }
        }
        return bytes
    }

    static let smallLimits = Limits(maxLineLength: 200, maxLiteralSize: 64, maxNestingDepth: 8, maxElements: 16)

    @Test("random input never crashes or hangs, and chunking never changes the outcome",
          .timeLimit(.minutes(2)), arguments: [UInt64(1), 2, 3, 4])
    func fuzzRandom(_ seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<400 {
            let input = Self.randomInput(&rng)
            for limits in [Limits.default, Self.smallLimits] {
                let whole = outcome(input, chunkSize: nil, limits: limits)
                #expect(outcome(input, chunkSize: 1, limits: limits) == whole, "\(input)")
                #expect(outcome(input, chunkSize: 5, limits: limits) == whole, "\(input)")
            }
        }
    }

    @Test("mutated fixtures never crash or hang, and chunking never changes the outcome",
          .timeLimit(.minutes(2)), arguments: [UInt64(11), 12])
    func fuzzMutated(_ seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let fixtures = StatusFixtures.all + UntaggedFixtures.all + FetchFixtures.all
        for fixture in fixtures {
            for _ in 0..<8 {
                let input = Self.mutated(fixture.wire, &rng) + Array("* 1 EXISTS\r\n".utf8)
                let whole = outcome(input, chunkSize: nil, limits: .default)
                #expect(outcome(input, chunkSize: 1, limits: .default) == whole, "\(fixture.name): \(input)")
                #expect(outcome(input, chunkSize: 7, limits: .default) == whole, "\(fixture.name): \(input)")
            }
        }
    }
}
