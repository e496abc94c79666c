@testable import MailMIME
import Testing

/// Line-end normalisation on bytes, in place and while copying.
@Suite("LineEnds")
struct LineEndsTests {
    @Test("CR LF and lone CR become LF; LF alone stays", arguments: [
        ("", ""), ("a", "a"), ("\r", "\n"), ("\n", "\n"), ("\r\n", "\n"), ("\n\r", "\n\n"), ("\r\r\n", "\n\n"),
        ("a\r\nb\rc\nd", "a\nb\nc\nd"), ("\r\n\r\n", "\n\n"), ("end\r", "end\n"), ("\r\n\n", "\n\n"),
    ])
    func examples(_ input: String, _ expected: String) {
        var bytes = Array(input.utf8)
        LineEnds.normalise(&bytes)
        #expect(bytes == Array(expected.utf8))
        #expect(Array(input.utf8).withUnsafeBufferPointer(LineEnds.normalised) == Array(expected.utf8))
    }

    @Test("random bytes, invalid UTF-8 included: normalising then decoding equals decoding then normalising")
    func commutesWithDecoding() {
        var generator = SeededGenerator(seed: 13)
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x41, 0x20, 0xC3, 0xBC, 0xE2, 0x80, 0xA8, 0xFF, 0xF0, 0x9F]
        for _ in 0..<2000 {
            let input = Reference.randomBytes(Int.random(in: 0...30, using: &generator), from: alphabet, using: &generator)
            var normalised = input
            LineEnds.normalise(&normalised)
            let old = Reference.normalisingLineEnds(String(decoding: input, as: UTF8.self))
            #expect(Array(String(decoding: normalised, as: UTF8.self).utf8) == Array(old.utf8))
            #expect(Array(Charset.decodeUTF8OrLatin1(normalised).utf8)
                == Array(Reference.normalisingLineEnds(Charset.decodeUTF8OrLatin1(input)).utf8))
            #expect(Array(Charset.latin1(normalised).utf8) == Array(Reference.normalisingLineEnds(Charset.latin1(input)).utf8))
        }
    }
}
