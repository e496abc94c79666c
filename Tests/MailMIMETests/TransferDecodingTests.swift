import Foundation
@testable import MailMIME
import Testing

/// Content-Transfer-Encoding decoders (RFC 2045 §6.7 and §6.8), tolerant of real mail.
@Suite("TransferDecoding")
struct TransferDecodingTests {
    // MARK: Base64

    /// (encoded, decoded). RFC 4648 §10 vectors, then what mail does wrong.
    static let base64Cases: [(String, [UInt8])] = [
        ("", []),
        ("Zg==", Array("f".utf8)),
        ("Zm8=", Array("fo".utf8)),
        ("Zm9v", Array("foo".utf8)),
        ("Zm9vYg==", Array("foob".utf8)),
        ("Zm9vYmE=", Array("fooba".utf8)),
        ("Zm9vYmFy", Array("foobar".utf8)),
        // Missing padding.
        ("Zg", Array("f".utf8)),
        ("Zm9vYg", Array("foob".utf8)),
        ("Zm9vYmE", Array("fooba".utf8)),
        // Line breaks of odd lengths, CRLF or LF, and spaces anywhere.
        ("Zm9v\r\nYmFy\r\n", Array("foobar".utf8)),
        ("Zm\n 9vY\nmFy", Array("foobar".utf8)),
        ("  Z m 9 v Y m F y  ", Array("foobar".utf8)),
        ("Zm9vYmFy\t\r\n\r\n", Array("foobar".utf8)),
        // Stray characters outside the alphabet are skipped.
        ("Zm9v!Ym#Fy", Array("foobar".utf8)),
        ("*Zm9v.YmFy,", Array("foobar".utf8)),
        // The URL-safe alphabet: "-" is 62 and "_" 63, like "+" and "/".
        ("+/+/", [0xFB, 0xFF, 0xBF]),
        ("-_-_", [0xFB, 0xFF, 0xBF]),
        ("-_8=", [0xFB, 0xFF]),
        // "=" ends a quantum; what follows starts a new one.
        ("Zg==Zm8=", Array("ffo".utf8)),
        // One lone sextet carries no whole byte.
        ("Z", []),
        ("Zm9vY", Array("foo".utf8)),
        ("====", []),
        ("!!!", []),
    ]

    @Test("base64 decodes standard, unpadded, broken and URL-safe text", arguments: base64Cases)
    func base64(_ encoded: String, _ decoded: [UInt8]) {
        #expect(TransferDecoding.base64(Array(encoded.utf8)) == decoded)
    }

    @Test("base64DecodedCount equals base64(...).count", arguments: base64Cases.map(\.0) + [
        "Zm9vYmFy\r\nZm9v", "Zm9=vYmFy", "Z=m9v", "=Zm9v", "Zm9vY===", "Zm-_+/", "ab\ncd\ne",
    ])
    func base64Count(_ encoded: String) {
        let bytes = Array(encoded.utf8)
        #expect(TransferDecoding.base64DecodedCount(bytes) == TransferDecoding.base64(bytes).count)
    }

