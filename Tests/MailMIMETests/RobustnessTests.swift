import Foundation
import IMAPTestSupport
@testable import MailMIME
import Testing

/// Hostile input: whatever the bytes, the message parses, the payload builds, and its JSON is
/// accepted by JSONSerialization.
@Suite("Robustness")
struct RobustnessTests {
    static let options = PayloadOptions(includeHeaders: true, includeRaw: true, includeAttachmentContent: true)

    /// Parses, builds with every option on, serialises both ways and parses the JSON back.
    static func survives(_ bytes: [UInt8], limits: MIMELimits = .default,
                         sourceLocation: SourceLocation = #_sourceLocation) -> Payload? {
        let parsed = MIMEMessage(bytes: bytes, limits: limits)
        let built = Payload(message: parsed, options: options)
        #expect(built.size == bytes.count, sourceLocation: sourceLocation)
        #expect(built.text?.contains("\r") != true, sourceLocation: sourceLocation)
        #expect(built.html?.contains("\r") != true, sourceLocation: sourceLocation)
        for pretty in [false, true] {
            let json = built.json(pretty: pretty)
            guard let object = parseJSON(json) else {
                Issue.record("JSONSerialization rejected the payload (pretty: \(pretty))", sourceLocation: sourceLocation)
                return nil
            }
            #expect(object["size"] as? Int == bytes.count, sourceLocation: sourceLocation)
            #expect(object["truncated"] as? Bool == built.truncated, sourceLocation: sourceLocation)
        }
        return built
    }

    static func nested(_ levels: Int) -> [UInt8] {
        var text = "Content-Type: text/plain\n\nbottom"
        for level in (0..<levels).reversed() {
            text = "Content-Type: multipart/mixed; boundary=\"n\(level)\"\n\n--n\(level)\n\(text)\n--n\(level)--\n"
        }
        return message(text)
    }

    /// The adversarial corpus (IMAPTestSupport), which the daemon-level test also sends
    /// through Dovecot (`DaemonHostileMailTests`).
    @Test("hostile inputs parse, build and serialise", arguments: AdversarialMail.corpus.map(\.name))
    func hostileInput(_ name: String) throws {
        let sample = try #require(AdversarialMail.corpus.first { $0.name == name })
        _ = Self.survives(sample.bytes())
    }

    @Test("nesting at the default limit is kept whole; past it is cut")
    func nestingLimit() {
        #expect(Self.survives(Self.nested(32))?.truncated == false)
        #expect(Self.survives(Self.nested(32))?.text == "bottom")
        #expect(Self.survives(Self.nested(33))?.truncated == true)
    }

    @Test("200 random byte strings from a seeded generator")
    func randomBytes() {
        var generator = SeededGenerator(seed: 2045)
        for _ in 0..<200 {
            let count = Int.random(in: 0...3_000, using: &generator)
            // Bias towards bytes that mean something to the parser.
            let interesting = Array("\r\n:;=?\"<>()@,-\\ \t".utf8)
            let bytes = (0..<count).map { _ in
                Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            _ = Self.survives(bytes)
        }
    }

    static let seedMessage = message("""
        From mbox Mon Jan  1 00:00:00 2024
        From: =?utf-8?q?J=C3=B6rg?= <j@x.de>, "Doe, John" <j@x.org>, Team: a@x, b@y;
        To: <@route:user@host>, Name <user@host
        Subject: =?utf-8?B?4oI=?= =?utf-8?B?rA==?= and =?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=
        Date: Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)
        Message-ID: <a@b>
        References: <r1@x> <r2@x>
        Content-Type: multipart/mixed; boundary="outer"

        preamble
        --outer
        Content-Type: multipart/alternative; boundary=inner

        --inner
        Content-Type: text/plain; charset=windows-1252
        Content-Transfer-Encoding: quoted-printable

        caf=E9 =80 soft=
        break
        --inner
        Content-Type: text/html; charset=utf-8
        Content-Transfer-Encoding: base64

        PHA+aGk8L3A+
        --inner--
        --outer
        Content-Type: application/pdf; name*0*=utf-8''%E2%82; name*1*=%AC.pdf
        Content-Disposition: attachment; filename="=?utf-8?q?x?="
        Content-Transfer-Encoding: base64

        JVBERi0xLjQK
        --outer
        Content-Type: message/rfc822

        Subject: inner
        Content-Type: multipart/digest; boundary=d

        --d

        Subject: digest child

        text
        --d--
        --outer--
        epilogue
        """)

    @Test("the seed message itself gives the expected payload")
    func seedMessage() {
        let built = Self.survives(Self.seedMessage)
        #expect(built?.subject == "€ and 日本語")
        #expect(built?.text == "café € softbreak")
        #expect(built?.html == "<p>hi</p>")
        #expect(built?.attachments.map(\.filename) == ["x", nil])
        #expect(built?.truncated == false)
    }

    @Test("200 random mutations of a valid message")
    func mutations() {
        var generator = SeededGenerator(seed: 5322)
        let tokens: [[UInt8]] = ["--outer", "--inner--", "\r\n", "\n", "=?", "?=", ":", ";", "\"", "<", ">", "(", ")", "=",
                                 "\r\n\r\n", "--d", "\\", "*0*=", "%", "\u{0}"].map { Array($0.utf8) }
        for _ in 0..<200 {
            var bytes = Self.seedMessage
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                guard !bytes.isEmpty else { break }
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<5, using: &generator) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.insert(contentsOf: tokens.randomElement(using: &generator)!, at: at)
                case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &generator)))
                case 3:
                    let from = Int.random(in: 0..<bytes.count, using: &generator)
                    let slice = bytes[from..<min(bytes.count, from + Int.random(in: 1...80, using: &generator))]
                    bytes.insert(contentsOf: slice, at: at)
                default: bytes = Array(bytes[..<at])
                }
            }
            _ = Self.survives(bytes)
        }
    }

    @Test("mutations survive tight limits too")
    func mutationsTightLimits() {
        var generator = SeededGenerator(seed: 2046)
        let limits = MIMELimits(maxDepth: 2, maxParts: 4, maxHeaderBytes: 120, maxDecodedBytes: 40)
        for _ in 0..<50 {
            var bytes = Self.seedMessage
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            bytes[at] = UInt8.random(in: 0...255, using: &generator)
            _ = Self.survives(bytes, limits: limits)
        }
    }
}
