import Foundation
@testable import MailMIME
import Testing

/// The payload's JSON (RFC 8259): escaping, compact and pretty forms, key order.
@Suite("PayloadJSON")
struct PayloadJSONTests {
    /// The schema's key order: context, message identity, addresses, bodies, attachments,
    /// optional headers and raw, then the parse state.
    static let topLevelKeys = [
        "schemaVersion", "profile", "flow", "mailbox", "uidValidity", "uid", "internalDate", "flags", "size",
        "messageId", "inReplyTo", "references", "subject", "date", "dateRaw",
        "from", "sender", "replyTo", "to", "cc", "bcc",
        "text", "textTruncated", "html", "htmlTruncated", "attachments",
    ]
    static let attachmentKeys = ["filename", "contentType", "size", "contentId", "disposition", "content"]

    static let full = """
        From: A <a@x.test>
        To: b@x.test
        Subject: all fields
        Date: Mon, 1 Jan 2024 12:00:00 +0000
        Message-ID: <m@x.test>
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain

        text
        --b
        Content-Type: application/pdf; name=a.pdf
        Content-ID: <a@x.test>

        %PDF
        --b--
        """

    @Test("compact JSON of a minimal message, exactly")
    func minimalExact() {
        let built = payload("Subject: x\n\n")
        let expected = #"{"schemaVersion":1,"profile":null,"flow":null,"mailbox":null,"uidValidity":null,"uid":null,"#
            + #""internalDate":null,"flags":[],"size":14,"messageId":null,"inReplyTo":null,"references":[],"subject":"x","#
            + #""date":null,"dateRaw":null,"from":[],"sender":[],"replyTo":[],"to":[],"cc":[],"bcc":[],"text":"","#
            + #""textTruncated":false,"html":null,"htmlTruncated":false,"attachments":[],"truncated":false,"warnings":[]}"#
        #expect(built.json() == expected)
    }

