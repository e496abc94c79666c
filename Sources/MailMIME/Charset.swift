import Glibc

/// Decodes text in a named charset to a Swift string (UTF-8), with glibc's iconv for everything
/// beyond UTF-8, US-ASCII and ISO-8859-1. Invalid or incomplete byte sequences become U+FFFD; an
/// unknown charset falls back to UTF-8 when the bytes are valid UTF-8, else ISO-8859-1. Never
/// fails, never drops input.
public enum Charset {
    /// The canonical iconv name for a label seen in mail (RFC 2978 labels and common aliases).
    public static func canonicalName(_ label: String) -> String {
        var name = label.lowercased()
        name.removeAll { $0 == "\"" || $0 == "'" || $0 == " " }
        switch name {
        case "", "us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us", "utf8", "utf-8", "unicode-1-1-utf-8", "x-unknown",
             "unknown-8bit", "unknown", "default":
            return "UTF-8"
        case "latin1", "latin-1", "l1", "iso8859-1", "iso_8859-1", "iso-8859-1", "iso88591", "cp819", "ibm819":
            return "ISO-8859-1"
        case "cp1252", "windows1252", "win-1252", "x-cp1252": return "WINDOWS-1252"
        case "cp1251", "windows1251", "win-1251", "x-cp1251": return "WINDOWS-1251"
        case "cp1250", "windows1250", "x-cp1250": return "WINDOWS-1250"
        // Mail labelled with the narrow legacy sets routinely uses the wider superset.
        case "gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "x-euc-cn", "csgb2312": return "GB18030"
        case "ks_c_5601-1987", "ks_c_5601", "ksc5601", "euc-kr", "cp949", "x-windows-949": return "CP949"
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "cp932", "windows-31j": return "CP932"
        case "big5", "x-big5", "big-5", "cn-big5": return "BIG5-HKSCS"
        case "utf-16", "utf16": return "UTF-16"
        case "utf-32", "utf32": return "UTF-32"
        case "koi8r": return "KOI8-R"
        case "koi8u": return "KOI8-U"
        default:
            if name.hasPrefix("iso8859-") { return "ISO-8859-" + name.dropFirst(8) }
            if name.hasPrefix("iso_8859-") { return "ISO-8859-" + name.dropFirst(9).prefix { $0 != ":" } }
            if name.hasPrefix("iso-8859-") { return "ISO-8859-" + name.dropFirst(9).prefix { $0 != ":" } }
            if name.hasPrefix("windows-") || name.hasPrefix("cp") || name.hasPrefix("x-mac") { return name.uppercased() }
            return name.uppercased()
        }
    }

    /// Decodes `bytes` labelled `label`.
    public static func decode<C: Collection>(_ bytes: C, label: String?) -> String where C.Element == UInt8 {
        // The label of nearly every encoded word, spelled plainly: what the general path below
        // does for it, without building the canonical and the spelled names.
        if let label, isPlainUTF8Label(label) { return String(decoding: Array(bytes), as: UTF8.self) }
        return decode(bytes, label: label, canonicalName: canonicalName(label ?? ""))
    }

    /// Whether `label` is `utf-8` in any case, without quotes or spaces: a declared UTF-8.
    static func isPlainUTF8Label(_ label: String) -> Bool {
        let utf8 = label.utf8
        guard utf8.count == 5 else { return false }
        // Letters in either case; "-" and "8" as they are.
        for (byte, expected) in zip(utf8, "utf-8".utf8) where byte != expected {
            guard expected >= 0x61, byte | 0x20 == expected else { return false }
        }
        return true
    }

    /// Whether decoding in this charset (a ``canonicalName(_:)``) maps every ASCII byte to the
    /// same character and no other byte sequence to an ASCII character, invalid bytes included:
    /// then decoding and byte-level edits of ASCII (line ends) can be done in either order.
    static func isASCIITransparent(canonicalName name: String) -> Bool {
        name == "UTF-8" || name == "ISO-8859-1"
    }

