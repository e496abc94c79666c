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
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3 + 3)
        base64(input) { output.append($0) }
        return output
    }

    /// The number of bytes `base64(_:)` would produce, without producing them.
    public static func base64DecodedCount<C: Collection>(_ input: C) -> Int where C.Element == UInt8 {
        var sextets = 0
        var total = 0
        for byte in input {
            if byte == UInt8(ascii: "=") {
                total += sextets * 6 / 8
                sextets = 0
                continue
            }
            guard base64Table[Int(byte)] != 0xFF else { continue }
            sextets += 1
            if sextets == 4 {
                total += 3
                sextets = 0
            }
        }
        return total + sextets * 6 / 8
    }

    static func base64<C: Collection>(_ input: C, _ emit: (UInt8) -> Void) where C.Element == UInt8 {
        var bits: UInt32 = 0
        var count = 0
        for byte in input {
            if byte == UInt8(ascii: "=") {
                // Padding: drop the incomplete bits of this quantum.
                bits = 0
                count = 0
                continue
            }
            let value = base64Table[Int(byte)]
            guard value != 0xFF else { continue }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                emit(UInt8((bits >> UInt32(count)) & 0xFF))
            }
        }
    }

    /// Quoted-printable (RFC 2045 §6.7): `=XX` in either case, soft line breaks (`=` at a line
    /// end, CRLF or LF), trailing white space on lines removed; a bad escape is kept as written.
    public static func quotedPrintable<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8, C.Index == Int {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = input.startIndex
        let end = input.endIndex
        var lineOutputStart = 0
        while index < end {
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "="):
                // Soft line break: "=" then optional white space then a line end.
                var look = index + 1
                while look < end, input[look] == 0x20 || input[look] == 0x09 { look += 1 }
                if look < end, input[look] == 0x0A {
                    index = look + 1
                    continue
                }
                if look + 1 < end, input[look] == 0x0D, input[look + 1] == 0x0A {
                    index = look + 2
                    continue
                }
                if look >= end {
                    index = end
                    continue
                }
                if index + 2 < end, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                    output.append(high << 4 | low)
                    // An encoded byte is content, even white space (`=20` at a line end is how
                    // rule 3 keeps it): trailing-space stripping stops here.
                    lineOutputStart = output.count
                    index += 3
                    continue
                }
                output.append(byte)
                index += 1
            case 0x0D, 0x0A:
                // A hard line break: trailing white space before it was transport padding.
                while output.count > lineOutputStart, output.last == 0x20 || output.last == 0x09 { output.removeLast() }
                output.append(byte)
                index += 1
                if byte == 0x0A { lineOutputStart = output.count }
            default:
                output.append(byte)
                index += 1
            }
        }
        // The last line has no line break after it, but its trailing white space is padding too.
        while output.count > lineOutputStart, output.last == 0x20 || output.last == 0x09 { output.removeLast() }
        return output
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
