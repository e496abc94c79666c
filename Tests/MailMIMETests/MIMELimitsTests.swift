import Foundation
@testable import MailMIME
import Testing

/// Each ``MIMELimits`` bound: past it the parse is cut short, marked truncated with a warning,
/// and the payload is still produced and serialises to valid JSON.
@Suite("MIMELimits")
struct MIMELimitsTests {
    /// `levels` multipart/mixed parts nested in one another, with a text/plain part at the bottom
    /// and a text/plain part beside each level's inner multipart.
    static func nested(levels: Int) -> String {
        var body = "Content-Type: text/plain\n\ndeep text"
        for level in (0..<levels).reversed() {
            body = """
                Content-Type: multipart/mixed; boundary=level\(level)

                --level\(level)
                Content-Type: text/plain

                text at level \(level)
                --level\(level)
                \(body)
                --level\(level)--
                """
        }
        return body
    }

    /// Parses the payload's JSON back with Foundation and checks the truncation fields.
    func checkJSON(_ built: Payload, truncated: Bool, warning: String? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let compact = try #require(parseJSON(built.json()), sourceLocation: sourceLocation)
        let pretty = try #require(parseJSON(built.json(pretty: true)), sourceLocation: sourceLocation)
        #expect(compact["truncated"] as? Bool == truncated, sourceLocation: sourceLocation)
        #expect(pretty["truncated"] as? Bool == truncated, sourceLocation: sourceLocation)
        let warnings = try #require(compact["warnings"] as? [String], sourceLocation: sourceLocation)
        if let warning {
            #expect(warnings.contains { $0.contains(warning) }, "\(warnings)", sourceLocation: sourceLocation)
        } else {
            #expect(warnings.isEmpty, "\(warnings)", sourceLocation: sourceLocation)
        }
        return compact
    }

    @Test("the documented defaults")
    func defaults() {
        let limits = MIMELimits.default
        #expect(limits.maxDepth == 32)
        #expect(limits.maxParts == 2_000)
        #expect(limits.maxHeaderBytes == 1_048_576)
        #expect(limits.maxDecodedBytes == 67_108_864)
        #expect(MIMELimits() == limits)
    }

    @Test("maxDepth: nesting at the limit is parsed, one deeper is cut")
    func depth() throws {
        let text = Self.nested(levels: 4)
        let atLimit = MIMEMessage(bytes: message(text), limits: MIMELimits(maxDepth: 4))
        #expect(!atLimit.truncated)
        #expect(atLimit.warnings.isEmpty)
        let fine = Payload(message: atLimit)
        #expect(fine.text == "text at level 0")
        _ = try checkJSON(fine, truncated: false)

        let past = MIMEMessage(bytes: message(text), limits: MIMELimits(maxDepth: 3))
        #expect(past.truncated)
        let built = Payload(message: past)
        #expect(built.truncated)
        #expect(built.text == "text at level 0")
        let json = try checkJSON(built, truncated: true, warning: "nesting deeper than 3")
        #expect(json["text"] as? String == "text at level 0")
        // The multipart at depth 3 has no parsed children; "deep text" is nowhere.
        #expect(!built.json().contains("deep text"))
    }

    @Test("maxDepth counts enclosed messages too")
    func depthEnclosedMessage() throws {
        let text = """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain

            outer
            --b
            Content-Type: message/rfc822

            Subject: inner

            inner body
            --b--
            """
        let past = MIMEMessage(bytes: message(text), limits: MIMELimits(maxDepth: 1))
        #expect(past.truncated)
        #expect(past.root.children.count == 2)
        #expect(past.root.children[1].children.isEmpty)
        let built = Payload(message: past)
        #expect(built.text == "outer")
        _ = try checkJSON(built, truncated: true, warning: "enclosed message")
        #expect(!MIMEMessage(bytes: message(text), limits: MIMELimits(maxDepth: 2)).truncated)
    }

    @Test("maxParts: all levels counted, the root included")
    func parts() throws {
        let text = "Content-Type: multipart/mixed; boundary=b\n\n"
            + (1...5).map { "--b\nContent-Type: text/plain\n\npart \($0)\n" }.joined() + "--b--\n"
        // Root + 5 parts = 6.
        let atLimit = MIMEMessage(bytes: message(text), limits: MIMELimits(maxParts: 6))
        #expect(!atLimit.truncated)
        #expect(atLimit.root.children.count == 5)

        let past = MIMEMessage(bytes: message(text), limits: MIMELimits(maxParts: 3))
        #expect(past.truncated)
        #expect(past.root.children.count == 2)
        let built = Payload(message: past)
        #expect(built.text == "part 1")
        let json = try checkJSON(built, truncated: true, warning: "more than 3 MIME parts")
        #expect(json["text"] as? String == "part 1")
    }