    @Test("keys are in schema order, at every level; headers and raw only when asked")
    func keyOrder() throws {
        let plain = try #require(OrderedJSON.parse(payload(Self.full).json()))
        #expect(plain.keys == Self.topLevelKeys + ["truncated", "warnings"])
        guard case let .array(attachments)? = plain["attachments"], case let .array(from)? = plain["from"] else {
            Issue.record("attachments and from are arrays")
            return
        }
        #expect(attachments.map(\.keys) == [Self.attachmentKeys])
        #expect(from.map(\.keys) == [["name", "address"]])

        let all = try #require(OrderedJSON.parse(payload(Self.full, options: PayloadOptions(
            includeHeaders: true, includeRaw: true, includeAttachmentContent: true)).json(pretty: true)))
        #expect(all.keys == Self.topLevelKeys + ["headers", "raw", "truncated", "warnings"])
        guard case let .array(headers)? = all["headers"] else {
            Issue.record("headers is an array")
            return
        }
        #expect(headers.first?.keys == ["name", "value"])
    }

    @Test("values of the full message")
    func values() throws {
        let json = try #require(parseJSON(payload(Self.full).json()))
        #expect(json["schemaVersion"] as? Int == 1)
        #expect(json["subject"] as? String == "all fields")
        #expect(json["date"] as? String == "2024-01-01T12:00:00+00:00")
        #expect(json["messageId"] as? String == "<m@x.test>")
        #expect(json["text"] as? String == "text")
        #expect(json["html"] is NSNull)
        #expect(json["textTruncated"] as? Bool == false)
        let from = try #require(json["from"] as? [[String: Any]])
        #expect(from.first?["name"] as? String == "A")
        #expect(from.first?["address"] as? String == "a@x.test")
        let to = try #require(json["to"] as? [[String: Any]])
        #expect(to.first?["name"] is NSNull)
        let attachment = try #require((json["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["filename"] as? String == "a.pdf")
        #expect(attachment["contentType"] as? String == "application/pdf")
        #expect(attachment["size"] as? Int == 4)
        #expect(attachment["contentId"] as? String == "a@x.test")
        #expect(attachment["disposition"] is NSNull)
        #expect(attachment["content"] is NSNull)
        #expect(json["headers"] == nil)
        #expect(json["raw"] == nil)
    }

    /// (string, its escaped form in JSON).
    static let escapes: [(String, String)] = [
        ("say \"hi\"", #""say \"hi\"""#),
        ("back\\slash", #""back\\slash""#),
        ("line\nbreak\r\ttab", #""line\nbreak\r\ttab""#),
        ("\u{1}\u{0}\u{1F}", #""\u0001\u0000\u001f""#),
        ("a\u{2028}b\u{2029}c", #""a\u2028b\u2029c""#),
        ("Grüße 日本語 😀 €", "\"Grüße 日本語 😀 €\""),
        ("slash / stays", "\"slash / stays\""),
        ("", "\"\""),
    ]

    @Test("strings are escaped per RFC 8259 §7; non-ASCII stays UTF-8", arguments: escapes)
    func escaping(_ value: String, _ escaped: String) throws {
        var built = payload("Subject: x\n\n")
        built.subject = value
        let json = built.json()
        #expect(json.contains(#""subject":"# + escaped + #","date""#))
        let parsed = try #require(parseJSON(json))
        #expect(parsed["subject"] as? String == value)
    }

    @Test("every control character is escaped and round-trips")
    func allControlCharacters() throws {
        let controls = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar(UInt8($0)) } + ["\u{7F}"]))
        var built = payload("Subject: x\n\n")
        built.text = controls
        let json = built.json()
        #expect(!json.unicodeScalars.contains { $0.value < 0x20 })
        #expect(try #require(parseJSON(json))["text"] as? String == controls)
        #expect(OrderedJSON.parse(json)?["text"] == .string(controls))
    }

    @Test("compact and pretty are the same JSON value")
    func compactVersusPretty() throws {
        let options = PayloadOptions(includeHeaders: true, includeRaw: true, includeAttachmentContent: true)
        var built = payload(Self.full, options: options)
        built.context = Payload.Context(profile: "work", flow: "invoices", mailbox: "INBOX", uidValidity: .max, uid: 1,
                                        internalDate: "2024-01-01T12:00:00+00:00", flags: ["\\Seen", "$Label"])
        built.warnings = ["a \"quoted\" warning\n"]
        let compact = built.json()
        let pretty = built.json(pretty: true)
        #expect(compact != pretty)
        #expect(!compact.contains("\n"))
        #expect(pretty.contains("\n  \"schemaVersion\": 1,\n"))
        let a = try #require(parseJSON(compact))
        let b = try #require(parseJSON(pretty))
        #expect(try canonical(a) == canonical(b))
        #expect(OrderedJSON.parse(compact) == OrderedJSON.parse(pretty))
        #expect(a["uidValidity"] as? Int == Int(UInt32.max))
        #expect(a["flags"] as? [String] == ["\\Seen", "$Label"])
    }

    /// The JSON text of a parsed object with sorted keys, for comparing two JSON values.
    func canonical(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test("pretty output indents by two spaces, with empty arrays kept on one line")
    func prettyLayout() {
        let built = payload("From: A <a@x.test>\n\n")
        let pretty = built.json(pretty: true)
        #expect(pretty.hasPrefix("{\n  \"schemaVersion\": 1,\n  \"profile\": null,\n"))
        #expect(pretty.contains("\n  \"from\": [\n    {\n      \"name\": \"A\",\n      \"address\": \"a@x.test\"\n    }\n  ],\n"))
        #expect(pretty.contains("\n  \"sender\": [],\n"))
        #expect(pretty.hasSuffix("\n  \"warnings\": []\n}"))
    }

    @Test("headers and raw in the JSON")
    func headersAndRaw() throws {
        let bytes = message("Subject: =?utf-8?q?caf=C3=A9?=\n\nbody")
        let built = Payload(message: MIMEMessage(bytes: bytes), options: PayloadOptions(includeHeaders: true, includeRaw: true))
        let json = try #require(parseJSON(built.json()))
        let headers = try #require(json["headers"] as? [[String: String]])
        #expect(headers == [["name": "Subject", "value": "café"]])
        let raw = try #require(json["raw"] as? String)
        #expect(Data(base64Encoded: raw).map(Array.init) == bytes)
    }
}
