/// A small streaming JSON writer: strings escaped per RFC 8259 §7 (quote, backslash and
/// control characters; everything else as UTF-8). It writes UTF-8 bytes and copies each run of
/// characters that need no escape in one go.
struct JSONWriter {
    let pretty: Bool
    /// The output.
    let bytes: ByteBuffer
    var depth = 0
    var needsComma = false

    init(pretty: Bool, capacity: Int = 0) {
        self.pretty = pretty
        bytes = ByteBuffer(capacity: capacity)
    }

    func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func newline() {
        guard pretty else { return }
        bytes.append(0x0A)
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    // Inlined, so that the closures are too: a closure context that captures the payload
    // copied the whole payload for every call.
    @inline(__always)
    mutating func object(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        depth += 1
        needsComma = false
        body(&self)
        depth -= 1
        if needsComma { newline() }
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    @inline(__always)
    mutating func array<S: Sequence>(_ items: S, _ element: (inout JSONWriter, S.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        depth += 1
        needsComma = false
        var any = false
        for item in items {
            if needsComma { bytes.append(UInt8(ascii: ",")) }
            newline()
            element(&self, item)
            needsComma = true
            any = true
        }
        depth -= 1
        if any { newline() }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    @inline(__always)
    mutating func field(_ key: String, _ value: (inout JSONWriter) -> Void) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        newline()
        string(key)
        if pretty { append(": ") } else { bytes.append(UInt8(ascii: ":")) }
        needsComma = false
        value(&self)
        needsComma = true
    }

    /// Escapes `"`, `\\`, `\n`, `\r`, `\t` by name, the other C0 controls and DEL as `\u00xx`
    /// (lower-case hex), U+2028 and U+2029 as `\u2028`, `\u2029`; everything else is copied as
    /// UTF-8.
    mutating func string(_ value: String?) {
        guard var value else { append("null"); return }
        value.withUTF8 { escaped($0) }
    }

    /// How ``escaped(_:)`` treats each byte value: one table look-up per byte instead of a chain
    /// of comparisons, so that the scan over the (long, mostly plain) bodies stays tight.
    enum ByteClass {
        /// Copied as it is.
        static let plain: UInt8 = 0
        /// Always escaped: `"`, `\\`, C0 controls, DEL.
        static let escape: UInt8 = 1
        /// 0xE2: the lead byte of U+2028 and U+2029, which are escaped, and of other characters,
        /// which are not.
        static let lineSeparatorLead: UInt8 = 2

        static let table: [UInt8] = (0...255).map { byte in
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F { return escape }
            return byte == 0xE2 ? lineSeparatorLead : plain
        }
    }

    /// Writes `utf8` as a JSON string, quotes included (see ``string(_:)``).
    mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.reserve(utf8.count + 2)
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        while let found = Self.nextSpecialByte(utf8, from: index) {
            index = found
            let byte = utf8[index]
            if byte == 0xE2 {
                // U+2028, U+2029: valid JSON, but not valid JavaScript.
                guard index + 2 < utf8.count, utf8[index + 1] == 0x80, utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9 else {
                    index += 1
                    continue
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            switch byte {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0xE2: append(utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029")
            default:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            }
            index += byte == 0xE2 ? 3 : 1
            runStart = index
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        bytes.append(UInt8(ascii: "\""))
    }

    /// The first byte from `start` on that ``escaped(_:)`` must look at (one not in
    /// ``ByteClass/plain``), nil if none. Eight bytes at a time while none of them is special:
    /// nearly all of a body, also in other scripts (of the bytes above 0x7F only 0xE2, which
    /// starts U+2028 and U+2029, needs a look).
    static func nextSpecialByte(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = utf8.baseAddress else { return nil }
        return ByteClass.table.withUnsafeBufferPointer { table in
            var index = start
            let count = utf8.count
            while index + 8 <= count {
                let word = ByteWords.load(base + index)
                let attention = ByteWords.bytes(word, below: 0x20) | ByteWords.bytes(word, equalTo: 0x22)
                    | ByteWords.bytes(word, equalTo: 0x5C) | ByteWords.bytes(word, equalTo: 0x7F)
                    | ByteWords.bytes(word, equalTo: 0xE2)
                if attention != 0 {
                    for offset in index..<(index + 8) where table[Int(utf8[offset])] != ByteClass.plain { return offset }
                }
                index += 8
            }
            while index < count {
                if table[Int(utf8[index])] != ByteClass.plain { return index }
                index += 1
            }
            return nil
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func number(_ value: Int?) {
        guard let value else { append("null"); return }
        bytes.append(contentsOf: String(value))
    }

    mutating func bool(_ value: Bool) {
        if value { append("true") } else { append("false") }
    }
}