    @Test("maxHeaderBytes: the oversized section is cut, the body is still found")
    func headerBytes() throws {
        let long = String(repeating: "a", count: 300)
        let text = "Subject: kept\nX-Long: \(long)\nX-After: lost\n\nthe body\n"
        let past = MIMEMessage(bytes: message(text), limits: MIMELimits(maxHeaderBytes: 64))
        #expect(past.truncated)
        let built = Payload(message: past, options: PayloadOptions(includeHeaders: true))
        #expect(built.subject == "kept")
        #expect(built.text == "the body\n")
        #expect(built.headers?.map(\.name) == ["Subject", "X-Long"])
        let json = try checkJSON(built, truncated: true, warning: "header section exceeded 64 bytes")
        #expect(json["subject"] as? String == "kept")
        #expect(json["text"] as? String == "the body\n")

        let within = MIMEMessage(bytes: message(text), limits: MIMELimits(maxHeaderBytes: 400))
        #expect(!within.truncated)
    }

    @Test("maxHeaderBytes applies to the header section of each part")
    func headerBytesInPart() throws {
        let long = String(repeating: "b", count: 200)
        let text = "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nX-Long: \(long)\n\npart body\n--b--\n"
        let past = MIMEMessage(bytes: message(text), limits: MIMELimits(maxHeaderBytes: 100))
        #expect(past.truncated)
        let built = Payload(message: past)
        #expect(built.text == "part body")
        _ = try checkJSON(built, truncated: true, warning: "header section exceeded 100 bytes")
    }

    @Test("maxDecodedBytes: a body past the budget is left out")
    func decodedBytes() throws {
        let body = String(repeating: "0123456789", count: 20)
        let past = Payload(message: MIMEMessage(bytes: message("Subject: big\n\n" + body), limits: MIMELimits(maxDecodedBytes: 100)))
        #expect(past.text == nil)
        #expect(past.truncated)
        let json = try checkJSON(past, truncated: true, warning: "decoding limit of 100 bytes")
        #expect(json["text"] is NSNull)
        #expect(json["subject"] as? String == "big")

        let within = Payload(message: MIMEMessage(bytes: message("Subject: big\n\n" + body), limits: MIMELimits(maxDecodedBytes: 200)))
        #expect(within.text == body)
        _ = try checkJSON(within, truncated: false)
    }

    @Test("maxDecodedBytes is shared by text, html and attachment contents")
    func decodedBytesShared() throws {
        let sixty = String(repeating: "x", count: 60)
        let text = """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: multipart/alternative; boundary=c

            --c
            Content-Type: text/plain

            \(sixty)
            --c
            Content-Type: text/html

            \(sixty)
            --c--
            --b
            Content-Type: application/octet-stream; name=a.bin

            \(sixty)
            --b--
            """
        let limits = MIMELimits(maxDecodedBytes: 130)
        let built = Payload(message: MIMEMessage(bytes: message(text), limits: limits),
                            options: PayloadOptions(includeAttachmentContent: true))
        #expect(built.text == sixty)
        #expect(built.html == sixty)
        #expect(built.attachments.first?.content == nil)
        #expect(built.attachments.first?.size == 60)
        let json = try checkJSON(built, truncated: true, warning: "a.bin (60 bytes)")
        let attachment = try #require((json["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["content"] is NSNull)

        let roomy = Payload(message: MIMEMessage(bytes: message(text), limits: MIMELimits(maxDecodedBytes: 180)),
                            options: PayloadOptions(includeAttachmentContent: true))
        #expect(roomy.attachments.first?.content == Data(sixty.utf8).base64EncodedString())
        #expect(!roomy.truncated)
    }

    @Test("a comfortable message of about 1 MB is not truncated")
    func comfortableSize() throws {
        let chunk = Data((0..<30_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let encoded = chunk.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
        var text = "Subject: big but fine\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
            + String(repeating: String(repeating: "x", count: 49) + "\n", count: 2_000)
        for index in 1...20 {
            text += "--b\nContent-Type: application/octet-stream; name=f\(index).bin\nContent-Transfer-Encoding: base64\n\n\(encoded)\n"
        }
        text += "--b--\n"
        let bytes = message(text)
        #expect(bytes.count > 900_000)
        let parsed = MIMEMessage(bytes: bytes)
        #expect(!parsed.truncated)
        #expect(parsed.warnings.isEmpty)
        let built = Payload(message: parsed, options: PayloadOptions(includeAttachmentContent: true))
        // 2,000 lines of 50 bytes; the last line break belongs to the delimiter.
        #expect(built.text?.utf8.count == 99_999)
        #expect(!built.textTruncated)
        #expect(built.attachments.count == 20)
        #expect(built.attachments.allSatisfy { $0.size == 30_000 && $0.content == chunk.base64EncodedString() })
        let json = try checkJSON(built, truncated: false)
        #expect((json["attachments"] as? [Any])?.count == 20)
    }
}
