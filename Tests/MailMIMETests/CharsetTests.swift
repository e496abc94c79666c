@testable import MailMIME
import Testing

/// Charset decoding through iconv, alias normalisation and the fallbacks. Every expected string
/// below comes from the published code tables of the charset (byte → code point).
@Suite("Charset")
struct CharsetTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let bytes: [UInt8]
        let expected: String
        var testDescription: String { "\(label): \(expected)" }
    }

    static let known: [Case] = [
        // UTF-8: G r ü ß e, space, € (E2 82 AC).
        Case(label: "utf-8", bytes: hex("47 72 C3 BC C3 9F 65 20 E2 82 AC"), expected: "Grüße €"),
        Case(label: "UTF-8", bytes: hex("F0 9F 98 80"), expected: "😀"),
        Case(label: "us-ascii", bytes: Array("Hello, world".utf8), expected: "Hello, world"),
        // ISO-8859-1: every byte is the code point of the same value.
        Case(label: "iso-8859-1", bytes: hex("47 72 FC DF 65"), expected: "Grüße"),
        Case(label: "ISO-8859-1", bytes: hex("A4 A9 FF"), expected: "¤©ÿ"),
        // ISO-8859-2: A3 Ł, F3 ó, BC ź.
        Case(label: "iso-8859-2", bytes: hex("A3 F3 64 BC"), expected: "Łódź"),
        // ISO-8859-15 replaced ¤ at A4 with the euro sign, and BD with œ.
        Case(label: "iso-8859-15", bytes: hex("A4 20 BD"), expected: "€ œ"),
        // Windows-1252: 80 €, 93/94 curly quotes, 96 en dash.
        Case(label: "windows-1252", bytes: hex("80 20 93 61 94 20 96"), expected: "€ \u{201C}a\u{201D} \u{2013}"),
        // Windows-1250: 80 €, C8 Č, 9A š.
        Case(label: "windows-1250", bytes: hex("80 C8 65 9A 74 69 6E 61"), expected: "€Čeština"),
        // Windows-1251: А–Я at C0–DF, а–я at E0–FF; 88 is €.
        Case(label: "windows-1251", bytes: hex("CF F0 E8 E2 E5 F2 20 88"), expected: "Привет €"),
        // KOI8-R: lower case at C0–DF, upper case at E0–FF, in the order ю а б ц д е ф г х и …
        Case(label: "koi8-r", bytes: hex("F0 D2 C9 D7 C5 D4"), expected: "Привет"),
        // KOI8-U adds the Ukrainian letters: A7 ї (a box-drawing character in KOI8-R).
        Case(label: "koi8-u", bytes: hex("EB C9 A7 D7"), expected: "Київ"),
        // Shift_JIS: 日 93FA, 本 967B, 語 8CEA; half-width katakana ｱ at B1.
        Case(label: "shift_jis", bytes: hex("93 FA 96 7B 8C EA B1"), expected: "日本語ｱ"),
        // EUC-JP: JIS X 0208 row/cell + 0x80 (日 467C → C6FC).
        Case(label: "euc-jp", bytes: hex("C6 FC CB DC B8 EC"), expected: "日本語"),
        // ISO-2022-JP: ESC $ B switches to JIS X 0208, ESC ( B back to ASCII.
        Case(label: "iso-2022-jp", bytes: hex("1B 24 42 46 7C 4B 5C 38 6C 1B 28 42 21"), expected: "日本語!"),
        // GB2312: 中 D6D0, 文 CEC4; GBK and GB18030 are supersets.
        Case(label: "gb2312", bytes: hex("D6 D0 CE C4"), expected: "中文"),
        Case(label: "gbk", bytes: hex("D6 D0 CE C4"), expected: "中文"),
        // GB18030 four-byte forms: U+10000 is 90 30 81 30, U+1F600 is 94 39 FC 36.
        Case(label: "gb18030", bytes: hex("D6 D0 90 30 81 30 94 39 FC 36"), expected: "中\u{10000}😀"),
        // Big5: 中 A4A4, 文 A4E5.
        Case(label: "big5", bytes: hex("A4 A4 A4 E5"), expected: "中文"),
        // EUC-KR: 한 C7D1, 국 B1B9, 어 BEEE.
        Case(label: "euc-kr", bytes: hex("C7 D1 B1 B9 BE EE"), expected: "한국어"),
        // ks_c_5601-1987 in mail means Windows code page 949, which adds 똠 (8C63) to EUC-KR.
        Case(label: "ks_c_5601-1987", bytes: hex("C7 D1 8C 63"), expected: "한똠"),
        // UTF-16 with a byte order mark, both orders; the mark is not part of the text.
        Case(label: "utf-16", bytes: hex("FF FE 48 00 69 00 AC 20"), expected: "Hi€"),
        Case(label: "utf-16", bytes: hex("FE FF 00 48 00 69 20 AC"), expected: "Hi€"),
        Case(label: "utf-16le", bytes: hex("48 00 3D D8 00 DE"), expected: "H😀"),
        Case(label: "utf-16be", bytes: hex("00 48 D8 3D DE 00"), expected: "H😀"),
        // UTF-32 with a BOM (little-endian), and big-endian by label.
        Case(label: "utf-32", bytes: hex("FF FE 00 00 41 00 00 00 AC 20 00 00"), expected: "A€"),
        Case(label: "utf-32be", bytes: hex("00 00 00 41 00 01 F6 00"), expected: "A😀"),
    ]

    @Test("known byte sequences decode to the charset table's characters", arguments: known)
    func knownSequences(_ item: Case) {
        #expect(Charset.decode(item.bytes, label: item.label) == item.expected)
    }

    @Test("labels are case-insensitive", arguments: ["ISO-8859-2", "Iso-8859-2", "iso-8859-2"])
    func caseInsensitive(_ label: String) {
        #expect(Charset.decode(hex("A3 F3 64 BC"), label: label) == "Łódź")
    }

    /// Alias spellings seen in mail, each with bytes only that charset decodes this way.
    static let aliases: [(String, [UInt8], String)] = [
        ("latin1", hex("E9 74 E9"), "été"),
        ("latin-1", hex("E9"), "é"),
        ("cp1252", hex("80"), "€"),
        ("utf8", hex("C3 A9"), "é"),
        ("\"UTF-8\"", hex("C3 A9"), "é"),
        ("'utf-8'", hex("E2 82 AC"), "€"),
        (" utf-8 ", hex("E2 82 AC"), "€"),
        ("x-sjis", hex("93 FA 96 7B"), "日本"),
        ("sjis", hex("93 FA 96 7B"), "日本"),
        ("ks_c_5601-1987", hex("C7 D1 B1 B9"), "한국"),
        ("iso8859-15", hex("A4"), "€"),
        ("ISO_8859-15:1998", hex("A4"), "€"),
        ("cp1251", hex("CF"), "П"),
        ("koi8r", hex("F0"), "П"),
        ("x-gbk", hex("D6 D0"), "中"),
        ("big-5", hex("A4 A4"), "中"),
    ]

    @Test("alias spellings decode like the canonical name", arguments: aliases)
    func aliasSpellings(_ label: String, _ bytes: [UInt8], _ expected: String) {
        #expect(Charset.decode(bytes, label: label) == expected)
    }

    @Test("canonical names of the common aliases")
    func canonicalNames() {
        #expect(Charset.canonicalName("latin1") == "ISO-8859-1")
        #expect(Charset.canonicalName("cp1252") == "WINDOWS-1252")
        #expect(Charset.canonicalName("utf8") == "UTF-8")
        #expect(Charset.canonicalName("\"UTF-8\"") == "UTF-8")
        #expect(Charset.canonicalName("x-sjis") == Charset.canonicalName("shift_jis"))
        #expect(Charset.canonicalName("ks_c_5601-1987") == Charset.canonicalName("euc-kr"))
        #expect(Charset.canonicalName("ISO_8859-2:1987") == "ISO-8859-2")
        #expect(Charset.canonicalName("iso8859-2") == "ISO-8859-2")
    }

    /// An invalid sequence becomes one U+FFFD and decoding carries on with the next byte.
    static let invalid: [(String, [UInt8], String)] = [
        // FF is never valid in UTF-8.
        ("utf-8", hex("61 FF 62"), "a\u{FFFD}b"),
        // A continuation byte with no lead byte.
        ("utf-8", hex("E2 82 AC 80 41"), "€\u{FFFD}A"),
        // 81 is undefined in Windows-1252.
        ("windows-1252", hex("41 81 42 80"), "A\u{FFFD}B€"),
        // FF is not a valid EUC-JP byte; 日 before and 本 after survive.
        ("euc-jp", hex("C6 FC FF CB DC"), "日\u{FFFD}本"),
        // FF is neither a lead nor a trail byte in Big5.
        ("big5", hex("A4 A4 FF A4 E5"), "中\u{FFFD}文"),
    ]

    @Test("invalid sequences become U+FFFD and the rest is kept", arguments: invalid)
    func invalidSequences(_ label: String, _ bytes: [UInt8], _ expected: String) {
        #expect(Charset.decode(bytes, label: label) == expected)
    }

    /// An incomplete multibyte sequence at the very end becomes U+FFFD; nothing before it is lost.
    static let incomplete: [(String, [UInt8], String)] = [
        ("shift_jis", hex("93 FA 93"), "日\u{FFFD}"),
        ("euc-jp", hex("C6 FC CB"), "日\u{FFFD}"),
        ("gb18030", hex("D6 D0 90 30"), "中\u{FFFD}"),
        ("utf-8", hex("E6 97 A5 E6 97"), "日\u{FFFD}"),
        ("utf-16le", hex("48 00 69"), "H\u{FFFD}"),
    ]

    @Test("an incomplete multibyte sequence at the end", arguments: incomplete)
    func incompleteAtEnd(_ label: String, _ bytes: [UInt8], _ expected: String) {
        #expect(Charset.decode(bytes, label: label) == expected)
    }

    @Test("unknown charset: UTF-8 when the bytes are valid UTF-8, else ISO-8859-1")
    func unknownCharset() {
        #expect(Charset.decode(hex("63 61 66 C3 A9"), label: "x-no-such-charset") == "café")
        #expect(Charset.decode(hex("63 61 66 E9"), label: "x-no-such-charset") == "café")
        #expect(Charset.decode(hex("E2 82 AC"), label: "unknown-8bit") == "€")
        #expect(Charset.decode(hex("A4"), label: "unknown-8bit") == "¤")
        #expect(Charset.decode(Array("plain".utf8), label: "x-no-such-charset") == "plain")
    }

    @Test("no label: UTF-8 when valid, else ISO-8859-1")
    func noLabel() {
        #expect(Charset.decode(hex("C3 BC"), label: nil) == "ü")
        #expect(Charset.decode(hex("FC"), label: nil) == "ü")
        #expect(Charset.decode([UInt8](), label: nil) == "")
        #expect(Charset.decodeUTF8OrLatin1(hex("47 72 FC DF 65")) == "Grüße")
    }

    @Test("empty input decodes to the empty string in every charset",
          arguments: ["utf-8", "iso-8859-1", "shift_jis", "iso-2022-jp", "utf-16", "utf-32", "x-unknown-cs"])
    func emptyInput(_ label: String) {
        #expect(Charset.decode([UInt8](), label: label) == "")
    }

    @Test("ASCII bytes in an ASCII-compatible charset are taken as they are")
    func asciiFastPath() {
        let text = "Plain ASCII: 0-9, a-z, ~!"
        for label in ["windows-1252", "koi8-r", "shift_jis", "euc-kr", "gb18030", "big5"] {
            #expect(Charset.decode(Array(text.utf8), label: label) == text, "\(label)")
        }
    }

    @Test("a large ISO-2022-JP text decodes across iconv's output chunks")
    func largeStatefulInput() {
        // ESC $ B 日本語 ESC ( B, then a newline, 4,000 times: more than one 16 KiB output chunk.
        let line = hex("1B 24 42 46 7C 4B 5C 38 6C 1B 28 42 0A")
        let bytes = Array([[UInt8]](repeating: line, count: 4_000).joined())
        let expected = String(repeating: "日本語\n", count: 4_000)
        #expect(Charset.decode(bytes, label: "ISO-2022-JP") == expected)
    }
}

/// The shortcut for the plain `utf-8` label.
extension CharsetTests {
    @Test("plain utf-8 labels in any case take the shortcut; nothing else does", arguments: [
        ("utf-8", true), ("UTF-8", true), ("Utf-8", true), ("utf8", false), ("utf-88", false), ("\"utf-8\"", false),
        ("utf\r8", false), ("utf-\u{18}", false), ("utf_8", false), ("ütf-8", false), ("", false),
    ])
    func plainLabel(_ label: String, _ plain: Bool) {
        #expect(Charset.isPlainUTF8Label(label) == plain)
    }

    @Test("the shortcut decodes as the general path does")
    func plainLabelDecodes() {
        let bytes: [UInt8] = [0x61, 0xC3, 0xA9, 0xFF, 0xE2, 0x82]
        for label in ["utf-8", "UTF-8", "uTf-8"] {
            #expect(Array(Charset.decode(bytes, label: label).utf8)
                == Array(Charset.decode(bytes, label: label, canonicalName: Charset.canonicalName(label)).utf8))
        }
    }
}
