import IMAPCore
import Testing

/// Standard base64 (RFC 4648 §4) used for SASL.
@Suite("Base64")
struct Base64Tests {
    /// RFC 4648 §10 test vectors.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test("RFC 4648 vectors encode", arguments: vectors)
    func encode(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.encode(plain.utf8) == encoded, "any collection of bytes")
    }

    @Test("RFC 4648 vectors decode, padded or not", arguments: vectors)
    func decode(_ plain: String, _ encoded: String) {
        #expect(Base64.decode(encoded) == Array(plain.utf8))
        let unpadded = String(encoded.prefix { $0 != "=" })
        #expect(Base64.decode(unpadded) == Array(plain.utf8))
    }

    @Test("SASL PLAIN and all 256 byte values")
    func saslAndBinary() {
        #expect(Base64.encode(Array("\0alice\0secret".utf8)) == "AGFsaWNlAHNlY3JldA==")
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(all)) == all)
    }

    @Test("line breaks and spaces in a server challenge are ignored")
    func whitespace() {
        #expect(Base64.decode("Zm9v\r\nYmFy") == Array("foobar".utf8))
        #expect(Base64.decode("Zm9v YmFy\n") == Array("foobar".utf8))
    }

    @Test("invalid characters decode to nil", arguments: ["Zm9v!", "Zm9v-", "Zm,v", "Zm9v\u{0}", "Zm9vÄ", "Zm9v_"])
    func invalid(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("random bytes survive encode then decode")
    func randomRoundTrip() {
        var rng = SeededGenerator(seed: 64)
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let encoded = Base64.encode(bytes)
            #expect(encoded.count == (bytes.count + 2) / 3 * 4)
            #expect(Base64.decode(encoded) == bytes)
        }
    }
}
