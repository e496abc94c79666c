/// Mailbox-name encoding of RFC 3501 §5.1.3 ("modified UTF-7"): printable US-ASCII stands for
/// itself except `&`, written `&-`; everything else is UTF-16 in modified base64 (`,` for `/`,
/// no padding) between `&` and `-`.
public enum ModifiedUTF7 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    /// Encodes a mailbox name for the wire.
    public static func encode(_ name: String) -> String {
        var output = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes.append(UInt8(unit >> 8)); bytes.append(UInt8(unit & 0xFF)) }
            output.append("&")
            var index = 0
            while index < bytes.count {
                let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
                let b0 = chunk[0], b1 = chunk.count > 1 ? chunk[1] : 0, b2 = chunk.count > 2 ? chunk[2] : 0
                var chars = [alphabet[Int(b0 >> 2)], alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]]
                if chunk.count > 1 { chars.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
                if chunk.count > 2 { chars.append(alphabet[Int(b2 & 0x3F)]) }
                output.append(String(decoding: chars, as: UTF8.self))
                index += 3
            }
            output.append("-")
            pending.removeAll()
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                output.append(scalar == "&" ? "&-" : String(scalar))
            } else {
                pending.append(contentsOf: Array(String(scalar).utf16))
            }
        }
        flush()
        return output
    }

    /// Decodes a wire mailbox name. Returns nil when the text is not valid modified UTF-7
    /// (callers then keep the raw name, so a non-conforming server still works).
    public static func decode(_ wire: String) -> String? {
        var output = ""
        var bytes = Array(wire.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "&") else {
                guard byte >= 0x20 && byte <= 0x7E else { return nil }
                output.unicodeScalars.append(Unicode.Scalar(byte))
                continue
            }
            guard let end = bytes.firstIndex(of: UInt8(ascii: "-")) else { return nil }
            let encoded = bytes[bytes.startIndex..<end]
            bytes = bytes[(end + 1)...]
            if encoded.isEmpty { output.append("&"); continue }
            var bits: UInt32 = 0, bitCount = 0
            var raw: [UInt8] = []
            for char in encoded {
                guard let value = alphabet.firstIndex(of: char) else { return nil }
                bits = bits << 6 | UInt32(value)
                bitCount += 6
                if bitCount >= 8 {
                    bitCount -= 8
                    raw.append(UInt8((bits >> UInt32(bitCount)) & 0xFF))
                }
            }
            guard raw.count % 2 == 0, !raw.isEmpty else { return nil }
            var units: [UInt16] = []
            for index in stride(from: 0, to: raw.count, by: 2) {
                units.append(UInt16(raw[index]) << 8 | UInt16(raw[index + 1]))
            }
            var decoded = ""
            var iterator = units.makeIterator()
            var decoder = UTF16()
            loop: while true {
                switch decoder.decode(&iterator) {
                case let .scalarValue(scalar):
                    // A base64 run must not encode printable ASCII (RFC 3501 §5.1.3).
                    if scalar.value >= 0x20 && scalar.value <= 0x7E { return nil }
                    decoded.unicodeScalars.append(scalar)
                case .emptyInput: break loop
                case .error: return nil
                }
            }
            output.append(decoded)
        }
        return output
    }
}
