@testable import MailMIME
import Testing

/// The byte-level address-list scanner: the usual forms, and the places where it hands over
/// to the string operations whose Character semantics the output has always followed.
@Suite("AddressListParser")
struct AddressListParserTests {
    static func parse(_ value: String) -> [MailAddress] { MailAddress.parseList(value) }

    @Test("non-ASCII, quoted and encoded display names", arguments: [
        ("Jörg Müller <jm@example.de>", "Jörg Müller", "jm@example.de"),
        ("\"Müller, Jörg\" <jm@example.de>", "Müller, Jörg", "jm@example.de"),
        ("=?utf-8?Q?J=C3=B6rg?= <j@x>", "Jörg", "j@x"),
        ("\"a \\\"q\\\"\" <x@y>", "a \"q\"", "x@y"),
        ("  \tName\t  <a@b>", "Name", "a@b"),
        ("Ünï (comment) <ü@ü.de>", "Ünï", "ü@ü.de"),
        ("Name <a@b", "Name", "a@b"),
    ])
    func named(_ value: String, _ name: String, _ address: String) {
        #expect(Self.parse(value) == [MailAddress(name: name, address: address)])
    }

    @Test("groups, comments, routes, missing commas")
    func structure() {
        #expect(Self.parse("Group: a@x, \"B\" <b@x>;, c@x")
            == [MailAddress(name: nil, address: "a@x"), MailAddress(name: "B", address: "b@x"), MailAddress(name: nil, address: "c@x")])
        #expect(Self.parse("<@r1,@r2:user@host>") == [MailAddress(name: nil, address: "user@host")])
        #expect(Self.parse("a@b (comment \\) here)") == [MailAddress(name: nil, address: "a@b")])
        #expect(Self.parse("<a@b> trailing name <c@d>")
            == [MailAddress(name: nil, address: "a@b"), MailAddress(name: "trailing name", address: "c@d")])
        #expect(Self.parse("Empty group:;").isEmpty)
        #expect(Self.parse("name <>, <  >").isEmpty)
    }

    @Test("a quoted local part keeps its quotes, re-escaped")
    func quotedLocalPart() {
        #expect(Self.parse("\"a\\\"b\"@x") == [MailAddress(name: nil, address: "\"a\\\"b\"@x")])
        #expect(Self.parse("<\"a b\\\\c\"@x>") == [MailAddress(name: nil, address: "\"a b\\\\c\"@x")])
        #expect(AddressListParser.requoted(Array("plain".utf8)) == Array("plain".utf8))
    }

    /// MailMIME's string replacement matches whole Characters (it does not import Foundation,
    /// whose `replacingOccurrences` compares UTF-16): a `\` or `"` with a combining mark is
    /// another Character and stays as it is.
    @Test("a backslash or quote followed by a combining mark is re-escaped as the string replacement does")
    func requotedCombiningMark() {
        let cases = [
            ("a\\\u{301}", "a\\\u{301}"),
            ("q\"\u{301}", "q\"\u{301}"),
            ("\\\u{301}\"x\\", "\\\u{301}\\\"x\\\\"),
        ]
        for (text, expected) in cases {
            #expect(AddressListParser.requoted(Array(text.utf8)) == Array(expected.utf8))
        }
    }

    @Test("a route is removed only where the string says the address starts with \"@\"")
    func routeWithCombiningMark() {
        #expect(AddressListParser.withoutRoute(Array("@a:b@c".utf8)) == "b@c")
        #expect(AddressListParser.withoutRoute(Array("@a".utf8)) == "@a")
        // "@" with a combining mark is not the Character "@".
        #expect(AddressListParser.withoutRoute(Array("@\u{301}a:b@c".utf8)) == "@\u{301}a:b@c")
        #expect(AddressListParser.withoutRoute([]) == nil)
        #expect(AddressListParser.withoutRoute(Array("@a:".utf8)) == nil)
    }

    @Test("display names: trimmed in bytes without encoded words, decoded with them")
    func displayNames() {
        func name(_ text: String) -> String { Array(text.utf8).withUnsafeBufferPointer(AddressListParser.displayName) }
        #expect(name(" \t a b \t ") == "a b")
        #expect(name("") == "")
        #expect(name(" =?utf-8?Q?=C3=A9?= ") == "é")
        #expect(name("x =?utf-8?Q?a?= =?utf-8?Q?b?=") == "x ab")
        #expect(name("=? not a word") == "=? not a word")
    }
}
