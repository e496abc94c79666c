import Foundation
@testable import MailMIME
import Testing

/// What flows see: body selection (Python email's `get_body` rules), attachments, options, caps.
@Suite("Payload")
struct PayloadTests {
    typealias Attachment = Payload.Attachment

    static let alternative = """
        Subject: =?utf-8?q?caf=C3=A9?= menu
        Content-Type: multipart/alternative; boundary=b

        --b
        Content-Type: text/plain; charset=utf-8

        plain body
        --b
        Content-Type: text/html; charset=utf-8

        <p>html body</p>
        --b--
        """

    @Test("a single text/plain part is the text; nothing else")
    func singlePlain() {
        let built = payload("Subject: hi\n\nJust text.\n")
        #expect(built.text == "Just text.\n")
        #expect(built.html == nil)
        #expect(built.attachments.isEmpty)
        #expect(!built.textTruncated && !built.htmlTruncated && !built.truncated)
        #expect(built.headers == nil && built.raw == nil)
    }

    @Test("a single text/html part is the html")
    func singleHTML() {
        let built = payload("Content-Type: text/html\n\n<b>x</b>")
        #expect(built.text == nil)
        #expect(built.html == "<b>x</b>")
        #expect(built.attachments.isEmpty)
    }

    @Test("multipart/alternative gives both bodies, whatever their order")
    func alternativeBodies() {
        let built = payload(Self.alternative)
        #expect(built.subject == "café menu")
        #expect(built.text == "plain body")
        #expect(built.html == "<p>html body</p>")
        #expect(built.attachments.isEmpty)
        let reversed = payload("""
            Content-Type: multipart/alternative; boundary=b

            --b
            Content-Type: text/html

            <p>first</p>
            --b
            Content-Type: text/plain

            second
            --b--
            """)
        #expect(reversed.text == "second")
        #expect(reversed.html == "<p>first</p>")
    }

    @Test("the first text/plain, depth first, is the text; later inline ones are neither body nor attachment")
    func firstPlainWins() {
        let built = payload("""
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: multipart/alternative; boundary=c

            --c
            Content-Type: text/plain

            deep first
            --c--
            --b
            Content-Type: text/plain

            shallow second
            --b--
            """)
        #expect(built.text == "deep first")
        #expect(built.attachments.isEmpty)
    }

    static func related(start: String?) -> String {
        """
        Content-Type: multipart/alternative; boundary=alt

        --alt
        Content-Type: text/plain

        plain
        --alt
        Content-Type: multipart/related; type="text/html";\(start.map { " start=\"\($0)\";" } ?? "")
        \tboundary=rel

        --rel
        Content-Type: text/html
        Content-ID: <first@x.test>

        <p>first html</p>
        --rel
        Content-Type: text/html
        Content-ID: <root@x.test>

        <p>root html <img src="cid:img@x.test"></p>
        --rel
        Content-Type: image/png
        Content-ID: <img@x.test>
        Content-Transfer-Encoding: base64

        iVBORw0KGgo=
        --rel--
        --alt--
        """
    }

