@testable import MailMIME
import Testing

/// The header section (RFC 5322 §2.2): unfolding, repeated fields, raw 8-bit bytes, where the
/// body starts, obsolete syntax (§4.5) and the mbox From line.
@Suite("HeaderSection")
struct HeaderSectionTests {
    @Test("folded fields are unfolded: the line break goes, the white space stays", arguments: [false, true])
    func folding(_ bareLF: Bool) {
        let bytes = message("Subject: This is a test\n  of folding\n\tand tabs\nTo: a@b.test\n\nBody", bareLF: bareLF)
        let (section, bodyStart, truncated) = parseHeaders(bytes)
        #expect(section.fields == [
            HeaderField(name: "Subject", value: "This is a test  of folding\tand tabs"),
            HeaderField(name: "To", value: "a@b.test"),
        ])
        #expect(Array(bytes[bodyStart...]) == Array("Body".utf8))
        #expect(!truncated)
    }

    @Test("RFC 5322 §3.2.2: a folded Subject reads as one line")
    func rfcFoldingExample() {
        let (section, _, _) = parseHeaders(message("Subject: This\n is a test\n\n"))
        #expect(section["Subject"] == "This is a test")
    }

    @Test("repeated fields are all kept, in order; the subscript gives the first")
    func repeatedReceived() {
        let bytes = message("""
            Received: from a by b; Mon, 1 Jan 2024 00:00:03 +0000
            Received: from c by d; Mon, 1 Jan 2024 00:00:02 +0000
            Subject: x
            Received: from e by f; Mon, 1 Jan 2024 00:00:01 +0000

            """)
        let (section, _, _) = parseHeaders(bytes)
        #expect(section.all("received") == [
            "from a by b; Mon, 1 Jan 2024 00:00:03 +0000",
            "from c by d; Mon, 1 Jan 2024 00:00:02 +0000",
            "from e by f; Mon, 1 Jan 2024 00:00:01 +0000",
        ])
        #expect(section["RECEIVED"] == "from a by b; Mon, 1 Jan 2024 00:00:03 +0000")
        #expect(section.fields.map(\.name) == ["Received", "Received", "Subject", "Received"])
        #expect(section.all("x-missing").isEmpty)
        #expect(section["x-missing"] == nil)
    }

    @Test("raw UTF-8 bytes in a header are UTF-8 (RFC 6532)")
    func rawUTF8() {
        let (section, _, _) = parseHeaders(Array("Subject: Grüße aus Köln €\r\n\r\n".utf8))
        #expect(section["subject"] == "Grüße aus Köln €")
    }

    @Test("raw bytes that are not UTF-8 are ISO-8859-1")
    func rawLatin1() {
        let bytes = Array("Subject: Gr".utf8) + [0xFC, 0xDF] + Array("e aus K".utf8) + [0xF6] + Array("ln\r\n\r\n".utf8)
        let (section, _, _) = parseHeaders(bytes)
        #expect(section["subject"] == "Grüße aus Köln")
    }

    @Test("a section with no empty line after it: everything is headers, the body is empty")
    func noSeparator() {
        for text in ["From: a@b.test\r\nSubject: hi", "From: a@b.test\r\nSubject: hi\r\n", "From: a@b.test\nSubject: hi\n"] {
            let bytes = Array(text.utf8)
            let (section, bodyStart, truncated) = parseHeaders(bytes)
            #expect(section.fields == [HeaderField(name: "From", value: "a@b.test"), HeaderField(name: "Subject", value: "hi")])
            #expect(bodyStart == bytes.count)
            #expect(!truncated)
        }
    }

    @Test("the body starts right after the empty line")
    func bodyAfterHeaders() {
        let bytes = message("Subject: x\n\n\nSecond line of body\n")
        let (section, bodyStart, _) = parseHeaders(bytes)
        #expect(section.fields.count == 1)
        // The body is the second CRLF onwards: an empty first line, then text.
        #expect(Array(bytes[bodyStart...]) == Array("\r\nSecond line of body\r\n".utf8))

        let empty = message("Subject: x\n\n")
        #expect(parseHeaders(empty).bodyStart == empty.count)
    }

    @Test("a message with no headers at all: the empty first line starts the body")
    func noHeaders() {
        let bytes = message("\nJust a body\n")
        let (section, bodyStart, _) = parseHeaders(bytes)
        #expect(section.fields.isEmpty)
        #expect(bodyStart == 2)
    }

    @Test("a line that is not a header field ends the section and belongs to the body",
          arguments: ["This line has no colon", "Two words: not a field name", ": empty name", "Ünïcode: name"])
    func nonHeaderLine(_ line: String) {
        let bytes = message("Subject: x\nTo: a@b.test\n\(line)\nmore body\n")
        let (section, bodyStart, _) = parseHeaders(bytes)
        #expect(section.fields.map(\.name) == ["Subject", "To"])
        #expect(Array(bytes[bodyStart...]) == message("\(line)\nmore body\n"))
    }

    @Test("obsolete white space before the colon (RFC 5322 §4.5)")
    func obsoleteColon() {
        let (section, _, _) = parseHeaders(message("Subject : hello\nTo\t: a@b.test\n\n"))
        #expect(section.fields == [HeaderField(name: "Subject", value: "hello"), HeaderField(name: "To", value: "a@b.test")])
        #expect(section["subject"] == "hello")
    }

    @Test("white space around the value is not part of it; an empty value is empty")
    func valueTrimming() {
        let (section, _, _) = parseHeaders(message("Subject:    padded  \t\nX-Empty:\nX-Spaces:   \n\n"))
        #expect(section["subject"] == "padded")
        #expect(section["x-empty"] == "")
        #expect(section["x-spaces"] == "")
    }

    @Test("a value may contain colons; the name is everything before the first one")
    func colonsInValue() {
        let (section, _, _) = parseHeaders(message("X-Time: 10:20:30\nX-URL:http://a.test/\n\n"))
        #expect(section["x-time"] == "10:20:30")
        #expect(section["x-url"] == "http://a.test/")
    }

    @Test("an mbox From line before the headers is skipped", arguments: [false, true])
    func mboxFromLine(_ bareLF: Bool) {
        let bytes = message("From alice@example.com Mon Jan  1 00:00:00 2024\nFrom: Alice <alice@example.com>\nSubject: hi\n\nbody",
                            bareLF: bareLF)
        let (section, bodyStart, _) = parseHeaders(bytes)
        #expect(section.fields == [
            HeaderField(name: "From", value: "Alice <alice@example.com>"),
            HeaderField(name: "Subject", value: "hi"),
        ])
        #expect(Array(bytes[bodyStart...]) == Array("body".utf8))
    }

    @Test("a From: field is a field, not an mbox line")
    func fromFieldIsKept() {
        let (section, _, _) = parseHeaders(message("From: a@b.test\n\n"))
        #expect(section["from"] == "a@b.test")
    }

    @Test("a header section over the size limit is cut, marked truncated, and the body is still found")
    func sizeLimit() {
        let long = String(repeating: "x", count: 200)
        let bytes = message("Subject: first\n" + (1...20).map { "X-Filler-\($0): \(long)\n" }.joined() + "\nthe body")
        let (section, bodyStart, truncated) = parseHeaders(bytes, maxBytes: 300)
        #expect(truncated)
        #expect(section["subject"] == "first")
        #expect(section.fields.count < 21)
        #expect(Array(bytes[bodyStart...]) == Array("the body".utf8))
    }

    @Test("a section exactly at the size limit, empty line included, is not truncated")
    func sizeLimitExact() {
        let bytes = message("Subject: first\n\nbody")
        // "Subject: first\r\n" is 16 bytes and the empty line 2 more: 18 in all.
        let (section, bodyStart, truncated) = parseHeaders(bytes, maxBytes: 18)
        #expect(!truncated)
        #expect(section["subject"] == "first")
        #expect(bodyStart == 18)
    }

    @Test("field names keep their spelling; lookups ignore case")
    func nameCase() {
        let (section, _, _) = parseHeaders(message("MIME-Version: 1.0\ncontent-TYPE: text/plain\n\n"))
        #expect(section.fields.map(\.name) == ["MIME-Version", "content-TYPE"])
        #expect(section["Content-Type"] == "text/plain")
        #expect(section["mime-version"] == "1.0")
    }

    @Test("a name matches as lowercased() forms would, with or without non-ASCII letters",
          arguments: [("Content-Type", "content-type", true), ("X-A", "x-a", true), ("X-A", "X-B", false),
                      ("X-A", "X-AB", false), ("X-[", "x-{", false), ("X-@", "X-`", false), ("X-1", "X-1", true),
                      ("X-Größe", "x-grösse", false), ("X-GRÖSSE", "x-grösse", true), ("\u{212A}ey", "key", true),
                      ("\u{212A}-A", "k-b", false), ("A-\u{212A}", "b-k", false), ("ÄB", "äb", true),
                      ("", "", true)])
    func nameMatching(name: String, other: String, expected: Bool) {
        #expect(HeaderField(name: name, value: "").hasName(other) == expected)
        #expect(expected == (name.lowercased() == other.lowercased()), "the reference answer")
    }

    @Test("the parsed root of a message has the same headers and body")
    func throughMessage() {
        let parsed = MIMEMessage(bytes: message("Subject: hi\nX-A: 1\n\nline 1\nline 2\n"))
        #expect(parsed.root.headers["subject"] == "hi")
        #expect(Array(parsed.rawBody(of: parsed.root)) == message("line 1\nline 2\n"))
    }
}

