/// Decoding of RFC 2047 encoded words (`=?charset?B|Q?text?=`, with RFC 2231 §5 language tags
/// `=?charset*lang?...`) in unstructured header text.
///
/// White space between two adjacent encoded words is removed (RFC 2047 §6.2). The bytes of
/// adjacent words in the same charset are joined before charset decoding, so a multibyte
/// character split across two words comes out whole. A word with an unknown encoding or bad
/// syntax is kept as written; an unknown charset falls back as ``Charset`` describes.
public enum EncodedWords {
    /// Decodes every encoded word in `text`.
    public static func decode(_ text: String) -> String {
        var contiguous = text
        return contiguous.withUTF8 { utf8 in
            // Most values hold no "=?" at all. Whether one holds an encoded word was always
            // decided by `String.contains`, which matches whole Characters: a "?" followed by a
            // combining mark is no "=?". Only non-ASCII text can hold such a mark.
            guard HeaderBytes.containsEncodedWordStart(utf8) else { return nil }
            guard HeaderBytes.isASCII(utf8) || text.contains("=?") else { return nil }
            return decode(utf8)
        } ?? text
    }

    /// The decoder, on UTF-8 bytes (see ``HeaderBytes``): every byte of an encoded word is
    /// printable ASCII, so a scan of bytes finds the words a scan of scalars finds.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var pendingBytes: [UInt8] = []
        var pendingCharset: String?
        var pendingSpace: [UInt8] = []  // white space after the last encoded word
        var index = 0
        var scan: TextScan?

        func flushWord() {
            if let charset = pendingCharset {
                output.append(contentsOf: Charset.decode(pendingBytes, label: charset).utf8)
            }
            pendingBytes.removeAll()
            pendingCharset = nil
        }

        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "="), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "?"),
               let (charset, decoded, next) = word(bytes, at: index, scan: &scan) {
                // Adjacent to a previous word: the white space between them disappears.
                if let pending = pendingCharset, !Self.sameCharset(charset, pending) { flushWord() }
                pendingSpace.removeAll()
                pendingCharset = charset
                pendingBytes.append(contentsOf: decoded)
                index = next
                continue
            }
            let byte = bytes[index]
            if pendingCharset != nil, HeaderBytes.isWhiteSpace(byte) {
                pendingSpace.append(byte)
                index += 1
                continue
            }
            flushWord()
            output.append(contentsOf: pendingSpace)
            pendingSpace.removeAll()
            output.append(byte)
            index += 1
        }
        flushWord()
        output.append(contentsOf: pendingSpace)
        return HeaderBytes.string(output)
    }

    /// Charset names compared ignoring case; they are printable ASCII (see ``word(_:at:scan:)``),
    /// so ASCII case folding is all `lowercased()` would do.
    static func sameCharset(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count
            && zip(lhs.utf8, rhs.utf8).allSatisfy { a, b in
                a == b || (a ^ b == 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A)
            }
    }

    /// Where the scan for the end of an encoded word's text stopped: at the first index from
    /// `from` on that holds `?=`, a byte that cannot be in encoded text, or the last byte. A
    /// scan from anywhere in `from...stop` stops at the same `stop`, so text that has no `?=`
    /// is scanned once, not once for every `=?` in it (which was quadratic: a 1 MB Subject of
    /// `=?a?B?x` repeated took minutes).
    struct TextScan {
        var from: Int
        var stop: Int
    }

    /// Whether `byte` can be part of an encoded word: printable ASCII.
    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// Parses one encoded word at `start`: its charset (language tag dropped), decoded bytes, and
    /// the index after it. nil if the text there is not a well-formed encoded word. `scan`
    /// carries the last text scan from one call to the next.
    static func word(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, scan: inout TextScan?) -> (String, [UInt8], Int)? {
        var index = start + 2
        /// One `?`-terminated field of at most 75 bytes.
        func field() -> Range<Int>? {
            let fieldStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "?") {
                guard isWordByte(bytes[index]), index - fieldStart < 75 else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            index += 1  // the "?"
            return fieldStart..<(index - 1)
        }
        guard let charsetField = field(), !charsetField.isEmpty, let encodingField = field(),
              encodingField.count == 1 else { return nil }
        let textStart = index
        if let known = scan, known.from <= textStart, textStart <= known.stop {
            index = known.stop
        } else {
            while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "?") && bytes[index + 1] == UInt8(ascii: "=")) {
                guard isWordByte(bytes[index]) else { break }
                index += 1
            }
            if scan == nil || textStart > scan!.stop { scan = TextScan(from: textStart, stop: index) }
        }
        // The text ends at "?="; a stop anywhere else (the end, or a space) is no encoded word.
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "?"), bytes[index + 1] == UInt8(ascii: "=") else { return nil }
        let encoded = UnsafeBufferPointer(rebasing: bytes[textStart..<index])
        let charsetBytes = bytes[charsetField].prefix { $0 != UInt8(ascii: "*") }
        let decoded: [UInt8]?
        switch bytes[encodingField.lowerBound] {
        case UInt8(ascii: "B"), UInt8(ascii: "b"): decoded = TransferDecoding.base64(encoded)
        case UInt8(ascii: "Q"), UInt8(ascii: "q"): decoded = qDecode(encoded)
        default: decoded = nil
        }
        guard let decoded else { return nil }
        return (HeaderBytes.string(charsetBytes), decoded, index + 2)
    }

    /// The "Q" encoding (RFC 2047 §4.2): `_` is a space, `=XX` a byte.
    static func qDecode(_ encoded: [UInt8]) -> [UInt8] {
        encoded.withUnsafeBufferPointer(qDecode)
    }

    /// ``qDecode(_:)`` on the encoded text where it lies, without copying it out first.
    static func qDecode(_ encoded: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count)
        var index = 0
        while index < encoded.count {
            let byte = encoded[index]
            if byte == UInt8(ascii: "_") {
                output.append(0x20)
            } else if byte == UInt8(ascii: "="), index + 2 < encoded.count,
                      let high = TransferDecoding.hexValue(encoded[index + 1]),
                      let low = TransferDecoding.hexValue(encoded[index + 2]) {
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }
}