    @Test("multipart/related: the start part is the root, else the first part")
    func relatedRoot() {
        let withStart = payload(Self.related(start: "<root@x.test>"))
        #expect(withStart.text == "plain")
        #expect(withStart.html == "<p>root html <img src=\"cid:img@x.test\"></p>")
        #expect(withStart.attachments == [
            Attachment(filename: nil, contentType: "image/png", size: 8, contentId: "img@x.test", disposition: nil, content: nil),
        ])
        let withoutStart = payload(Self.related(start: nil))
        #expect(withoutStart.html == "<p>first html</p>")
        #expect(withoutStart.attachments.map(\.contentType) == ["image/png"])
    }

    @Test("multipart/related whose start is the image: no html body (the root is not text)")
    func relatedStartNotText() {
        let built = payload(Self.related(start: "<img@x.test>"))
        #expect(built.html == nil)
        #expect(built.text == "plain")
    }

    @Test("text with Content-Disposition: attachment is not a body but an attachment")
    func attachmentTextNotChosen() {
        let built = payload("""
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain
            Content-Disposition: attachment; filename="notes.txt"

            attached notes
            --b
            Content-Type: text/html
            Content-Disposition: attachment

            <p>attached html</p>
            --b
            Content-Type: text/html

            <p>the body</p>
            --b--
            """)
        #expect(built.text == nil)
        #expect(built.html == "<p>the body</p>")
        #expect(built.attachments == [
            Attachment(filename: "notes.txt", contentType: "text/plain", size: 14, contentId: nil, disposition: "attachment", content: nil),
            Attachment(filename: nil, contentType: "text/html", size: 20, contentId: nil, disposition: "attachment", content: nil),
        ])
    }

    @Test("text/plain with a filename but inline (or no disposition) is the body, not an attachment",
          arguments: ["Content-Disposition: inline; filename=readme.txt", "Content-Type: text/plain; name=readme.txt"])
    func inlineTextWithFilename(_ header: String) {
        let built = payload("""
            Content-Type: multipart/mixed; boundary=b

            --b
            \(header)

            read me
            --b
            Content-Type: text/plain; name=second.txt

            second
            --b--
            """)
        #expect(built.text == "read me")
        // The second has a filename, so it is an attachment.
        #expect(built.attachments.map(\.filename) == ["second.txt"])
    }

    @Test("an enclosed message is one attachment: its text is not the body and its parts are not attachments")
    func enclosedMessage() {
        let built = payload("""
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: message/rfc822

            Subject: forwarded
            Content-Type: multipart/mixed; boundary=inner

            --inner
            Content-Type: text/plain

            inner text
            --inner
            Content-Type: application/pdf; name=inner.pdf

            x
            --inner--
            --b--
            """)
        #expect(built.text == nil)
        #expect(built.attachments.count == 1)
        #expect(built.attachments.first?.contentType == "message/rfc822")
        #expect(built.attachments.first?.filename == nil)
    }

    @Test("attachment fields: type lower-cased, decoded size, Content-ID without brackets, disposition")
    func attachmentFields() {
        let built = payload("""
            Content-Type: multipart/mixed; boundary=b

            --b

            body
            --b
            Content-Type: Application/PDF; name="by-name.pdf"
            Content-Transfer-Encoding: BASE64
            Content-Disposition: ATTACHMENT; filename="by-filename.pdf"; filename*=utf-8''%E2%82%AC.pdf

            JVBE
            Ri0x
            LjQK
            --b
            Content-Type: image/GIF
            Content-ID:  <logo@x.test> \("")
            Content-Disposition: inline
            Content-Transfer-Encoding: quoted-printable

            GIF=3D89a=
            !
            --b
            Content-Type: application/octet-stream; name=data.bin

            seven bit
            --b--
            """)
        #expect(built.text == "body")
        #expect(built.attachments == [
            Attachment(filename: "€.pdf", contentType: "application/pdf", size: 9, contentId: nil, disposition: "attachment", content: nil),
            Attachment(filename: nil, contentType: "image/gif", size: 8, contentId: "logo@x.test", disposition: "inline", content: nil),
            Attachment(filename: "data.bin", contentType: "application/octet-stream", size: 9, contentId: nil, disposition: nil, content: nil),
        ])
    }

    @Test("attachment contents: base64 of the decoded bytes, only when asked, within the cap")
    func attachmentContent() {
        let text = """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: application/pdf; name=a.pdf
            Content-Transfer-Encoding: base64

            JVBERi0xLjQK
            --b
            Content-Type: application/octet-stream; name=b.bin
            Content-Transfer-Encoding: quoted-printable

            a=3Db
            --b
            Content-Type: application/octet-stream; name=c.bin

            hello
            --b--
            """
        #expect(payload(text).attachments.allSatisfy { $0.content == nil })
        let all = payload(text, options: PayloadOptions(includeAttachmentContent: true))
        #expect(all.attachments.map(\.content) == ["JVBERi0xLjQK", "YT1i", "aGVsbG8="])
        #expect(!all.truncated)

        let exact = payload(text, options: PayloadOptions(includeAttachmentContent: true, maxAttachmentContentBytes: 9))
        #expect(exact.attachments.map(\.content) == ["JVBERi0xLjQK", "YT1i", "aGVsbG8="])

        let capped = payload(text, options: PayloadOptions(includeAttachmentContent: true, maxAttachmentContentBytes: 8))
        #expect(capped.attachments.map(\.content) == [nil, "YT1i", "aGVsbG8="])
        #expect(capped.attachments.map(\.size) == [9, 3, 5])
        #expect(capped.truncated)
        #expect(capped.warnings.contains { $0.contains("a.pdf") })
        #expect(capped.text == nil)
    }

    @Test("includeHeaders: every field in order, encoded words decoded")
    func includeHeaders() {
        let built = payload("""
            Received: one
            Subject: =?utf-8?q?caf=C3=A9?= =?utf-8?b?4oKs?=
            Received: two
            X-Folded: a
             b

            body
            """, options: PayloadOptions(includeHeaders: true))
        #expect(built.headers == [
            HeaderField(name: "Received", value: "one"),
            HeaderField(name: "Subject", value: "café€"),
            HeaderField(name: "Received", value: "two"),
            HeaderField(name: "X-Folded", value: "a b"),
        ])
    }

    @Test("includeRaw: the raw message, base64, byte for byte")
    func includeRaw() throws {
        let bytes = message("Subject: raw\n\nbytes: ") + [0x00, 0xFF, 0x80, 0x0D, 0x0A]
        let built = Payload(message: MIMEMessage(bytes: bytes), options: PayloadOptions(includeRaw: true))
        let raw = try #require(built.raw)
        #expect(Data(base64Encoded: raw).map(Array.init) == bytes)
        #expect(built.size == bytes.count)
    }

    @Test("maxBodyBytes cuts at a character boundary and sets textTruncated",
          arguments: [(0, ""), (1, "a"), (2, "a"), (3, "aé"), (5, "aé"), (6, "aé€"), (9, "aé€"), (10, "aé€😀")])
    func bodyCap(_ cap: Int, _ expected: String) {
        // a (1 byte), é (2), € (3), 😀 (4): 10 bytes in all.
        let built = payload("Content-Type: text/plain; charset=utf-8\n\naé€😀", options: PayloadOptions(maxBodyBytes: cap))
        #expect(built.text == expected)
        #expect(built.textTruncated == (cap < 10))
        #expect(!built.htmlTruncated)
        #expect(!built.truncated)
    }

    @Test("the html cap is separate from the text cap")
    func htmlCap() {
        let built = payload(Self.alternative, options: PayloadOptions(maxBodyBytes: 10))
        #expect(built.text == "plain body")
        #expect(!built.textTruncated)
        #expect(built.html == "<p>html bo")
        #expect(built.htmlTruncated)
    }

    @Test("Message-ID, In-Reply-To and References")
    func messageIDs() {
        let built = payload("""
            Message-ID:  <abc.123@x.test>
            In-Reply-To: <parent@x.test>
            References: <root@x.test> (comment)
             <mid@x.test>
            References: <parent@x.test>

            """)
        #expect(built.messageId == "<abc.123@x.test>")
        #expect(built.inReplyTo == "<parent@x.test>")
        #expect(built.references == ["<root@x.test>", "<mid@x.test>", "<parent@x.test>"])
        let none = payload("Message-ID:\n\n")
        #expect(none.messageId == nil)
        #expect(none.inReplyTo == nil)
        #expect(none.references.isEmpty)
        #expect(Payload.messageIDs("junk <a@b> more <c @ d>") == ["<a@b>", "<c@d>"])
        #expect(Payload.messageIDs("<unclosed@x") == [])
    }

    @Test("line ends of text and html are \\n", arguments: [false, true])
    func lineEnds(_ bareLF: Bool) {
        let built = payload("Content-Type: text/plain\n\nline 1\nline 2\n\nline 4\n", bareLF: bareLF)
        #expect(built.text == "line 1\nline 2\n\nline 4\n")
        let qp = payload("Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<p>a</p>=0D=0A<p>b</p>=\n\n")
        #expect(qp.html == "<p>a</p>\n<p>b</p>\n")
    }

    @Test("text bodies: transfer encoding and charset undone")
    func bodyDecoding() {
        let base64 = payload("Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\nY2Fm6Q==\n")
        #expect(base64.text == "café")
        let qp = payload("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 =E2=82=AC\n")
        #expect(qp.text == "café €\n")
        let sjis = payload("Content-Type: text/plain; charset=shift_jis\nContent-Transfer-Encoding: base64\n\nk/qWe4zq\n")
        #expect(sjis.text == "日本語")
    }

    @Test("the context is passed through")
    func context() {
        let context = Payload.Context(profile: "p", flow: "f", mailbox: "INBOX", uidValidity: 7, uid: 42,
                                      internalDate: "2024-01-01T00:00:00+00:00", flags: ["\\Seen"])
        let built = Payload(message: MIMEMessage(bytes: message("Subject: x\n\n")), context: context)
        #expect(built.context == context)
    }

    @Test("a root that is not text is an attachment of its own")
    func rootAttachment() {
        let built = payload("Content-Type: application/pdf\nContent-Disposition: attachment; filename=only.pdf\n\n%PDF")
        #expect(built.text == nil)
        #expect(built.attachments.map(\.filename) == ["only.pdf"])
        #expect(built.attachments.map(\.size) == [4])
    }
}
