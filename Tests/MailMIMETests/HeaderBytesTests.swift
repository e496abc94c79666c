@testable import MailMIME
import Testing

/// Byte-level helpers for header values.
@Suite("HeaderBytes")
struct HeaderBytesTests {
    @Test("comments: nested, quoted pairs, unterminated, a quoted pair before a multi-byte character")
    func comments() {
        func end(_ text: String) -> Int {
            Array(text.utf8).withUnsafeBufferPointer { bytes in
                var index = 0
                HeaderBytes.skipComment(bytes, &index)
                return index
            }
        }
        #expect(end("(a)b") == 3)
        #expect(end("(a (b) c)d") == 9)
        #expect(end("(a \\) b)c") == 8)
        #expect(end("(\\é)x") == 5)  // "é" is two bytes; the pair skips the first, the second is text
        #expect(end("(open") == 5)
        #expect(end("(a\\") >= 3)
    }

    @Test("encoded-word starts and ASCII checks")
    func scans() {
        #expect(HeaderBytes.containsEncodedWordStart(Array("a =?x".utf8)))
        #expect(!HeaderBytes.containsEncodedWordStart(Array("a = ?x ?= =".utf8)))
        #expect(HeaderBytes.containsEncodedWordStart(Array("==?".utf8)))
        #expect(Array("abc".utf8).withUnsafeBufferPointer(HeaderBytes.isASCII))
        #expect(!Array("abç".utf8).withUnsafeBufferPointer(HeaderBytes.isASCII))
    }

    @Test("asciiFastLowercased is lowercased(), also beyond ASCII", arguments: [
        "", "abc", "Content-Type", "UTF-8", "MÜLLER", "\u{212A}elvin", "İstanbul", "ΣΑΣ", "mixed ÄSCII",
    ])
    func lowercasing(_ text: String) {
        #expect(Array(text.asciiFastLowercased().utf8) == Array(text.lowercased().utf8))
    }

    @Test("trimmingCharacters: ASCII sets trimmed in bytes, others scalar by scalar")
    func trimming() {
        #expect(" \ta b\t ".trimmingCharacters(in: " \t") == "a b")
        #expect("<id@x>".trimmingCharacters(in: " \t<>") == "id@x")
        #expect("  ".trimmingCharacters(in: " ") == "")
        #expect("é é".trimmingCharacters(in: " ") == "é é")
        #expect("ééaé".trimmingCharacters(in: "é") == "a")
        #expect("..a.".trimmingCharacters(in: ".") == "a")
    }
}
