@testable import MailMIME
import Testing

/// The MIME tree (RFC 2045, RFC 2046): multipart splitting, nesting, defaults and tolerance.
@Suite("MIMEMessage")
struct MIMEMessageTests {
    func text(_ parsed: MIMEMessage, _ part: MIMEPart) -> String { parsed.text(of: part) }

    @Test("multipart/mixed with a multipart/alternative inside and an attachment", arguments: [false, true])
    func mixedWithAlternative(_ bareLF: Bool) throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/alternative; boundary=inner

            --inner
            Content-Type: text/plain; charset=utf-8

            Hello
            --inner
            Content-Type: text/html; charset=utf-8

            <p>Hello</p>
            --inner--
            --outer
            Content-Type: application/pdf; name=a.pdf
            Content-Transfer-Encoding: base64

            JVBERi0xLjQK
            --outer--
            """, bareLF: bareLF))
        #expect(parsed.warnings.isEmpty)
        #expect(!parsed.truncated)
        #expect(parsed.root.contentType.mimeType == "multipart/mixed")
        try #require(parsed.root.children.map(\.contentType.mimeType) == ["multipart/alternative", "application/pdf"])
        let alternative = parsed.root.children[0]
        try #require(alternative.children.map(\.contentType.mimeType) == ["text/plain", "text/html"])
        #expect(text(parsed, alternative.children[0]) == "Hello")
        #expect(text(parsed, alternative.children[1]) == "<p>Hello</p>")
        let pdf = parsed.root.children[1]
        #expect(pdf.transferEncoding == "base64")
        #expect(parsed.decodedBody(of: pdf) == Array("%PDF-1.4\n".utf8))
        #expect(parsed.decodedSize(of: pdf) == 9)
    }

    @Test("RFC 2046 §5.1.1 sample: preamble and epilogue dropped, implicit text/plain, no final line break")
    func rfc2046Sample() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-type: multipart/mixed; boundary="simple boundary"

            This is the preamble.  It is to be ignored, though it
            is a handy place for composition agents to include an
            explanatory note to non-MIME conformant readers.

            --simple boundary

            This is implicitly typed plain US-ASCII text.
            It does NOT end with a linebreak.
            --simple boundary
            Content-type: text/plain; charset=us-ascii

            This is explicitly typed plain US-ASCII text.
            It DOES end with a linebreak.

            --simple boundary--

            This is the epilogue.  It is also to be ignored.

            """))
        let children = parsed.root.children
        try #require(children.count == 2)
        #expect(children[0].headers.fields.isEmpty)
        #expect(children[0].contentType == .textPlain)
        #expect(text(parsed, children[0]) == "This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.")
        #expect(children[1].contentType.parameters["charset"] == "us-ascii")
        #expect(text(parsed, children[1]) == "This is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n")
        #expect(parsed.warnings.isEmpty)
    }

    @Test("nested message/rfc822 is parsed as a message of its own")
    func nestedMessage() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/mixed; boundary=b1

            --b1
            Content-Type: text/plain

            See the forwarded message.
            --b1
            Content-Type: message/rfc822

            Subject: inner
            Content-Type: multipart/mixed; boundary=b2

            --b2
            Content-Type: text/plain

            inner text
            --b2
            Content-Type: image/png
            Content-Disposition: attachment; filename=inner.png

            PNG
            --b2--
            --b1--
            """))
        try #require(parsed.root.children.count == 2)
        let enclosure = parsed.root.children[1]
        #expect(enclosure.isEnclosedMessage)
        let inner = try #require(enclosure.children.first)
        #expect(inner.headers["subject"] == "inner")
        try #require(inner.children.map(\.contentType.mimeType) == ["text/plain", "image/png"])
        #expect(inner.children[1].filename == "inner.png")
        #expect(text(parsed, inner.children[0]) == "inner text")
    }

    @Test("multipart/digest: parts without Content-Type are message/rfc822 (RFC 2046 §5.1.5)")
    func digest() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/digest; boundary=d

            --d

            Subject: first
            From: a@x.test

            one
            --d

            Subject: second

            two
            --d
            Content-Type: text/plain

            explicitly text
            --d--
            """))
        let children = parsed.root.children
        try #require(children.map(\.contentType.mimeType) == ["message/rfc822", "message/rfc822", "text/plain"])
        #expect(children[0].children.first?.headers["subject"] == "first")
        #expect(children[1].children.first?.headers["subject"] == "second")
        let second = try #require(children[1].children.first)
        #expect(text(parsed, second) == "two")
        #expect(children[2].children.isEmpty)
    }

    @Test("a multipart inside a digest gives its own children the text/plain default")
    func digestNestedDefault() {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/digest; boundary=d

            --d
            Content-Type: multipart/mixed; boundary=m

            --m

            plain by default
            --m--
            --d--
            """))
        #expect(parsed.root.children.first?.children.first?.contentType == .textPlain)
    }

    @Test("multipart/signed (RFC 1847): the signed part and the signature, parameters kept")
    func signed() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/signed; micalg=pgp-sha256;
             protocol="application/pgp-signature"; boundary="sig"

            --sig
            Content-Type: text/plain

            signed text
            --sig
            Content-Type: application/pgp-signature; name="signature.asc"

            -----BEGIN PGP SIGNATURE-----
            --sig--
            """))
        #expect(parsed.root.contentType.parameters["protocol"] == "application/pgp-signature")
        #expect(parsed.root.contentType.parameters["micalg"] == "pgp-sha256")
        try #require(parsed.root.children.map(\.contentType.mimeType) == ["text/plain", "application/pgp-signature"])
        #expect(text(parsed, parsed.root.children[0]) == "signed text")
        #expect(parsed.root.children[1].filename == "signature.asc")
    }

    @Test("multipart/report (RFC 6522): delivery-status is a leaf, the returned message is parsed")
    func report() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/report; report-type=delivery-status; boundary=r

            --r

            Delivery failed.
            --r
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example

            Final-Recipient: rfc822; a@b.example
            Status: 5.1.1
            --r
            Content-Type: message/rfc822

            Subject: returned

            original
            --r--
            """))
        let children = parsed.root.children
        try #require(children.map(\.contentType.mimeType) == ["text/plain", "message/delivery-status", "message/rfc822"])
        #expect(parsed.root.contentType.parameters["report-type"] == "delivery-status")
        #expect(!children[1].isEnclosedMessage)
        #expect(children[1].children.isEmpty)
        #expect(children[2].children.first?.headers["subject"] == "returned")
    }

    @Test("missing final boundary: parts are kept, with a warning", arguments: [false, true])
    func missingFinalBoundary(_ bareLF: Bool) throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/alternative; boundary=b

            --b
            Content-Type: text/plain

            first
            --b
            Content-Type: text/html

            <b>second</b>
            """, bareLF: bareLF))
        try #require(parsed.root.children.count == 2)
        #expect(text(parsed, parsed.root.children[1]) == "<b>second</b>")
        #expect(parsed.warnings.contains { $0.contains("final boundary") })
        #expect(!parsed.truncated)
    }

    @Test("junk in preamble and epilogue is not a part")
    func junkPreambleEpilogue() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/mixed; boundary=b

            --not-the-boundary
            Content-Type: text/html

            <junk>
            --b
            Content-Type: text/plain

            real
            --b--
            --b
            Content-Type: text/plain

            epilogue junk that looks like a part
            """))
        try #require(parsed.root.children.count == 1)
        #expect(text(parsed, parsed.root.children[0]) == "real")
    }

    @Test("delimiter lines may end in white space (transport padding)")
    func boundaryTrailingWhiteSpace() {
        let parsed = MIMEMessage(bytes: message("Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\none\n--b  \n\ntwo\n--b-- \t\n"))
        #expect(parsed.root.children.map { text(parsed, $0) } == ["one", "two"])
        #expect(parsed.warnings.isEmpty)
    }

    @Test("a line that starts with the boundary but goes on is not a delimiter")
    func boundaryPrefixLine() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/mixed; boundary=XX

            --XX

            before
            --XXextra
            --XX--x
            after
            --XX--
            """))
        try #require(parsed.root.children.count == 1)
        #expect(text(parsed, parsed.root.children[0]) == "before\n--XXextra\n--XX--x\nafter")
    }

    @Test("the boundary in the middle of a line is text")
    func boundaryMidLine() {
        let parsed = MIMEMessage(bytes: message("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nsee --b here\n--b--\n"))
        #expect(parsed.root.children.map { text(parsed, $0) } == ["see --b here"])
    }

    @Test("a boundary at the very start of the body, with no preamble")
    func boundaryAtStart() throws {
        let parsed = MIMEMessage(bytes: message("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b--"))
        try #require(parsed.root.children.count == 1)
        #expect(text(parsed, parsed.root.children[0]) == "x")
        #expect(parsed.warnings.isEmpty)
    }

    @Test("bare-LF message with CRLF-free parts")
    func bareLF() throws {
        let parsed = MIMEMessage(bytes: message("""
            Subject: lf
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain

            line 1
            line 2

            --b--
            """, bareLF: true))
        #expect(parsed.root.headers["subject"] == "lf")
        try #require(parsed.root.children.count == 1)
        #expect(Array(parsed.rawBody(of: parsed.root.children[0])) == Array("line 1\nline 2\n".utf8))
    }

    @Test("empty parts: no headers and no body, or an empty body")
    func emptyParts() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/mixed; boundary=b

            --b

            --b
            Content-Type: text/plain

            --b
            Content-Type: text/plain

            x
            --b--
            """))
        try #require(parsed.root.children.count == 3)
        #expect(parsed.root.children.map { parsed.rawBody(of: $0).count } == [0, 0, 1])
        #expect(parsed.root.children[1].contentType.mimeType == "text/plain")
    }

    @Test("consecutive delimiter lines give an empty part between them")
    func consecutiveDelimiters() throws {
        let parsed = MIMEMessage(bytes: message("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\nContent-Type: text/html\n\n<i>x</i>\n--b--\n"))
        try #require(parsed.root.children.count == 2)
        #expect(parsed.root.children.map(\.contentType.mimeType) == ["text/plain", "text/html"])
        #expect(parsed.rawBody(of: parsed.root.children[0]).isEmpty)
        #expect(text(parsed, parsed.root.children[1]) == "<i>x</i>")
        let closed = MIMEMessage(bytes: message("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b--\n"))
        #expect(closed.root.children.count == 1)
        #expect(closed.warnings.isEmpty)
    }

    @Test("multipart without a boundary parameter is one text part, with a warning")
    func noBoundaryParameter() {
        let parsed = MIMEMessage(bytes: message("Content-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n"))
        #expect(parsed.root.contentType == .textPlain)
        #expect(parsed.root.children.isEmpty)
        #expect(parsed.warnings.contains { $0.contains("without boundary") })
        #expect(text(parsed, parsed.root) == "--x\n\nbody\n--x--\n")
    }

    @Test("multipart whose boundary never appears is one text part, with a warning")
    func boundaryNeverAppears() {
        let parsed = MIMEMessage(bytes: message("Content-Type: multipart/mixed; boundary=zz\n\njust text\n"))
        #expect(parsed.root.contentType == .textPlain)
        #expect(parsed.warnings.contains { $0.contains("no boundary line") })
    }

    @Test("an invalid Content-Type means text/plain, with a warning", arguments: ["text", "garbage here", "/", "text/plain/x"])
    func invalidContentType(_ value: String) {
        let parsed = MIMEMessage(bytes: message("Content-Type: \(value)\n\nbody"))
        #expect(parsed.root.contentType == .textPlain)
        #expect(parsed.warnings.contains { $0.contains("invalid Content-Type") })
        #expect(text(parsed, parsed.root) == "body")
    }

    @Test("Content-Transfer-Encoding is trimmed and lower-cased; missing means 7bit")
    func transferEncodingNames() {
        let parsed = MIMEMessage(bytes: message("Content-Transfer-Encoding:  Quoted-Printable \n\ncaf=C3=A9"))
        #expect(parsed.root.transferEncoding == "quoted-printable")
        #expect(text(parsed, parsed.root) == "café")
        #expect(MIMEMessage(bytes: message("Subject: x\n\nbody")).root.transferEncoding == "7bit")
    }

    @Test("text(of:) decodes the charset and normalises CRLF and CR to LF")
    func textNormalisation() {
        let bytes = Array("Content-Type: text/plain; charset=iso-8859-1\r\n\r\n".utf8) + [0x63, 0x61, 0x66, 0xE9, 0x0D, 0x0A, 0x61, 0x0D, 0x62, 0x0A, 0x0A]
        let parsed = MIMEMessage(bytes: bytes)
        #expect(text(parsed, parsed.root) == "café\na\nb\n\n")
    }

    @Test("a base64 message/rfc822 is not parsed as a message (RFC 2046 §5.2.1 allows 7bit, 8bit, binary)")
    func encodedEnclosure() {
        let parsed = MIMEMessage(bytes: message("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeAoKYm9keQo=\n"))
        #expect(parsed.root.children.isEmpty)
        #expect(parsed.decodedBody(of: parsed.root) == Array("Subject: x\n\nbody\n".utf8))
    }

    @Test("message/global is an enclosed message too (RFC 6532)")
    func messageGlobal() {
        let parsed = MIMEMessage(bytes: message("Content-Type: message/global\n\nSubject: Grüße\n\nbody"))
        #expect(parsed.root.isEnclosedMessage)
        #expect(parsed.root.children.first?.headers["subject"] == "Grüße")
    }

    @Test("a boundary that is a prefix of another boundary does not confuse the outer split")
    func prefixBoundaries() throws {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: multipart/mixed; boundary=ab

            --ab
            Content-Type: multipart/alternative; boundary=abc

            --abc

            inner
            --abc--
            --ab

            outer
            --ab--
            """))
        try #require(parsed.root.children.count == 2)
        #expect(parsed.root.children[0].children.count == 1)
        #expect(text(parsed, parsed.root.children[1]) == "outer")
    }
}