    @Test("76-character lines (RFC 2045 §6.8) decode back to the original bytes")
    func base64MIMELines() {
        let original = (0..<3_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let encoded = Data(original).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn,
                                                                   .endLineWithLineFeed])
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.count == (4_000 + 75) / 76)
        #expect(lines.dropLast().allSatisfy { $0.count == 76 })
        let bytes = Array(encoded.utf8)
        #expect(TransferDecoding.base64(bytes) == original)
        #expect(TransferDecoding.base64DecodedCount(bytes) == 3_000)
    }

    @Test("odd line lengths: the same text broken every n characters decodes the same", arguments: [1, 3, 5, 13, 64, 77, 100])
    func base64OddLines(_ width: Int) {
        let original = Array("The quick brown fox jumps over the lazy dog. 0123456789 ÄÖÜ €".utf8)
        let plain = Data(original).base64EncodedString()
        var broken = ""
        for (offset, character) in plain.enumerated() {
            if offset > 0, offset % width == 0 { broken += offset % 2 == 0 ? "\r\n" : "\n" }
            broken.append(character)
        }
        let bytes = Array(broken.utf8)
        #expect(TransferDecoding.base64(bytes) == original)
        #expect(TransferDecoding.base64DecodedCount(bytes) == original.count)
    }

    @Test("every byte value survives, from any collection of bytes")
    func base64AllBytes() {
        let all = (0...255).map { UInt8($0) }
        let encoded = Array(Data(all).base64EncodedString().utf8)
        #expect(TransferDecoding.base64(encoded) == all)
        #expect(TransferDecoding.base64(encoded[...]) == all)
        #expect(TransferDecoding.base64DecodedCount(encoded[...]) == 256)
    }

    // MARK: Quoted-printable

    /// (encoded, decoded), written with explicit line ends.
    static let qpCases: [(String, String)] = [
        ("plain text", "plain text"),
        // =XX in upper or lower case.
        ("caf=C3=A9", "café"),
        ("caf=c3=a9", "café"),
        ("=3D is an equals sign", "= is an equals sign"),
        // Soft line breaks: "=" at the end of a line, with CRLF or LF; white space after the "="
        // was added in transport and goes with it.
        ("Soft=\r\nbreak", "Softbreak"),
        ("Soft=\nbreak", "Softbreak"),
        ("Soft=  \r\nbreak", "Softbreak"),
        ("Soft= \t\nbreak", "Softbreak"),
        ("two =\r\nwords", "two words"),
        // Hard line breaks stay as they are.
        ("line 1\r\nline 2\r\n", "line 1\r\nline 2\r\n"),
        ("line 1\nline 2\n", "line 1\nline 2\n"),
        // Bad escapes are kept as written (RFC 2045 §6.7 note 2).
        ("a=ZZb", "a=ZZb"),
        ("100=%", "100=%"),
        ("x=4", "x=4"),
        ("=G1=1G", "=G1=1G"),
        ("a = b", "a = b"),
        // "=" as the last character is a soft break whose line end was the delimiter's (the CRLF
        // before a boundary belongs to the boundary, RFC 2046 §5.1.1): nothing is added.
        ("no trailing newline=", "no trailing newline"),
        ("no trailing newline=  ", "no trailing newline"),
        // Trailing white space on a line is transport padding and is stripped (note 3 of rule 3).
        ("trailing   \r\nspaces\t \r\nend  ", "trailing\r\nspaces\r\nend"),
        ("trailing \nLF", "trailing\nLF"),
        // Encoded white space is content, not padding.
        ("keep=20\r\nnext", "keep \r\nnext"),
        ("tab=09\nnext", "tab\t\nnext"),
        ("both =20 \r\nx", "both  \r\nx"),
        ("last=20", "last "),
    ]

    @Test("quoted-printable: soft breaks, hex in both cases, bad escapes, trailing white space", arguments: qpCases)
    func quotedPrintable(_ encoded: String, _ decoded: String) {
        let result = TransferDecoding.quotedPrintable(Array(encoded.utf8))
        #expect(String(decoding: result, as: UTF8.self) == decoded)
    }

    @Test("quoted-printable keeps 8-bit bytes that were sent raw")
    func quotedPrintableRawBytes() {
        #expect(TransferDecoding.quotedPrintable([0x61, 0xE9, 0x3D, 0x45, 0x39]) == [0x61, 0xE9, 0xE9])
    }

    @Test("quoted-printable of an RFC 2045 style long line with soft breaks")
    func quotedPrintableLongLine() {
        let encoded = "Now's the time for all folk to come to the aid of their country, and ma=\r\n"
            + "ny more words follow to make the line longer than seventy-six characters=\r\n"
            + " =E2=80=94 done.\r\n"
        let decoded = "Now's the time for all folk to come to the aid of their country, and many more words follow "
            + "to make the line longer than seventy-six characters — done.\r\n"
        #expect(String(decoding: TransferDecoding.quotedPrintable(Array(encoded.utf8)), as: UTF8.self) == decoded)
    }

    @Test("hex digits")
    func hexDigits() {
        #expect(TransferDecoding.hexValue(UInt8(ascii: "0")) == 0)
        #expect(TransferDecoding.hexValue(UInt8(ascii: "9")) == 9)
        #expect(TransferDecoding.hexValue(UInt8(ascii: "a")) == 10)
        #expect(TransferDecoding.hexValue(UInt8(ascii: "F")) == 15)
        #expect(TransferDecoding.hexValue(UInt8(ascii: "g")) == nil)
        #expect(TransferDecoding.hexValue(UInt8(ascii: "G")) == nil)
    }
}

/// The run-copying quoted-printable decoder against the byte-by-byte one it replaced.
extension TransferDecodingTests {
    @Test("quoted-printable: padding, soft breaks and escapes at every offset of the eight-byte scan")
    func quotedPrintableOffsets() {
        let specials = ["=3D", "=20", " \r\n", "\t\n", "=\r\n", "= \t\n", "=\r", "=", "=4", "=G1", "  ", "\r", "\n", " =20 \r\n"]
        for special in specials {
            for offset in 0...17 {
                for tail in ["", "x", "  ", " \t", "=20  "] {
                    let input = Array((String(repeating: "a", count: offset) + special + "bcdefghijk" + tail).utf8)
                    #expect(TransferDecoding.quotedPrintable(input) == Reference.quotedPrintable(input),
                            "\(special.debugDescription) at \(offset), tail \(tail.debugDescription)")
                }
            }
        }
    }

    @Test("quoted-printable: random input over the syntax characters matches the old decoder")
    func quotedPrintableRandom() {
        var generator = SeededGenerator(seed: 2045)
        let alphabet = Array("= \t\r\n3DdAx\u{7F}".utf8) + [0xC3, 0xFF]
        for _ in 0..<5000 {
            let input = Reference.randomBytes(Int.random(in: 0...48, using: &generator), from: alphabet, using: &generator)
            #expect(TransferDecoding.quotedPrintable(input) == Reference.quotedPrintable(input), "\(input)")
        }
    }
}
