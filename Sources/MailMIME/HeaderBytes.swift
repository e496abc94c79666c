/// Byte-level helpers for header values, used on their UTF-8 bytes.
///
/// Every syntax character of a header (quotes, parentheses, angle brackets, separators, white
/// space) is ASCII, and in UTF-8 an ASCII byte is never part of a longer character, so scanning
/// bytes finds the same delimiters as scanning Unicode scalars; bytes between delimiters are
/// copied whole, so every piece is valid UTF-8 again. What bytes cannot reproduce is the
/// standard library's *Character* semantics (grapheme clusters, canonical equivalence), which
/// some `String` operations here use; callers fall back to those operations where the bytes
/// could make a difference (see each use).
enum HeaderBytes {
    @inline(__always)
    static func isWhiteSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// Skips a comment `( ... )`, nested, with quoted pairs (RFC 5322 §3.2.2). The bytes of
    /// ``MIMEParameters/skipComment(_:_:)``: a quoted pair skips one byte, and when that byte
    /// starts a longer character its other bytes are never syntax.
    static func skipComment(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        var depth = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 1
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { index += 1; return }
            default: break
            }
            index += 1
        }
    }

    /// Whether `bytes` holds `=?` somewhere: where an encoded word could start.
    static func containsEncodedWordStart<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var previousEquals = false
        for byte in bytes {
            if previousEquals, byte == UInt8(ascii: "?") { return true }
            previousEquals = byte == UInt8(ascii: "=")
        }
        return false
    }

    /// Whether every byte is ASCII.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var combined: UInt8 = 0
        for byte in bytes { combined |= byte }
        return combined < 0x80
    }

    /// The string of `bytes`, which callers know to be valid UTF-8 (pieces cut from a string
    /// at ASCII bytes).
    static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    /// ``lowercased()`` without the allocation and the Unicode tables for the usual ASCII text:
    /// `self` when it holds no upper-case ASCII letter and no other byte above 0x7F.
    func asciiFastLowercased() -> String {
        var text = self
        return text.withUTF8 { utf8 -> String? in
            var hasUpper = false
            for byte in utf8 {
                if byte >= 0x80 { return nil }
                if byte >= 0x41, byte <= 0x5A { hasUpper = true }
            }
            guard hasUpper else { return self }
            return String(unsafeUninitializedCapacity: utf8.count) { output in
                for (index, byte) in utf8.enumerated() {
                    output[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                }
                return utf8.count
            }
        } ?? lowercased()
    }
}
