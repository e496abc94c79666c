import IMAPCore
import Testing

/// Modified UTF-7 mailbox names (RFC 3501 §5.1.3), both ways.
@Suite("ModifiedUTF7")
struct ModifiedUTF7Tests {
    static let pairs: [(String, String)] = [
        ("INBOX", "INBOX"),
        ("", ""),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ("&", "&-"),
        ("Tom & Jerry", "Tom &- Jerry"),
        ("&&", "&-&-"),
        ("Café", "Caf&AOk-"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("Grüße", "Gr&APwA3w-e"),
        ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
        ("日本語&台北", "&ZeVnLIqe-&-&U,BTFw-"),
        ("😀", "&2D3eAA-"),
        ("Ünïcødé 🎉 x", "&ANw-n&AO8-c&APg-d&AOk- &2DzfiQ- x"),
        ("a\u{7F}b", "a&AH8-b"),
        ("tab\there", "tab&AAk-here"),
        ("[Gmail]/Sent Mail", "[Gmail]/Sent Mail"),
        (" !\"#$%'()*+,-./:;<=>?@[\\]^_`{|}~", " !\"#$%'()*+,-./:;<=>?@[\\]^_`{|}~"),
    ]

    @Test("encode", arguments: pairs)
    func encode(_ name: String, _ wire: String) {
        #expect(ModifiedUTF7.encode(name) == wire)
    }

    @Test("decode", arguments: pairs)
    func decode(_ name: String, _ wire: String) {
        #expect(ModifiedUTF7.decode(wire).map { Array($0.unicodeScalars) } == Array(name.unicodeScalars))
    }

    @Test("invalid modified UTF-7 decodes to nil", arguments: [
        "&Jjo",             // no closing "-"
        "&U,BTFw",          // no closing "-"
        "&AGE-",            // base64 for "a": printable ASCII must be sent as itself
        "&ACY-",            // base64 for "&" must be "&-"
        "&*-",              // not in the modified base64 alphabet
        "&ZeVn/-",          // "/" is "," in modified base64
        "&ZeVn=-",          // no padding
        "&U-",              // six bits: not even one byte
        "&AOk",             // unterminated
        "&2D0-",            // a lone high surrogate
        "&3gA-",            // a lone low surrogate
        "caf\u{E9}",        // raw 8-bit text
        "tab\there",        // raw control character
        "line\nbreak",
        "&AOkA-",           // an odd number of bytes
    ])
    func invalid(_ wire: String) {
        #expect(ModifiedUTF7.decode(wire) == nil)
    }

    /// A random scalar drawn from the ranges mailbox names use, astral planes included.
    static func randomScalar(_ rng: inout SeededGenerator) -> Unicode.Scalar {
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x20...0x7E, 0x26...0x26, 0x00...0x1F, 0x7F...0xFF, 0x100...0x7FF, 0x800...0xD7FF,
            0xE000...0xFFFD, 0x10000...0x10FFFF,
        ]
        while true {
            let range = ranges.randomElement(using: &rng)!
            if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &rng)) { return scalar }
        }
    }

    @Test("random Unicode names survive encode then decode")
    func randomRoundTrip() throws {
        var rng = SeededGenerator(seed: 0xC0FFEE)
        for _ in 0..<1000 {
            var name = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &rng) {
                name.append(Self.randomScalar(&rng))
            }
            let original = String(name)
            let wire = ModifiedUTF7.encode(original)
            #expect(wire.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "wire form is printable ASCII: \(wire)")
            let decoded = try #require(ModifiedUTF7.decode(wire), "\(wire)")
            #expect(Array(decoded.unicodeScalars) == Array(original.unicodeScalars), "\(wire)")
        }
    }

    @Test("printable ASCII other than & is its own encoding")
    func asciiIdentity() {
        for byte in UInt8(0x20)...UInt8(0x7E) where byte != UInt8(ascii: "&") {
            let text = String(UnicodeScalar(byte))
            #expect(ModifiedUTF7.encode(text) == text)
            #expect(ModifiedUTF7.decode(text) == text)
        }
    }
}
