import Foundation
@testable import MailMIME
import Testing

/// Whole messages in the styles of real mail programs (Tests/MailMIMETests/Fixtures/*.eml) and
/// the payload each must give. Sizes are the byte counts of the parts as written in the files.
@Suite("Fixture messages")
struct FixtureMessageTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String
        var subject: String?
        var from: [MailAddress] = []
        var to: [MailAddress] = []
        var cc: [MailAddress] = []
        var date: String?
        var messageId: String?
        var inReplyTo: String?
        var references: [String] = []
        var text: String?
        var html: String?
        var attachments: [Payload.Attachment] = []
        var testDescription: String { file }
    }

    static func address(_ name: String?, _ address: String) -> MailAddress { MailAddress(name: name, address: address) }
    static func attachment(_ filename: String?, _ type: String, _ size: Int, id: String? = nil, disposition: String?) -> Payload.Attachment {
        Payload.Attachment(filename: filename, contentType: type, size: size, contentId: id, disposition: disposition, content: nil)
    }

    static let fixtures: [Expected] = [
        Expected(
            file: "rfc2046-sample", subject: "Sample message",
            from: [address("Nathaniel Borenstein", "nsb@bellcore.com")], to: [address("Ned Freed", "ned@innosoft.com")],
            date: "1993-03-21T23:56:48-08:00",
            text: "This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak."),
        Expected(
            file: "thunderbird-reply", subject: "Re: Quartalsbericht für Q3",
            from: [address("Anna Schmidt", "anna@example.net")], to: [address("Jürgen Müller", "juergen@example.com")],
            cc: [address("Team, Finance", "finance@example.com")],
            date: "2023-11-14T09:15:02+01:00", messageId: "<4f2c1a3e-0001@example.net>", inReplyTo: "<reply-2@example.org>",
            references: ["<root-1@example.com>", "<reply-2@example.org>"],
            text: "Hallo Jürgen,\n\nanbei der Bericht.\n\nGrüße\nAnna\n",
            html: "<html><body><p>Hallo Jürgen,</p><p>anbei der Bericht.</p></body></html>\n",
            // "%PDF-1.4\n% fixture\n" is 19 bytes.
            attachments: [attachment("Bericht €.pdf", "application/pdf", 19, disposition: "attachment")]),
        Expected(
            file: "outlook-related", subject: "Café – menu du jour",
            from: [address("René Dupont", "rene@example.fr")], to: [address("Smith, Bob", "bob@example.com")],
            date: "2024-01-03T16:45:10+00:00", messageId: "<DB9PR01MB0001@eurprd01.prod.outlook.com>",
            text: "Café – menu du jour\nPrix : 12 €\n",
            html: "<html><body><p>Café – menu du jour</p><img src=\"cid:image001.png@01DA3E00.12345670\"></body></html>\n",
            // The 8-byte PNG signature.
            attachments: [attachment("image001.png", "image/png", 8, id: "image001.png@01DA3E00.12345670", disposition: "inline")]),
        Expected(
            file: "iso-2022-jp", subject: "日本語のテスト",
            from: [address("日本語", "taro@example.jp")], to: [address(nil, "hanako@example.jp")],
            date: "2024-03-01T10:00:00+09:00", text: "日本語のテスト\n日本語\n"),
        Expected(
            file: "forwarded", subject: "Fwd: Invoice 42",
            from: [address("Carol", "carol@example.org")], to: [address(nil, "dave@example.org")],
            date: "2024-03-07T08:30:00-05:00", text: "See below.\n",
            // The enclosed message is one attachment of 436 bytes; its PDF is not listed.
            attachments: [attachment(nil, "message/rfc822", 436, disposition: "inline")]),
        Expected(
            file: "delivery-report", subject: "Undelivered Mail Returned to Sender",
            from: [address("Mail Delivery System", "MAILER-DAEMON@mx.example.com")], to: [address(nil, "sender@example.org")],
            date: "2024-03-11T03:04:05+01:00", messageId: "<20240311020405.ABC@mx.example.com>",
            text: "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n"
                + "<nobody@example.net>: host mx.example.net said: 550 5.1.1 User unknown\n",
            attachments: [attachment(nil, "message/delivery-status", 167, disposition: nil),
                          attachment(nil, "text/rfc822-headers", 66, disposition: nil)]),
        Expected(
            file: "signed", subject: "Signed",
            from: [address("Eve", "eve@example.com")], to: [address(nil, "frank@example.com")],
            date: "2024-03-12T14:00:00+00:00", text: "Signed text with a soft break and café.\n",
            attachments: [attachment("signature.asc", "application/pgp-signature", 87, disposition: "attachment")]),
        Expected(
            file: "mbox-latin1", subject: "Résumé (raw Latin-1)",
            from: [address("François", "francois@example.fr")], to: [address(nil, "guest@example.com")],
            date: "2024-03-18T10:00:00+01:00",
            // "=20" is an encoded space and stays; the two raw trailing spaces go.
            text: "Bonjour, \nvoici mon résumé complet.\n>From the archive\n"),
        Expected(
            file: "digest", subject: "Example Digest, Vol 1, Issue 2",
            from: [address(nil, "list-request@example.org")], to: [address(nil, "list@example.org")],
            date: "2024-03-22T12:00:00+00:00",
            text: "Today's Topics:\n\n   1. First (Alice)\n   2. Second (Bob)\n",
            attachments: [attachment(nil, "message/rfc822", 67, disposition: nil),
                          attachment(nil, "message/rfc822", 65, disposition: nil)]),
    ]

    static func load(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "eml", subdirectory: "Fixtures"))
        return Array(try Data(contentsOf: url))
    }

    @Test("each fixture gives its expected payload", arguments: fixtures)
    func fixture(_ expected: Expected) throws {
        let bytes = try Self.load(expected.file)
        let parsed = MIMEMessage(bytes: bytes)
        #expect(parsed.warnings.isEmpty, "\(parsed.warnings)")
        #expect(!parsed.truncated)
        let built = Payload(message: parsed)
        #expect(built.size == bytes.count)
        #expect(built.subject == expected.subject)
        #expect(built.from == expected.from)
        #expect(built.to == expected.to)
        #expect(built.cc == expected.cc)
        #expect(built.date == expected.date)
        #expect(built.messageId == expected.messageId)
        #expect(built.inReplyTo == expected.inReplyTo)
        #expect(built.references == expected.references)
        #expect(built.text == expected.text)
        #expect(built.html == expected.html)
        #expect(built.attachments == expected.attachments)
        #expect(!built.truncated && !built.textTruncated && !built.htmlTruncated)
    }

    @Test("each fixture's JSON parses back to the same values", arguments: fixtures)
    func fixtureJSON(_ expected: Expected) throws {
        let bytes = try Self.load(expected.file)
        let options = PayloadOptions(includeHeaders: true, includeRaw: true, includeAttachmentContent: true)
        let built = Payload(message: MIMEMessage(bytes: bytes), options: options)
        let json = try #require(parseJSON(built.json()))
        #expect(built.jsonBytes() == Array(built.json().utf8) && built.jsonBytes(pretty: true) == Array(built.json(pretty: true).utf8),
                "jsonBytes is json's UTF-8")
        #expect(json["subject"] as? String == expected.subject)
        #expect(json["text"] as? String == expected.text)
        #expect((json["html"] as? String) == expected.html)
        let attachments = try #require(json["attachments"] as? [[String: Any]])
        #expect(attachments.map { $0["size"] as? Int } == expected.attachments.map(\.size))
        for attachment in attachments {
            let content = try #require(attachment["content"] as? String)
            #expect(Data(base64Encoded: content)?.count == attachment["size"] as? Int)
        }
        let raw = try #require(json["raw"] as? String)
        #expect(Data(base64Encoded: raw).map(Array.init) == bytes)
        #expect(try #require(parseJSON(built.json(pretty: true)))["subject"] as? String == expected.subject)
    }

    @Test("the forwarded message's own parts are in the tree, but not in the outer payload")
    func forwardedTree() throws {
        let parsed = MIMEMessage(bytes: try Self.load("forwarded"))
        let enclosure = try #require(parsed.root.children.last)
        let inner = try #require(enclosure.children.first)
        #expect(inner.headers["subject"] == "Invoice 42")
        #expect(inner.children.map(\.filename) == [nil, "invoice-42.pdf"])
        let innerPayload = Payload(message: parsed).attachments
        #expect(!innerPayload.contains { $0.filename == "invoice-42.pdf" })
    }
}
