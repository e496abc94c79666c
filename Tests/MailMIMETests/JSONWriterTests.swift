@testable import MailMIME
import Testing

/// JSON string escaping: the eight-byte scan and the table must escape exactly what the
/// byte-by-byte writer did, wherever the special bytes fall relative to the eight-byte words.
@Suite("JSONWriter")
struct JSONWriterTests {
    static func escaped(_ value: String) -> [UInt8] {
        var writer = JSONWriter(pretty: false)
        writer.string(value)
        return writer.bytes.array
    }

    @Test("special characters at every offset of a 24-byte string", arguments: [
        "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}", "\u{2027}", "\u{202A}",
        "ü", "€", "😀", "\u{E000}",
    ])
    func everyOffset(_ special: String) {
        for offset in 0...24 {
            let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: 24 - offset)
            #expect(Self.escaped(text) == Reference.jsonString(text), "offset \(offset)")
        }
    }

    @Test("U+2028's lead byte at the very end and cut short: not escaped")
    func lineSeparatorLeadAtEnd() {
        // Strings are valid UTF-8, so a cut-short sequence is only possible as U+FFFD; these
        // are the nearest neighbours: other characters starting with E2 80 or E2.
        for text in ["abcdefg\u{2000}", "abcdefgh\u{2010}", "\u{20AC}\u{2028}", "\u{2028}\u{2028}\u{2029}"] {
            #expect(Self.escaped(text) == Reference.jsonString(text))
        }
    }

    @Test("random strings of specials, ASCII and multi-byte characters match the old writer")
    func random() {
        var generator = SeededGenerator(seed: 2028)
        let pieces = ["a", "bc", " ", "\"", "\\", "\n", "\r\n", "\t", "\u{1}", "\u{7F}", "\u{2028}", "\u{2029}", "é", "€", "😀", "\u{2030}"]
        for _ in 0..<2000 {
            let count = Int.random(in: 0...40, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(Self.escaped(text) == Reference.jsonString(text))
        }
    }

    @Test("the buffer grows past its first capacity and keeps every byte")
    func bufferGrowth() {
        let buffer = ByteBuffer(capacity: 1)
        var expected: [UInt8] = []
        for index in 0..<1000 {
            let byte = UInt8(truncatingIfNeeded: index)
            buffer.append(byte)
            expected.append(byte)
            if index % 7 == 0 {
                let run = [UInt8](repeating: byte, count: index % 300)
                run.withUnsafeBufferPointer { buffer.append(contentsOf: $0) }
                expected += run
            }
        }
        buffer.append(contentsOf: "tail €")
        expected += Array("tail €".utf8)
        #expect(buffer.array == expected)
        #expect(buffer.count == expected.count)
    }
}
