@testable import MailMIME
import Testing

/// Content-Type and Content-Disposition values with their parameters (RFC 2045 §5.1, RFC 2183,
/// RFC 2231).
@Suite("MIMEParameters")
struct MIMEParametersTests {
    @Test("type and subtype are lower-cased; parameter names are case-insensitive, values keep their case")
    func basics() throws {
        let type = try #require(ContentType(parsing: "TEXT/HTML; CHARSET=UTF-8; Format=Flowed"))
        #expect(type.type == "text")
        #expect(type.subtype == "html")
        #expect(type.mimeType == "text/html")
        #expect(type.parameters["charset"] == "UTF-8")
        #expect(type.parameters["CHARSET"] == "UTF-8")
        #expect(type.parameters.values == ["charset": "UTF-8", "format": "Flowed"])
        #expect(!type.isMultipart)
    }

    /// RFC 2045 §5.1: these two are equivalent.
    @Test("RFC 2045 §5.1: quoted and unquoted values, and a comment", arguments: [
        "text/plain; charset=us-ascii (Plain text)",
        "text/plain; charset=\"us-ascii\"",
        "text/plain (a comment); charset = us-ascii",
        "  text/plain ;charset=us-ascii;",
    ])
    func equivalentForms(_ value: String) throws {
        let type = try #require(ContentType(parsing: value))
        #expect(type.mimeType == "text/plain")
        #expect(type.parameters.values == ["charset": "us-ascii"])
    }

