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
    static func decodeQuotedPrintable(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: input.count) { output, initialized in
            var count = 0
            var index = 0
            let end = input.count
            // Where a run of literal white space began in the output: only that is transport
            // padding (RFC 2045 §6.7 rule 3); white space written as =20 or =09 is content.
            var literalSpaceStart: Int?
            while index < end {
                let byte = input[index]
                switch byte {
                case UInt8(ascii: "="):
                    // Soft line break: "=" then optional white space then a line end.
                    var look = index + 1
                    while look < end, input[look] == 0x20 || input[look] == 0x09 { look += 1 }
                    if look < end, input[look] == 0x0A {
                        index = look + 1
                        literalSpaceStart = nil
                        continue
                    }
                    if look + 1 < end, input[look] == 0x0D, input[look + 1] == 0x0A {
                        index = look + 2
                        literalSpaceStart = nil
                        continue
                    }
                    if look >= end {
                        index = end
                        continue
                    }
                    literalSpaceStart = nil
                    if index + 2 < end, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                        output[count] = high << 4 | low
                        count += 1
                        index += 3
                        continue
                    }
                    output[count] = byte
                    count += 1
                    index += 1
                case 0x0D, 0x0A:
                    // A hard line break: literal trailing white space before it was padding.
                    if let start = literalSpaceStart { count = start }
                    literalSpaceStart = nil
                    output[count] = byte
                    count += 1
                    index += 1
                case 0x20, 0x09:
                    if literalSpaceStart == nil { literalSpaceStart = count }
                    output[count] = byte
                    count += 1
                    index += 1
                default:
                    // Ordinary text, in the tight loop: most of a body is runs of it.
                    literalSpaceStart = nil
                    repeat {
                        output[count] = input[index]
                        count += 1
                        index += 1
                    } while index < end && isOrdinaryQuotedPrintableByte(input[index])
                }
            }
            // The last line has no line break after it, but its literal trailing white space is
            // padding too.
            if let start = literalSpaceStart { count = start }
            initialized = count
        }
    }

    /// Whether quoted-printable decoding copies `byte` as it is and forgets pending white
    /// space: anything but `=`, space, tab, CR and LF.
    @inline(__always)
    static func isOrdinaryQuotedPrintableByte(_ byte: UInt8) -> Bool {
        byte > 0x20 ? byte != 0x3D : byte != 0x20 && byte != 0x09 && byte != 0x0D && byte != 0x0A
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
