@testable import MailMIME
import Testing

/// The eight-bytes-at-once tests behind the JSON and quoted-printable scans: each must say
/// "some byte matches" exactly when one does, wherever it is in the word.
@Suite("ByteWords")
struct ByteWordsTests {
    /// A word holding `byte` at `position` and `filler` everywhere else.
    static func word(_ byte: UInt8, at position: Int, filler: UInt8) -> UInt64 {
        var bytes = [UInt8](repeating: filler, count: 8)
        bytes[position] = byte
        return bytes.withUnsafeBufferPointer { ByteWords.load($0.baseAddress!) }
    }

    @Test("equalTo, below and nonASCII find a byte at every position, for every byte value")
    func everyByteEveryPosition() {
        for filler: UInt8 in [0x41, 0x20, 0xFF, 0x00, 0x7F] {
            for value in 0...255 {
                let byte = UInt8(value)
                for position in 0..<8 {
                    let word = Self.word(byte, at: position, filler: filler)
                    #expect((ByteWords.bytes(word, equalTo: 0x22) != 0) == (byte == 0x22 || filler == 0x22))
                    #expect((ByteWords.bytes(word, equalTo: 0x3D) != 0) == (byte == 0x3D || filler == 0x3D))
                    #expect((ByteWords.bytes(word, below: 0x20) != 0) == (byte < 0x20 || filler < 0x20))
                    #expect((ByteWords.nonASCIIBytes(word) != 0) == (byte >= 0x80 || filler >= 0x80))
                }
            }
        }
    }

    @Test("a zero byte just above another zero byte is still seen (the borrow does not hide it)")
    func adjacentMatches() {
        let bytes: [UInt8] = [0x22, 0x22, 0x41, 0x41, 0x41, 0x41, 0x41, 0x22]
        let word = bytes.withUnsafeBufferPointer { ByteWords.load($0.baseAddress!) }
        #expect(ByteWords.bytes(word, equalTo: 0x22) != 0)
        #expect(ByteWords.bytes(word, equalTo: 0x42) == 0)
    }
}