    /// (Content-Disposition value, expected filename).
    static let filenames: [(String, String?)] = [
        // Quoted strings: quoted pairs resolved; ";" and "=" inside are text.
        ("attachment; filename=\"a \\\"quoted\\\" name.txt\"", "a \"quoted\" name.txt"),
        ("attachment; filename=\"back\\\\slash.txt\"", "back\\slash.txt"),
        ("attachment; filename=\"a;b=c.txt\"; size=3", "a;b=c.txt"),
        ("attachment; filename=\"  spaced  \"", "  spaced  "),
        ("attachment; filename=plain.txt", "plain.txt"),
        ("attachment;filename=plain.txt(comment)", "plain.txt"),
        ("attachment; filename = \"spaced-equals.txt\" ", "spaced-equals.txt"),
        // RFC 2231 extended values.
        ("attachment; filename*=utf-8''%E2%82%AC.pdf", "€.pdf"),
        ("attachment; filename*=UTF-8''%e2%82%ac%20rate.pdf", "€ rate.pdf"),
        ("attachment; filename*=iso-8859-1'de'M%FCller.txt", "Müller.txt"),
        ("attachment; filename*=''%41.txt", "A.txt"),
        // No charset named: UTF-8 when the bytes are UTF-8, else ISO-8859-1 (as for unlabelled text).
        ("attachment; filename*=''caf%C3%A9.txt", "café.txt"),
        ("attachment; filename*=''caf%E9.txt", "café.txt"),
        // A charset that is named is used, and invalid bytes in it become U+FFFD.
        ("attachment; filename*=utf-8''caf%E9.txt", "caf\u{FFFD}.txt"),
        ("attachment; filename*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "This is ***fun***"),
        // A bad percent escape is kept as written.
        ("attachment; filename*=utf-8''100%25%zz.txt", "100%%zz.txt"),
        // Continuations, in order or not, extended or not, joined before charset decoding.
        ("attachment; filename*0=\"long \"; filename*1=\"name.txt\"", "long name.txt"),
        ("attachment; filename*1=\"name.txt\"; filename*0=\"long \"", "long name.txt"),
        ("attachment; filename*2=c; filename*0=a; filename*1=b", "abc"),
        ("attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC; filename*2=\".pdf\"", "€.pdf"),
        ("attachment; filename*1*=%AC.pdf; filename*0*=utf-8'en'%E2%82", "€.pdf"),
        ("attachment; filename*0*=iso-8859-1''caf%E9; filename*1=\" cr%E8me\"", "café cr%E8me"),
        // RFC 2047 encoded words in a quoted filename (not standard, but common).
        ("attachment; filename=\"=?utf-8?B?4oKsLnBkZg==?=\"", "€.pdf"),
        ("attachment; filename=\"=?iso-8859-1?Q?M=FCller.txt?=\"", "Müller.txt"),
        ("attachment; filename=\"=?utf-8?q?a?= =?utf-8?q?b?=.txt\"", "ab.txt"),
        // The RFC 2231 value wins over the plain one, whatever their order.
        ("attachment; filename=\"plain.txt\"; filename*=utf-8''%C3%A9t%C3%A9.txt", "été.txt"),
        ("attachment; filename*=utf-8''%C3%A9t%C3%A9.txt; filename=\"plain.txt\"", "été.txt"),
        // Duplicates: the first one counts (as Python's Message.get_filename).
        ("attachment; filename=\"first.txt\"; filename=\"second.txt\"", "first.txt"),
        // Missing values.
        ("attachment; filename", nil),
        ("attachment; filename=", ""),
        ("attachment; filename=\"\"", ""),
        ("attachment;;; ; filename=x.txt", "x.txt"),
        ("attachment", nil),
        ("attachment; =orphan", nil),
    ]

    @Test("filename parameter of Content-Disposition", arguments: filenames)
    func filename(_ value: String, _ expected: String?) throws {
        let disposition = try #require(ContentDisposition(parsing: value))
        #expect(disposition.kind == "attachment")
        #expect(disposition.parameters["filename"] == expected)
    }

    @Test("RFC 2231 §3: continuations of a URL in message/external-body")
    func rfc2231Section3() throws {
        let type = try #require(ContentType(parsing: """
            message/external-body; access-type=URL;\
             URL*0="ftp://";\
             URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"
            """))
        #expect(type.parameters["access-type"] == "URL")
        #expect(type.parameters["url"] == "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
    }

    @Test("RFC 2231 §4.1: charset and language on the first section, mixed extended and plain sections")
    func rfc2231Section4() throws {
        let type = try #require(ContentType(parsing: """
            application/x-stuff;\
             title*0*=us-ascii'en'This%20is%20even%20more%20;\
             title*1*=%2A%2A%2Afun%2A%2A%2A%20;\
             title*2="isn't it!"
            """))
        #expect(type.parameters["title"] == "This is even more ***fun*** isn't it!")
    }

    @Test("RFC 2231 in a multibyte charset: bytes of all sections are decoded together")
    func rfc2231Multibyte() throws {
        // 日本語 in Shift_JIS is 93FA 967B 8CEA; the split falls inside 本.
        let disposition = try #require(ContentDisposition(parsing:
            "inline; filename*0*=shift_jis''%93%FA%96; filename*1*=%7B%8C%EA.txt"))
        #expect(disposition.kind == "inline")
        #expect(disposition.parameters["filename"] == "日本語.txt")
    }

    @Test("disposition kinds are lower-cased; an empty one is no disposition")
    func dispositionKinds() {
        #expect(ContentDisposition(parsing: "INLINE")?.kind == "inline")
        #expect(ContentDisposition(parsing: "Attachment ; filename=a")?.kind == "attachment")
        #expect(ContentDisposition(parsing: "form-data; name=\"f\"")?.kind == "form-data")
        #expect(ContentDisposition(parsing: "") == nil)
        #expect(ContentDisposition(parsing: "  ; filename=a") == nil)
    }

    @Test("invalid Content-Type values give nil", arguments: [
        "", "text", "text/", "/plain", "text/plain/extra", "text /pl ain", "te(xt/plain", "tëxt/plain", "text/plain\"", ";charset=utf-8",
    ])
    func invalidContentType(_ value: String) {
        #expect(ContentType(parsing: value) == nil)
    }

    @Test("white space around the slash is tolerated")
    func spacedSlash() {
        #expect(ContentType(parsing: "text / plain")?.mimeType == "text/plain")
    }

    @Test("the boundary parameter keeps every character of a quoted value")
    func boundary() throws {
        let type = try #require(ContentType(parsing: "multipart/mixed;\t boundary=\"----=_Part_0_12.34:56 (x)\""))
        #expect(type.isMultipart)
        #expect(type.parameters["boundary"] == "----=_Part_0_12.34:56 (x)")
        // An unquoted boundary may contain "=" (a common RFC violation).
        #expect(ContentType(parsing: "multipart/mixed; boundary===_abc==")?.parameters["boundary"] == "==_abc==")
    }

    @Test("a filename only in Content-Type's name is the part's filename")
    func nameOnlyInContentType() {
        let parsed = MIMEMessage(bytes: message("""
            Content-Type: application/pdf; name="report.pdf"

            %PDF
            """))
        #expect(parsed.root.filename == "report.pdf")
        #expect(parsed.root.disposition == nil)
    }

    @Test("filename precedence: filename* over filename over name")
    func filenamePrecedence() {
        let parts = [
            ("Content-Type: application/pdf; name=\"name.pdf\"\nContent-Disposition: attachment; filename=\"plain.pdf\"; filename*=utf-8''star.pdf",
             "star.pdf"),
            ("Content-Type: application/pdf; name=\"name.pdf\"\nContent-Disposition: attachment; filename=\"plain.pdf\"", "plain.pdf"),
            ("Content-Type: application/pdf; name=\"name.pdf\"\nContent-Disposition: attachment", "name.pdf"),
            ("Content-Type: application/pdf; name*=utf-8''%E2%82%AC.pdf\nContent-Disposition: inline", "€.pdf"),
            ("Content-Type: application/pdf\nContent-Disposition: attachment", nil),
        ]
        for (headers, expected) in parts {
            let parsed = MIMEMessage(bytes: message(headers + "\n\nx"))
            #expect(parsed.root.filename == expected, "\(headers)")
        }
    }
}

/// The byte-level split and the ASCII type/subtype path, and their boundary with the
/// Character-based path for non-ASCII heads.
extension MIMEParametersTests {
    @Test("type/subtype: ASCII heads on bytes, others as strings", arguments: [
        ("TEXT/Plain ; Charset=UTF-8", "text/plain"),
        (" text / plain ", "text/plain"),
        ("text/plain\r\n", nil),
        ("//plain", nil),
        ("text//plain", nil),
        ("text/", nil),
        ("/plain", nil),
        ("text/pl ain", nil),
        ("téxt/plain", nil),
        ("text/plain\u{301}", nil),
        ("text (comment) / html", "text/html"),
    ] as [(String, String?)])
    func typeAndSubtype(_ value: String, _ expected: String?) {
        #expect(ContentType(parsing: value)?.mimeType == expected)
    }

    @Test("the ASCII path and the string path agree on ASCII heads")
    func pathsAgree() {
        var generator = SeededGenerator(seed: 2045)
        let alphabet = Array("aB/ \t;=\"()@x-".utf8)
        for _ in 0..<3000 {
            let head = Reference.randomBytes(Int.random(in: 0...12, using: &generator), from: alphabet, using: &generator)
            let ascii = ContentType.typeAndSubtype(asciiHead: head)
            let string = ContentType.typeAndSubtype(head: String(decoding: head, as: UTF8.self))
            #expect(ascii?.0 == string?.0 && ascii?.1 == string?.1, "\(String(decoding: head, as: UTF8.self).debugDescription)")
        }
    }

    @Test("parameter names are lower-cased (also beyond ASCII); quoted values without encoded words stay")
    func names() {
        let disposition = ContentDisposition(parsing: "Attachment; FileName*=utf-8''%C3%A9.txt; X=\"a=b?c\"; \u{212A}=1")
        #expect(disposition?.kind == "attachment")
        #expect(disposition?.parameters["filename"] == "é.txt")
        #expect(disposition?.parameters["x"] == "a=b?c")
        #expect(disposition?.parameters.values["k"] == "1")
        #expect(MIMEParameters.split("x; name=\"=?utf-8?Q?f=C3=BC?=\"").1["name"] == "fü")
        #expect(MIMEParameters.split("x; name==?utf-8?Q?f=C3=BC?=").1["name"] == "=?utf-8?Q?f=C3=BC?=")
    }
}