/// Text bodies: line ends normalised before charset decoding where the charset allows, after
/// it where not.
extension MIMEMessageTests {
    static func text(_ headers: String, _ body: [UInt8]) -> String {
        let bytes = Array((headers + "\r\n\r\n").utf8) + body
        let parsed = MIMEMessage(bytes: bytes)
        return parsed.text(of: parsed.root)
    }

    @Test("line ends in every transfer encoding and charset family")
    func textLineEnds() {
        let utf8 = "Content-Type: text/plain; charset=utf-8"
        #expect(Self.text(utf8, Array("a\r\nb\rc\n\r".utf8)) == "a\nb\nc\n\n")
        #expect(Self.text(utf8 + "\r\nContent-Transfer-Encoding: quoted-printable", Array("a=0D=0Ab=0D\r\nc  \r\n".utf8)) == "a\nb\n\nc\n")
        #expect(Self.text(utf8 + "\r\nContent-Transfer-Encoding: base64", Array("YQ0KYg1j".utf8)) == "a\nb\nc")
        #expect(Self.text(utf8, [0xE2, 0x80, 0x0D, 0x0A, 0xFF, 0x0D]) == "\u{FFFD}\n\u{FFFD}\n")
        #expect(Self.text("Content-Type: text/plain; charset=iso-8859-1", [0x63, 0xE9, 0x0D, 0x0A]) == "cé\n")
        #expect(Self.text("Content-Type: text/plain", [0x63, 0xE9, 0x0D]) == "cé\n")
        #expect(Self.text("Content-Type: text/plain; charset=windows-1252", [0x80, 0x0D, 0x0A, 0x0D]) == "€\n\n")
        #expect(Self.text("Content-Type: text/plain; charset=utf-16le", [0x61, 0x00, 0x0D, 0x00, 0x0A, 0x00, 0x0D, 0x00]) == "a\n\n")
        #expect(Self.text(utf8, []) == "")
    }
}
