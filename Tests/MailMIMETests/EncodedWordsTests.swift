@testable import MailMIME
import Testing

/// RFC 2047 encoded words in unstructured header text.
@Suite("EncodedWords")
struct EncodedWordsTests {
    /// RFC 2047 §8: the examples and their displayed forms.
    static let rfcCases: [(String, String)] = [
        ("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"),
        ("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>", "Keld Jørn Simonsen <keld@dkuug.dk>"),
        ("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", "André Pirard <PIRARD@vm1.ulg.ac.be>"),
        ("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
         "If you can read this you understand the example."),
        ("Nathaniel Borenstein <nsb@thumper.bellcore.com> (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)",
         "Nathaniel Borenstein <nsb@thumper.bellcore.com> (םולש ןב ילטפנ)"),
        ("=?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>", "Olle Järnefors <ojarnef@admin.kth.se>"),
        ("=?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>", "Patrik Fältström <paf@nada.kth.se>"),
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
    ]

    @Test("RFC 2047 §8 examples", arguments: rfcCases)
    func rfcExamples(_ encoded: String, _ decoded: String) {
        #expect(EncodedWords.decode(encoded) == decoded)
    }

    static let more: [(String, String)] = [
        // B: "Hello World"; E2 82 AC is "4oKs".
        ("=?UTF-8?B?SGVsbG8gV29ybGQ=?=", "Hello World"),
        ("=?utf-8?b?4oKs?=", "€"),
        // Q: "_" is a space, "=5F" an underscore, hex in either case.
        ("=?utf-8?q?hello_world?=", "hello world"),
        ("=?utf-8?Q?a=5Fb?=", "a_b"),
        ("=?iso-8859-1?q?caf=e9?=", "café"),
        ("=?UTF-8?Q?caf=C3=A9?=", "café"),
        // Next to plain text the white space is text and stays.
        ("Re: =?utf-8?q?caf=C3=A9?= ok", "Re: café ok"),
        ("[list] =?utf-8?q?caf=C3=A9?=  two  spaces", "[list] café  two  spaces"),
        ("=?utf-8?q?a?= ", "a "),
        // Between words of different charsets the white space still goes (RFC 2047 §6.2).
        ("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "éé"),
        // "€" is E2 82 AC: split as "4oI=" (E2 82) and "rA==" (AC), or as Q escapes.
        ("=?utf-8?B?4oI=?= =?utf-8?B?rA==?=", "€"),
        ("=?UTF-8?Q?=E2=82?=\r\n =?utf-8?Q?=AC_!?=", "€ !"),
        // "ü" (C3 BC) split inside "Grüße".
        ("=?utf-8?q?Gr=C3?= =?utf-8?q?=BC=C3=9Fe?=", "Grüße"),
        // Shift_JIS 日本語 (93FA 967B 8CEA) and ISO-2022-JP (ESC $ B 467C 4B5C 386C ESC ( B).
        ("=?shift_jis?B?k/qWe4zq?=", "日本語"),
        ("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "日本語"),
        // RFC 2231 §5 language tags are not part of the charset.
        ("=?utf-8*en?q?Hello?=", "Hello"),
        ("=?ISO-8859-1*fr?Q?Andr=E9?=", "André"),
        ("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"),
        // Unknown charset: UTF-8 when valid, else ISO-8859-1.
        ("=?x-unknown-cs?q?caf=C3=A9?=", "café"),
        ("=?x-unknown-cs?q?caf=E9?=", "café"),
        // Tolerant base64: missing padding, stray characters.
        ("=?utf-8?B?SGVsbG8?=", "Hello"),
        ("=?utf-8?B?SGV*sbG8=?=", "Hello"),
        // Nothing of the alphabet: no bytes, so an empty word (as Python's decode_b gives).
        ("=?utf-8?B?!!!?=", ""),
        // A bad Q escape stays as written.
        ("=?utf-8?q?100=Z?=", "100=Z"),
        // A question mark inside the encoded text is text.
        ("=?utf-8?q?why?_not?=", "why? not"),
        // No encoded word: unchanged.
        ("plain text, no words", "plain text, no words"),
        ("price = 5? yes", "price = 5? yes"),
    ]

    @Test("B and Q words, adjacency, split characters, language tags, fallbacks", arguments: more)
    func decoding(_ encoded: String, _ decoded: String) {
        #expect(EncodedWords.decode(encoded) == decoded)
    }

    /// Words that are not well formed are kept exactly as written.
    static let kept: [String] = [
        "=?utf-8?X?abc?=",                 // unknown encoding letter
        "=?utf-8?QQ?abc?=",                // encoding of two letters
        "=??q?abc?=",                      // empty charset
        "=?utf-8?q?unterminated",          // no "?="
        "=?utf-8?q?",                      // nothing after the encoding
        "=?utf-8",                         // cut in the charset
        "=?",                              // just the opener
        "=?utf-8?q?has space?=",           // white space inside the encoded text
        "=?utf 8?q?abc?=",                 // white space inside the charset
        "a =? b ?= c",
        "=?=?=?=?",
    ]

    @Test("malformed words are kept as written", arguments: kept)
    func malformedKept(_ text: String) {
        #expect(EncodedWords.decode(text) == text)
    }

    @Test("a malformed opener does not stop a later good word")
    func malformedThenGood() {
        #expect(EncodedWords.decode("=?bad =?utf-8?q?ok?=") == "=?bad ok")
        #expect(EncodedWords.decode("=?utf-8?X?no?= =?utf-8?q?yes?=") == "=?utf-8?X?no?= yes")
    }

    @Test("many unterminated openers do not hide a good word after them")
    func unterminatedOpeners() {
        let junk = String(repeating: "=?utf-8?b?QUJD", count: 3)
        #expect(EncodedWords.decode(junk + " =?utf-8?q?ok?=") == junk + " ok")
        #expect(EncodedWords.decode("=?utf-8?q?a =?utf-8?q?b?=") == "=?utf-8?q?a b")
        #expect(EncodedWords.decode("=?utf-8?q?x\u{1}=?utf-8?q?y?=") == "=?utf-8?q?x\u{1}y")
    }

    @Test("a word declared UTF-8 with invalid bytes gives U+FFFD")
    func invalidUTF8InWord() {
        #expect(EncodedWords.decode("=?utf-8?q?caf=E9?=") == "caf\u{FFFD}")
    }

    @Test("a word of an unknown encoding next to a good one keeps the space between them")
    func unknownEncodingAdjacency() {
        #expect(EncodedWords.decode("=?utf-8?q?yes?= =?utf-8?X?no?=") == "yes =?utf-8?X?no?=")
    }

    @Test("invalid bytes inside a word of a known charset become U+FFFD")
    func invalidBytesInWord() {
        // 81 is undefined in Windows-1252.
        #expect(EncodedWords.decode("=?windows-1252?q?a=81b=80?=") == "a\u{FFFD}b€")
    }

    @Test("Q decoding of bytes: underscore, escapes, bad escapes")
    func qDecodeBytes() {
        #expect(EncodedWords.qDecode(Array("a_b=3D=3dc".utf8)) == Array("a b==c".utf8))
        #expect(EncodedWords.qDecode(Array("=4".utf8)) == Array("=4".utf8))
        #expect(EncodedWords.qDecode(Array("x=".utf8)) == Array("x=".utf8))
        #expect(EncodedWords.qDecode(Array("=41".utf8)) == [0x41])
    }
}

/// The byte-level decoder and its gate.
extension EncodedWordsTests {
    @Test("non-ASCII text around encoded words is kept byte for byte")
    func nonASCIIAround() {
        #expect(EncodedWords.decode("Grüße =?utf-8?Q?a?= und =?utf-8?B?w7w=?=") == "Grüße a und ü")
        #expect(EncodedWords.decode("€ =?iso-8859-1?Q?caf=E9?= €") == "€ café €")
        #expect(EncodedWords.decode("plain ü") == "plain ü")
    }

    @Test("whether there is an encoded word is decided by String.contains, as before")
    func gate() {
        // "?" with a combining mark is one Character: no "=?" for String.contains.
        let combining = "x=?\u{301}utf-8?Q?a?="
        #expect(EncodedWords.decode(combining) == combining)
        // A prepended mark (U+0600) joins the "=" into its Character. (MailMIME does not
        // import Foundation, whose `contains` here, in the tests, would compare UTF-16 instead.)
        let prepended = "\u{600}=?utf-8?q?a?="
        #expect(EncodedWords.decode(prepended) == prepended)
        #expect(EncodedWords.decode("\u{600} =?utf-8?q?a?=") == "\u{600} a")
    }

    @Test("charset names compare ignoring ASCII case only")
    func charsetNames() {
        #expect(EncodedWords.sameCharset("UTF-8", "utf-8"))
        #expect(!EncodedWords.sameCharset("utf-8", "utf-9"))
        #expect(!EncodedWords.sameCharset("utf-8", "utf-8x"))
        #expect(!EncodedWords.sameCharset("a@", "A`"))
    }

    @Test("fields of 75 bytes are accepted, of 76 not")
    func fieldLength() {
        let long = String(repeating: "x", count: 75)
        #expect(EncodedWords.decode("=?\(long)?Q?a?=") == "a")
        #expect(EncodedWords.decode("=?\(long)x?Q?a?=") == "=?\(long)x?Q?a?=")
    }
}
