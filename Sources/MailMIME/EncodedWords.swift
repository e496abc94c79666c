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
        guard text.contains("=?") else { return text }
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var pendingBytes: [UInt8] = []
        var pendingCharset: String?
        var pendingSpace = String.UnicodeScalarView()  // white space after the last encoded word
        var index = 0
        // Where a text scan is known to find no "?=" (see `word`): keeps hostile input linear.
        var noTerminator: ClosedRange<Int>?

        func flushWord() {
            if let charset = pendingCharset {
                output.appendEach(Charset.decode(pendingBytes, label: charset).unicodeScalars)
            }
            pendingBytes.removeAll()
            pendingCharset = nil
        }

        while index < scalars.count {
            if scalars[index] == "=", index + 1 < scalars.count, scalars[index + 1] == "?",
               let (charset, bytes, next) = word(scalars, at: index, noTerminator: &noTerminator) {
                // Adjacent to a previous word: the white space between them disappears.
                if pendingCharset != nil, charset.lowercased() != pendingCharset!.lowercased() { flushWord() }
                pendingSpace.removeAll()
                pendingCharset = charset
                pendingBytes.append(contentsOf: bytes)
                index = next
                continue
            }
            let scalar = scalars[index]
            if pendingCharset != nil, scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" {
                pendingSpace.append(scalar)
                index += 1
                continue
            }
            flushWord()
            output.appendEach(pendingSpace)
            pendingSpace.removeAll()
            output.append(scalar)
            index += 1
        }
        flushWord()
        output.appendEach(pendingSpace)
        return String(output)
    }

    /// Parses one encoded word at `start`: its charset (language tag dropped), decoded bytes, and
    /// the index after it. nil if the text there is not a well-formed encoded word.
    ///
    /// `noTerminator` holds positions from which a scan for the closing `?=` is known to fail;
    /// without it, text full of `=?` openers and no `?=` would be scanned to its end once per
    /// opener (quadratic).
    static func word(_ scalars: [Unicode.Scalar], at start: Int, noTerminator: inout ClosedRange<Int>?)
        -> (String, [UInt8], Int)? {
        var index = start + 2
        func field() -> String? {
            var value = String.UnicodeScalarView()
            while index < scalars.count, scalars[index] != "?" {
                let scalar = scalars[index]
                guard scalar.value > 0x20, scalar.value < 0x7F else { return nil }
                value.append(scalar)
                index += 1
                guard value.count <= 75 else { return nil }
            }
            guard index < scalars.count else { return nil }
            index += 1  // the "?"
            return String(value)
        }
        guard let charsetField = field(), !charsetField.isEmpty, let encoding = field(), encoding.count == 1,
              "BbQq".contains(encoding) else { return nil }
        let textStart = index
        while index + 1 < scalars.count, !(scalars[index] == "?" && scalars[index + 1] == "=") {
            if let known = noTerminator, known.contains(index) {
                noTerminator = min(textStart, known.lowerBound)...known.upperBound
                return nil
            }
            let scalar = scalars[index]
            guard scalar.value > 0x20, scalar.value < 0x7F else {
                noTerminator = textStart...index
                return nil
            }
            index += 1
        }
        guard index + 1 < scalars.count else {
            noTerminator = textStart...index
            return nil
        }
        let encoded = scalars[textStart..<index].map { UInt8($0.value) }
        let charset = String(charsetField.prefix { $0 != "*" })
        let bytes = encoding == "B" || encoding == "b" ? TransferDecoding.base64(encoded[...]) : qDecode(encoded)
        return (charset, bytes, index + 2)
    }

    /// The "Q" encoding (RFC 2047 §4.2): `_` is a space, `=XX` a byte.
    static func qDecode(_ encoded: [UInt8]) -> [UInt8] {
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

extension String.UnicodeScalarView {
    /// Appends scalar by scalar. `append(contentsOf:)` on a scalar view reserves exactly the new
    /// count on every call, so calling it in a loop copies the whole view each time (quadratic:
    /// a 1 MB header took over a minute).
    mutating func appendEach<S: Sequence>(_ scalars: S) where S.Element == Unicode.Scalar {
        for scalar in scalars { append(scalar) }
    }
}
