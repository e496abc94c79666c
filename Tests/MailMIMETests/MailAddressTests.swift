@testable import MailMIME
import Testing

/// Address lists (RFC 5322 §3.4). Expected values are Python `email.utils.getaddresses`'s
/// (display name, addr-spec) pairs, with an empty name written as nil, and RFC 5322
/// Appendix A's examples read by its grammar.
@Suite("MailAddress")
struct MailAddressTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let input: String
        let expected: [MailAddress]
        var testDescription: String { input }
        init(_ input: String, _ expected: [(String?, String)]) {
            self.input = input
            self.expected = expected.map { MailAddress(name: $0.0, address: $0.1) }
        }
    }

    static let pythonCases: [Case] = [
        Case("a@b.com (John Doe)", [(nil, "a@b.com")]),
        Case("\"Doe, John\" <j@x.org>, Team: a@x, b@y;, undisclosed-recipients:;",
             [("Doe, John", "j@x.org"), (nil, "a@x"), (nil, "b@y")]),
        Case("=?utf-8?q?J=C3=B6rg?= <j@x.de>", [("Jörg", "j@x.de")]),
        Case("\"=?utf-8?q?J=C3=B6rg?=\" <j@x.de>", [("Jörg", "j@x.de")]),
        Case("john @ example.com", [(nil, "john@example.com")]),
        Case("<@route,@r2:user@host>", [(nil, "user@host")]),
        Case("Name <user@host", [("Name", "user@host")]),
        Case("\"john doe\"@example.com", [(nil, "\"john doe\"@example.com")]),
        Case("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
             [("Mary Smith", "mary@x.test"), (nil, "jdoe@example.org"), ("Who?", "one@y.test")]),
        Case("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", [("Pete", "pete@silly.test")]),
        Case("John   Doe <j@d>", [("John Doe", "j@d")]),
    ]

    @Test("Python email's results", arguments: pythonCases)
    func python(_ item: Case) {
        #expect(MailAddress.parseList(item.input) == item.expected)
    }

    /// RFC 5322 Appendix A (values as they are after unfolding).
    static let appendixA: [Case] = [
        // A.1.1
        Case("John Doe <jdoe@machine.example>", [("John Doe", "jdoe@machine.example")]),
        Case("Mary Smith <mary@example.net>", [("Mary Smith", "mary@example.net")]),
        // A.1.2
        Case("\"Joe Q. Public\" <john.q.public@example.com>", [("Joe Q. Public", "john.q.public@example.com")]),
        Case("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
             [(nil, "boss@nil.test"), ("Giant; \"Big\" Box", "sysservices@example.net")]),
        // A.1.3: groups are flattened; an empty group gives nothing.
        Case("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
             [("Ed Jones", "c@a.test"), (nil, "joe@where.test"), ("John", "jdoe@one.test")]),
        Case("Undisclosed recipients:;", []),
        // A.2
        Case("\"Mary Smith: Personal Account\" <smith@home.example>", [("Mary Smith: Personal Account", "smith@home.example")]),
        // A.5: white space and comments.
        Case("A Group(Some people)     :Chris Jones <c@(Chris's host.)public.example>,         joe@example.org,  "
             + "John <jdoe@one.test> (my dear friend); (the end of the group)",
             [("Chris Jones", "c@public.example"), (nil, "joe@example.org"), ("John", "jdoe@one.test")]),
        Case("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;", []),
        // A.6.1: obsolete route, empty list elements, white space around dots.
        Case("Joe Q. Public <john.q.public@example.com>", [("Joe Q. Public", "john.q.public@example.com")]),
        Case("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
             [("Mary Smith", "mary@example.net"), (nil, "jdoe@test.example")]),
        // A.6.3: comment and white space inside the angle brackets.
        Case("John Doe <jdoe@machine(comment).  example>", [("John Doe", "jdoe@machine.example")]),
        Case("Mary Smith\r\n  \r\n          <mary@example.net>", [("Mary Smith", "mary@example.net")]),
    ]

    @Test("RFC 5322 Appendix A", arguments: appendixA)
    func appendix(_ item: Case) {
        #expect(MailAddress.parseList(item.input) == item.expected)
    }

    static let more: [Case] = [
        Case("", []),
        Case("   ", []),
        Case(",,,", []),
        Case("user@example.com", [(nil, "user@example.com")]),
        Case("<user@example.com>", [(nil, "user@example.com")]),
        Case("  <user@example.com>  ", [(nil, "user@example.com")]),
        // RFC 6532: UTF-8 in names and addresses.
        Case("Jörg Müller <jörg@bücher.example>", [("Jörg Müller", "jörg@bücher.example")]),
        // Several encoded words: the space between two words goes, that before plain text stays.
        Case("=?utf-8?q?Andr=C3=A9?= =?utf-8?q?_Pirard?= Jr <ap@x.test>", [("André Pirard Jr", "ap@x.test")]),
        Case("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>", [("Keld Jørn Simonsen", "keld@dkuug.dk")]),
        // Quoted pairs in a quoted name.
        Case("\"O\\\"Brien, \\\\Pat\" <pat@x.test>", [("O\"Brien, \\Pat", "pat@x.test")]),
        // A quoted local part inside angle brackets keeps its quotes.
        Case("Odd <\"a b\"@x.test>", [("Odd", "\"a b\"@x.test")]),
        // Comments only.
        Case("(just a comment)", []),
        // Commas between mailboxes with comments and folding white space.
        Case("a@x.test (A),\r\n\tb@y.test (B)", [(nil, "a@x.test"), (nil, "b@y.test")]),
        // Name in a comment after the address is not a display name (Python agrees).
        Case("b@y.test (Bob Jones)", [(nil, "b@y.test")]),
        // Two groups and a mailbox.
        Case("G1: a@x;, G2: b@y, c@z;, d@w", [(nil, "a@x"), (nil, "b@y"), (nil, "c@z"), (nil, "d@w")]),
        // Empty angle brackets are no address.
        Case("Nobody <>", []),
    ]

    @Test("more lists: empty, UTF-8, encoded words, quoted pairs, comments, groups", arguments: more)
    func moreLists(_ item: Case) {
        #expect(MailAddress.parseList(item.input) == item.expected)
    }

    @Test("addresses of a parsed message's headers")
    func throughPayload() {
        let built = payload("""
            From: =?utf-8?q?J=C3=B6rg?= <j@x.de>
            To: "Doe, John" <j@x.org>,
             Team: a@x, b@y;
            Cc: undisclosed-recipients:;
            Reply-To: <reply@x.test>
            Sender: sender@x.test (The Sender)
            Bcc: hidden@x.test

            body
            """)
        #expect(built.from == [MailAddress(name: "Jörg", address: "j@x.de")])
        #expect(built.to == [MailAddress(name: "Doe, John", address: "j@x.org"), MailAddress(name: nil, address: "a@x"),
                             MailAddress(name: nil, address: "b@y")])
        #expect(built.cc.isEmpty)
        #expect(built.replyTo == [MailAddress(name: nil, address: "reply@x.test")])
        #expect(built.sender == [MailAddress(name: nil, address: "sender@x.test")])
        #expect(built.bcc == [MailAddress(name: nil, address: "hidden@x.test")])
    }

    @Test("repeated To fields are all read, in order")
    func repeatedFields() {
        let built = payload("To: a@x.test\nTo: B <b@x.test>\n\n")
        #expect(built.to == [MailAddress(name: nil, address: "a@x.test"), MailAddress(name: "B", address: "b@x.test")])
    }
}