    /// ``decode(_:label:)`` with the label's canonical name already known.
    static func decode<C: Collection>(_ bytes: C, label: String?, canonicalName name: String) -> String
        where C.Element == UInt8 {
        switch name {
        case "UTF-8":
            // Declared UTF-8: invalid sequences become U+FFFD, as in every other charset. The
            // Latin-1 fallback is for unlabelled, US-ASCII and unknown-8bit text only.
            let spelled = label?.lowercased().filter { $0 != "\"" && $0 != "'" && $0 != " " }
            if let spelled, ["utf-8", "utf8", "unicode-1-1-utf-8"].contains(spelled) {
                return String(decoding: Array(bytes), as: UTF8.self)
            }
            return decodeUTF8OrLatin1(bytes)
        case "ISO-8859-1": return latin1(bytes)
        default:
            if bytes.allSatisfy({ $0 < 0x80 }) && !name.hasPrefix("UTF-16") && !name.hasPrefix("UTF-32")
                && !name.hasPrefix("ISO-2022") && name != "UTF-7" {
                return String(decoding: bytes, as: UTF8.self)
            }
            return iconvDecode(Array(bytes), from: name) ?? decodeUTF8OrLatin1(bytes)
        }
    }

    /// UTF-8 when the bytes are valid UTF-8, else ISO-8859-1: the documented fallback for raw
    /// 8-bit header bytes and unlabelled text (RFC 6532 makes UTF-8 the first guess).
    public static func decodeUTF8OrLatin1<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if let text = String(validatingUTF8Bytes: bytes) { return text }
        return latin1(bytes)
    }

    /// Each byte is the code point of the same value: one UTF-8 byte below 0x80, else two.
    static func latin1<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            var count = 0
            for byte in bytes {
                if byte < 0x80 {
                    output[count] = byte
                    count += 1
                } else {
                    output[count] = 0xC0 | byte >> 6
                    output[count + 1] = 0x80 | byte & 0x3F
                    count += 2
                }
            }
            return count
        }
    }

    /// nil when iconv does not know the charset.
    static func iconvDecode(_ input: [UInt8], from charset: String) -> String? {
        let descriptor = iconv_open("UTF-8", charset)
        guard descriptor != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(descriptor) }
        IconvModules.keepLoaded(charset)
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 2)
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        input.withUnsafeBufferPointer { source in
            var inPointer = UnsafeMutablePointer<CChar>(mutating: UnsafeRawPointer(source.baseAddress)?
                .assumingMemoryBound(to: CChar.self))
            var inLeft = source.count
            var flushing = false
            while true {
                // One iconv call; with no input left, a final call flushes any shift state.
                let (result, produced, failure) = chunk.withUnsafeMutableBufferPointer { out -> (Int, Int, Int32) in
                    var outPointer = UnsafeMutableRawPointer(out.baseAddress)?.assumingMemoryBound(to: CChar.self)
                    var outLeft = out.count
                    let result = flushing ? iconv(descriptor, nil, nil, &outPointer, &outLeft)
                                          : iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (result, out.count - outLeft, errno)
                }
                output.append(contentsOf: chunk[0..<produced])
                if result != -1 {
                    if flushing { return }
                    if inLeft == 0 { flushing = true }
                    continue
                }
                if failure == E2BIG { continue }
                // EILSEQ (invalid) or EINVAL (incomplete at the end): a replacement character,
                // then skip the byte (or the rest) and carry on.
                output.append(contentsOf: replacement)
                if failure == EILSEQ, inLeft > 1 {
                    inPointer = inPointer.map { $0 + 1 }
                    inLeft -= 1
                } else {
                    inLeft = 0
                    flushing = true
                }
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Keeps glibc's converter modules loaded. glibc loads the module of a charset (a shared object
/// under gconv/) in `iconv_open` and unloads it soon after the last descriptor using it is
/// closed, so converting message after message in one charset would map and unmap the module
/// every time (dynamic loading was the biggest single cost of parsing ordinary mail). One idle
/// descriptor per charset, never used for converting, keeps its module in place; conversions
/// still each open their own descriptor. At most `limit` charsets are kept.
enum IconvModules {
    static let limit = 64

    final class State: @unchecked Sendable {
        /// Guards `charsets` (a pthread mutex: MailMIME imports only Glibc).
        let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
            let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
            return mutex
        }()
        var charsets: [String: iconv_t] = [:]
    }

    static let state = State()

    static func keepLoaded(_ charset: String) {
        pthread_mutex_lock(state.mutex)
        defer { pthread_mutex_unlock(state.mutex) }
        guard state.charsets[charset] == nil, state.charsets.count < limit else { return }
        let descriptor = iconv_open("UTF-8", charset)
        guard descriptor != iconv_t(bitPattern: -1) else { return }
        state.charsets[charset] = descriptor
    }
}

extension String {
    /// nil unless `bytes` is valid UTF-8.
    init?<C: Collection>(validatingUTF8Bytes bytes: C) where C.Element == UInt8 {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        self = text
    }
}