/// Name comparison that stops early, and values decoded straight from the message bytes.
extension HeaderSectionTests {
    @Test("ASCII name comparison: the first differing ASCII byte decides, whatever the lengths")
    func namesEqual() {
        func equal(_ lhs: String, _ rhs: String) -> Bool? {
            Array(lhs.utf8).withUnsafeBufferPointer { l in Array(rhs.utf8).withUnsafeBufferPointer { r in HeaderField.asciiNamesEqual(l, r) } }
        }
        #expect(equal("Subject", "subject") == true)
        #expect(equal("Subject", "subjects") == false)
        #expect(equal("To", "From") == false)
        #expect(equal("abc", "abd\u{212A}") == false)
        #expect(equal("abc", "abc\u{301}") == nil)
        #expect(equal("KEY", "\u{212A}ey") == nil)
        #expect(HeaderField(name: "\u{212A}ey", value: "").hasName("KEY"))
        #expect(!HeaderField(name: "abc\u{301}", value: "").hasName("abc"))
        #expect(HeaderField(name: "X-Ünï", value: "").hasName("x-üNï"))
        // The first-byte shortcut: only two ASCII first bytes that differ beyond case decide.
        #expect(!HeaderField(name: "From", value: "").hasName("to"))
        #expect(HeaderField(name: "KEY", value: "").hasName("\u{212A}ey"))
        #expect(HeaderField(name: "x", value: "").hasName("X"))
        #expect(!HeaderField(name: "", value: "").hasName("x"))
        #expect(HeaderField(name: "", value: "").hasName(""))
    }

    @Test("one-line and folded values, ASCII and not")
    func values() {
        let (section, _, _) = parseHeaders(message("""
            Subject:  one line \t
            X-Folded: a
             b
            \tc
            X-Latin: caf\u{E9}
            X-Empty:

            body
            """))
        #expect(section["subject"] == "one line")
        #expect(section["x-folded"] == "a b\tc")
        #expect(section["x-latin"] == "café")
        #expect(section["x-empty"] == "")
        var latin1 = Array("X-Raw: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8)
        #expect(parseHeaders(latin1).section["x-raw"] == "café")
        latin1 = Array("X-Raw: a\r\n caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8)
        #expect(parseHeaders(latin1).section["x-raw"] == "a café")
        #expect(section.all("x-folded") == ["a b\tc"])
    }
}
