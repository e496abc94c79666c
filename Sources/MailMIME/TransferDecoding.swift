/// Content-Transfer-Encoding decoders (RFC 2045 §6), tolerant of what real mail does wrong.
public enum TransferDecoding {
    static let base64Table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(char)] = UInt8(index)
        }
        // URL-safe variants seen in the wild.
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Base64 (RFC 2045 §6.8): characters outside the alphabet (line breaks of any length,
    /// stray punctuation) are skipped; `=` ends a quantum; missing padding is accepted.
    public static func base64<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8 {
        if let decoded = input.withContiguousStorageIfAvailable(decodeBase64) { return decoded }
        return Array(input).withUnsafeBufferPointer(decodeBase64)
    }

    /// The number of bytes `base64(_:)` would produce, without producing them.
    public static func base64DecodedCount<C: Collection>(_ input: C) -> Int where C.Element == UInt8 {
        if let count = input.withContiguousStorageIfAvailable(countBase64) { return count }
        return Array(input).withUnsafeBufferPointer(countBase64)
    }

    /// The decoder: one table look-up per input byte, output written in place.
    static func decodeBase64(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        // At most 6 bits per input byte.
        [UInt8](unsafeUninitializedCapacity: input.count / 4 * 3 + 3) { output, initialized in
            var produced = 0
            base64Table.withUnsafeBufferPointer { table in
                var bits: UInt32 = 0
                var count = 0
                for byte in input {
                    let value = table[Int(byte)]
                    guard value != 0xFF else {
                        if byte == UInt8(ascii: "=") {
                            // Padding: drop the incomplete bits of this quantum.
                            bits = 0
                            count = 0
                        }
                        continue
                    }
                    bits = bits << 6 | UInt32(value)
                    count += 6
                    if count >= 8 {
                        count -= 8
                        output[produced] = UInt8((bits >> UInt32(count)) & 0xFF)
                        produced += 1
                    }
                }
            }
            initialized = produced
        }
    }

    /// Counts as `decodeBase64` decodes: between two `=`, n characters of the alphabet give
    /// ⌊6n/8⌋ bytes.
    static func countBase64(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        base64Table.withUnsafeBufferPointer { table in
            var sextets = 0
            var total = 0
            for byte in input {
                guard table[Int(byte)] != 0xFF else {
                    if byte == UInt8(ascii: "=") {
                        total += sextets * 6 / 8
                        sextets = 0
                    }
                    continue
                }
                sextets += 1
            }
            return total + sextets * 6 / 8
        }
    }

    /// Quoted-printable (RFC 2045 §6.7): `=XX` in either case, soft line breaks (`=` at a line
    /// end, CRLF or LF), trailing white space on lines removed; a bad escape is kept as written.
    public static func quotedPrintable<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8, C.Index == Int {
        if let decoded = input.withContiguousStorageIfAvailable(decodeQuotedPrintable) { return decoded }
        return Array(input).withUnsafeBufferPointer(decodeQuotedPrintable)
    }

    /// The decoder: output written in place (it is never longer than the input).
    ///
    /// Only literal white space at the end of a line is transport padding (RFC 2045 §6.7 rule
    /// 3); white space written as `=20` or `=09`, or kept by a soft line break, is content.
    /// `keptEnd` marks the end of the output that is content for sure: at a line break (and at
    /// the end) the white space after it is dropped. Literal text is copied in runs up to the
    /// next `=`, CR or LF.
    static func decodeQuotedPrintable(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: input.count) { output, initialized in
            guard let source = input.baseAddress, let target = output.baseAddress else { return }
            var count = 0
            var index = 0
            let end = input.count
            var keptEnd = 0

            /// Drops the literal white space at the end of the output (after `keptEnd`).
            func dropPadding() {
                while count > keptEnd, output[count - 1] == 0x20 || output[count - 1] == 0x09 { count -= 1 }
            }

            while index < end {
                let runEnd = nextQuotedPrintableSpecial(input, from: index)
                if runEnd > index {
                    (target + count).update(from: source + index, count: runEnd - index)
                    count += runEnd - index
                    index = runEnd
                    if index == end { break }
                }
                let byte = input[index]
                if byte == 0x0D || byte == 0x0A {
                    // A hard line break: literal trailing white space before it was padding.
                    dropPadding()
                    output[count] = byte
                    count += 1
                    index += 1
                    keptEnd = count
                    continue
                }
                // "=": a soft line break ("=", optional white space, a line end), an escape, or
                // kept as written.
                var look = index + 1
                while look < end, input[look] == 0x20 || input[look] == 0x09 { look += 1 }
                if look < end, input[look] == 0x0A {
                    index = look + 1
                    keptEnd = count
                    continue
                }
                if look + 1 < end, input[look] == 0x0D, input[look + 1] == 0x0A {
                    index = look + 2
                    keptEnd = count
                    continue
                }
                if look >= end {
                    index = end
                    continue
                }
                if index + 2 < end, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                    output[count] = high << 4 | low
                    index += 3
                } else {
                    output[count] = byte
                    index += 1
                }
                count += 1
                keptEnd = count
            }
            // The last line has no line break after it, but its literal trailing white space is
            // padding too.
            dropPadding()
            initialized = count
        }
    }

    /// The first index from `start` on that holds `=`, CR or LF, or the end; eight bytes at a
    /// time.
    static func nextQuotedPrintableSpecial(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = input.baseAddress else { return start }
        var index = start
        let count = input.count
        while index + 8 <= count {
            let word = ByteWords.load(base + index)
            let special = ByteWords.bytes(word, equalTo: 0x3D) | ByteWords.bytes(word, equalTo: 0x0D)
                | ByteWords.bytes(word, equalTo: 0x0A)
            if special != 0 { break }
            index += 8
        }
        while index < count, input[index] != 0x3D, input[index] != 0x0D, input[index] != 0x0A { index += 1 }
        return index
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}
