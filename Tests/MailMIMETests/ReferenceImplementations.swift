@testable import MailMIME

/// The implementations the fast paths replaced, kept as they were (byte by byte, no shortcuts),
/// so that tests can check the fast paths against them on many inputs.
enum Reference {
    /// Quoted-printable decoding as it was: one byte at a time, the start of a run of literal
    /// white space tracked as it is written.
    static func quotedPrintable(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        let end = input.count
        var literalSpaceStart: Int?
        while index < end {
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "="):
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
                if index + 2 < end, let high = TransferDecoding.hexValue(input[index + 1]),
                   let low = TransferDecoding.hexValue(input[index + 2]) {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
                output.append(byte)
                index += 1
            case 0x0D, 0x0A:
                if let start = literalSpaceStart { output.removeSubrange(start...) }
                literalSpaceStart = nil
                output.append(byte)
                index += 1
            case 0x20, 0x09:
                if literalSpaceStart == nil { literalSpaceStart = output.count }
                output.append(byte)
                index += 1
            default:
                literalSpaceStart = nil
                output.append(byte)
                index += 1
            }
        }
        if let start = literalSpaceStart { output.removeSubrange(start...) }
        return output
    }

    /// JSON string escaping as it was: one comparison chain per byte.
    static func jsonString(_ value: String) -> [UInt8] {
        let utf8 = Array(value.utf8)
        let hexDigits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F {
                switch byte {
                case 0x22: bytes += Array("\\\"".utf8)
                case 0x5C: bytes += Array("\\\\".utf8)
                case 0x0A: bytes += Array("\\n".utf8)
                case 0x0D: bytes += Array("\\r".utf8)
                case 0x09: bytes += Array("\\t".utf8)
                default: bytes += Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
                }
                index += 1
            } else if byte == 0xE2, index + 2 < utf8.count, utf8[index + 1] == 0x80,
                      utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9 {
                bytes += Array((utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return bytes
    }

    /// Line ends normalised in a decoded string, as `text(of:)` did after charset decoding.
    static func normalisingLineEnds(_ text: String) -> String {
        var output: [UInt8] = []
        var previousCR = false
        for byte in text.utf8 {
            if byte == 0x0D {
                output.append(0x0A)
                previousCR = true
                continue
            }
            if byte == 0x0A, previousCR {
                previousCR = false
                continue
            }
            previousCR = false
            output.append(byte)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Random bytes drawn from `alphabet`, `count` of them.
    static func randomBytes(_ count: Int, from alphabet: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
    }
}
