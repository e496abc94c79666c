import IMAPCore
import NIOCore
import Testing

/// SearchKey encoding (RFC 3501 §6.4.4): every key, grouping of OR/NOT operands, CHARSET UTF-8.
@Suite("SearchKey")
struct SearchKeyTests {
    static func criteria(_ key: SearchKey) throws -> String {
        let encoded = try CommandEncoder(literalPlus: true).encode(tag: "a1", .uidSearch(key, returnOptions: nil))
        let text = String(buffer: encoded.joined)
        #expect(text.hasPrefix("a1 UID SEARCH "))
        #expect(text.hasSuffix("\r\n"))
        return String(decoding: Array(text.utf8).dropFirst("a1 UID SEARCH ".utf8.count).dropLast(2), as: UTF8.self)
    }

    @Test("each key encodes to its criteria", arguments: [
        (SearchKey.all, "ALL"),
        (.seen, "SEEN"),
        (.unseen, "UNSEEN"),
        (.deleted, "DELETED"),
        (.undeleted, "UNDELETED"),
        (.larger(167_772), "LARGER 167772"),
        (.uid(.wire("1:3,7,9:*")), "UID 1:3,7,9:*"),
        (.uid(.from(4242)), "UID 4242:*"),
        (.since(year: 2024, month: 1, day: 5), "SINCE 5-Jan-2024"),
        (.before(year: 1994, month: 2, day: 1), "BEFORE 1-Feb-1994"),
        (.since(year: 2023, month: 12, day: 31), "SINCE 31-Dec-2023"),
        (.header("Message-ID", "<abc@x>"), "HEADER Message-ID \"<abc@x>\""),
        (.header("X-Spam Flag", ""), "HEADER \"X-Spam Flag\" \"\""),
        (.from("alice@example.com"), "FROM \"alice@example.com\""),
        (.subject("Re: \"quoted\""), "SUBJECT \"Re: \\\"quoted\\\"\""),
        (.and([]), "ALL"),
        (.and([.seen]), "SEEN"),
        (.and([.uid(.from(10)), .not(.deleted), .or(.from("a"), .subject("b"))]), "UID 10:* NOT DELETED OR FROM \"a\" SUBJECT \"b\""),
    ])
    func keys(_ key: SearchKey, _ wire: String) throws {
        #expect(try Self.criteria(key) == wire)
    }

    @Test("OR and NOT operands that are several criteria are parenthesised", arguments: [
        (SearchKey.not(.seen), "NOT SEEN"),
        (.not(.and([.seen, .undeleted])), "NOT (SEEN UNDELETED)"),
        (.not(.not(.seen)), "NOT NOT SEEN"),
        (.not(.or(.seen, .deleted)), "NOT OR SEEN DELETED"),
        (.or(.seen, .deleted), "OR SEEN DELETED"),
        (.or(.and([.seen, .deleted]), .from("x")), "OR (SEEN DELETED) FROM \"x\""),
        (.or(.from("x"), .and([.unseen, .since(year: 2024, month: 3, day: 1)])), "OR FROM \"x\" (UNSEEN SINCE 1-Mar-2024)"),
        (.or(.or(.seen, .deleted), .not(.unseen)), "OR OR SEEN DELETED NOT UNSEEN"),
        (.or(.and([.seen]), .and([])), "OR SEEN ALL"),
        (.and([.and([.seen, .deleted]), .unseen]), "SEEN DELETED UNSEEN"),
        (.and([.or(.seen, .deleted), .undeleted]), "OR SEEN DELETED UNDELETED"),
        // A one-element AND wrapping several criteria is still one operand.
        (.not(.and([.and([.seen, .deleted])])), "NOT (SEEN DELETED)"),
        (.or(.and([.and([.seen, .deleted])]), .unseen), "OR (SEEN DELETED) UNSEEN"),
    ])
    func grouping(_ key: SearchKey, _ wire: String) throws {
        #expect(try Self.criteria(key) == wire)
    }

    @Test("non-ASCII strings anywhere switch to CHARSET UTF-8", arguments: [
        SearchKey.subject("Grüße"),
        .from("José <jose@example.com>"),
        .header("X-Tag", "日本語"),
        .header("X-Näme", "v"),
        .not(.subject("ü")),
        .or(.seen, .from("ñ")),
        .and([.unseen, .or(.seen, .not(.subject("é")))]),
    ])
    func charset(_ key: SearchKey) throws {
        #expect(try Self.criteria(key).hasPrefix("CHARSET UTF-8 "))
    }

    @Test("ASCII-only criteria have no CHARSET", arguments: [
        SearchKey.subject("Hello"), .from("a\r\nb"), .header("X", "y"), .all, .uid(.from(1)),
        .or(.subject("a"), .not(.from("b"))),
    ])
    func noCharset(_ key: SearchKey) throws {
        #expect(try !Self.criteria(key).contains("CHARSET"))
    }

    @Test("a non-ASCII string is a literal after CHARSET UTF-8, in segments without LITERAL+")
    func nonASCIILiteral() throws {
        let encoded = try CommandEncoder().encode(tag: "a7", .uidSearch(.and([.uid(.from(3)), .subject("Grüße")]), returnOptions: nil))
        #expect(segmentStrings(encoded) == ["a7 UID SEARCH CHARSET UTF-8 UID 3:* SUBJECT {7}\r\n", "Grüße\r\n"])
    }

    @Test("logDescription replaces search strings by their length", arguments: [
        (SearchKey.subject("Grüße"), "SUBJECT <7 bytes>"),
        (.from("boss@example.com"), "FROM <16 bytes>"),
        (.header("X-Secret", "abc"), "HEADER X-Secret <3 bytes>"),
        (.or(.seen, .not(.subject("xy"))), "OR (SEEN) (NOT SUBJECT <2 bytes>)"),
        (.and([.uid(.from(9)), .since(year: 2024, month: 2, day: 29), .before(year: 2024, month: 3, day: 1)]),
         "UID 9:* SINCE 29-Feb-2024 BEFORE 1-Mar-2024"),
        (.and([.all, .seen, .unseen, .deleted, .undeleted]), "ALL SEEN UNSEEN DELETED UNDELETED"),
    ])
    func logDescription(_ key: SearchKey, _ description: String) {
        #expect(key.logDescription == description)
    }
}
