import NIOCore

/// Recursive-descent reading of one complete, framed response. Primitive tokens live here;
/// the response grammar is in `FrameReader+Responses.swift` and `FrameReader+Fetch.swift`.
struct FrameReader {
    let bytes: UnsafeRawBufferPointer
    /// The same bytes as a buffer, so literal contents can be handed out as slices.
    let frame: ByteBuffer
    let limits: Limits
    var position = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, frame: ByteBuffer, limits: Limits) {
        self.bytes = bytes
        self.frame = frame
        self.limits = limits
    }

    // MARK: Errors

    func syntax(_ expected: String) -> IMAPCoreError {
        let found = position < bytes.count ? "byte 0x\(String(bytes[position], radix: 16))" : "end of response"
        return IMAPCoreError(.syntax, "expected \(expected) at offset \(position), found \(found)")
    }

    // MARK: Bytes

    var atEnd: Bool { position >= bytes.count }

    func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        position += 1
        return true
    }

    mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws {
        guard skip(byte) else { throw syntax(what()) }
    }

    mutating func expectSpace() throws {
        try expect(0x20, "space")
        // Some servers send two spaces; accept any run.
        while peek() == 0x20 { position += 1 }
    }

    /// Whether the line ends here (CRLF or a bare LF).
    var atLineEnd: Bool { peek() == 0x0D || peek() == 0x0A || atEnd }

    mutating func expectLineEnd() throws {
        while peek() == 0x20 { position += 1 }  // tolerate trailing spaces
        _ = skip(0x0D)
        guard skip(0x0A) else { throw syntax("end of line") }
    }

    /// Case-insensitive match of an ASCII keyword, consumed on success.
    mutating func skipKeyword(_ keyword: String) -> Bool {
        var offset = 0
        for char in keyword.utf8 {
            guard let byte = peek(offset), byte | 0x20 == char | 0x20 || byte == char else { return false }
            offset += 1
        }
        position += offset
        return true
    }

    // MARK: Atoms and numbers

    /// ATOM-CHAR (RFC 3501 §9): any CHAR except atom-specials.
    static func isAtomChar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0...0x20, 0x7F, UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"),
             UInt8(ascii: "%"), UInt8(ascii: "*"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            return false
        default:
            return true
        }
    }

    /// Reads bytes while `accept` holds; at least one.
    mutating func readWhile(_ what: String, _ accept: (UInt8) -> Bool) throws -> String {
        let start = position
        while let byte = peek(), accept(byte) { position += 1 }
        guard position > start else { throw syntax(what) }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    mutating func atom() throws -> String {
        try readWhile("atom", Self.isAtomChar)
    }

    /// An atom that may contain `]` (ASTRING-CHAR) or, with `allowWildcard`, be `\*`.
    mutating func flagAtom() throws -> String {
        let start = position
        _ = skip(UInt8(ascii: "\\"))
        if skip(UInt8(ascii: "*")) { return "\\*" }
        while let byte = peek(), Self.isAtomChar(byte) { position += 1 }
        guard position > start else { throw syntax("flag") }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    mutating func number() throws -> UInt64 {
        let start = position
        var value: UInt64 = 0
        while let byte = peek(), byte >= 0x30 && byte <= 0x39 {
            let (product, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = product.addingReportingOverflow(UInt64(byte - 0x30))
            guard !o1, !o2 else { throw IMAPCoreError(.syntax, "number too large at offset \(start)") }
            value = sum
            position += 1
        }
        guard position > start else { throw syntax("number") }
        return value
    }

    mutating func number32() throws -> UInt32 {
        let start = position
        let value = try number()
        guard let narrow = UInt32(exactly: value) else {
            throw IMAPCoreError(.syntax, "number exceeds 32 bits at offset \(start)")
        }
        return narrow
    }

    // MARK: Strings

    /// A quoted string or a literal (RFC 3501 §4.3), as bytes.
    mutating func string() throws -> ByteBuffer {
        if peek() == UInt8(ascii: "\"") { return try quoted() }
        if peek() == UInt8(ascii: "{") || (peek() == UInt8(ascii: "~") && peek(1) == UInt8(ascii: "{")) {
            return try literal()
        }
        throw syntax("string")
    }

    mutating func quoted() throws -> ByteBuffer {
        try expect(UInt8(ascii: "\""), "quote")
        var out = ByteBuffer()
        var runStart = position
        while true {
            guard let byte = peek() else { throw syntax("closing quote") }
            switch byte {
            case UInt8(ascii: "\""):
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
                position += 1
                return out
            case UInt8(ascii: "\\"):
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
                position += 1
                guard let escaped = peek() else { throw syntax("escaped character") }
                out.writeInteger(escaped)
                position += 1
                runStart = position
            case 0x0D, 0x0A:
                throw syntax("closing quote before end of line")
            default:
                position += 1
            }
        }
    }

    mutating func literal() throws -> ByteBuffer {
        _ = skip(UInt8(ascii: "~"))
        try expect(UInt8(ascii: "{"), "literal")
        let size = try number()
        _ = skip(UInt8(ascii: "+"))
        try expect(UInt8(ascii: "}"), "closing brace")
        _ = skip(0x0D)
        try expect(0x0A, "line feed after literal size")
        guard size <= UInt64(bytes.count - position) else { throw syntax("\(size) literal bytes") }
        let slice = frame.getSlice(at: frame.readerIndex + position, length: Int(size))!
        position += Int(size)
        return slice
    }

    /// string / NIL.
    mutating func nstring() throws -> ByteBuffer? {
        if skipKeyword("NIL"), peek().map({ !Self.isAtomChar($0) }) ?? true { return nil }
        return try string()
    }

    mutating func nstringText() throws -> String? {
        try nstring().map { String(buffer: $0) }
    }

    /// astring: a string or an atom that may contain `]` (RFC 3501 §9 ASTRING-CHAR).
    mutating func astring() throws -> String {
        // `~` starts a literal8 only before `{`; otherwise it is an ASTRING-CHAR (`~peter/mail`).
        if let byte = peek(), byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "{")
            || (byte == UInt8(ascii: "~") && peek(1) == UInt8(ascii: "{")) {
            return String(buffer: try string())
        }
        return try readWhile("astring") { Self.isAtomChar($0) || $0 == UInt8(ascii: "]") }
    }

    /// The rest of the line, without the line end.
    mutating func restOfLine() -> String {
        let start = position
        while let byte = peek(), byte != 0x0D && byte != 0x0A { position += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    // MARK: Lists

    /// `"(" [element *(SP element)] ")"`, enforcing depth and element limits.
    /// `separated`: the elements must be separated by SP (extra spaces tolerated), as in a FETCH
    /// response's attributes (RFC 3501 §9, `*(SP msg-att)`). Otherwise none is required: the
    /// parts of a multipart BODYSTRUCTURE follow each other without one (`1*body`).
    mutating func list<T>(separated: Bool = false, _ element: (inout FrameReader) throws -> T) throws -> [T] {
        try expect(UInt8(ascii: "("), "opening parenthesis")
        depth += 1
        defer { depth -= 1 }
        guard depth <= limits.maxNestingDepth else {
            throw IMAPCoreError(.nestingTooDeep, "lists nested deeper than \(limits.maxNestingDepth)")
        }
        var items: [T] = []
        while peek() == 0x20 { position += 1 }
        if skip(UInt8(ascii: ")")) { return items }
        while true {
            items.append(try element(&self))
            guard items.count <= limits.maxElements else {
                throw IMAPCoreError(.tooManyElements, "list has more than \(limits.maxElements) elements")
            }
            if separated, peek() != 0x20, peek() != UInt8(ascii: ")") { throw syntax("space or closing parenthesis") }
            while peek() == 0x20 { position += 1 }
            if skip(UInt8(ascii: ")")) { return items }
            if atLineEnd { throw syntax("closing parenthesis") }
        }
    }

    /// Any value, kept as a tree (used for data the client does not interpret).
    mutating func value() throws -> IMAPValue {
        guard let byte = peek() else { throw syntax("value") }
        switch byte {
        case UInt8(ascii: "("):
            return .list(try list { try $0.value() })
        case UInt8(ascii: "\""), UInt8(ascii: "{"):
            return .string(try string())
        case UInt8(ascii: "~") where peek(1) == UInt8(ascii: "{"):
            return .string(try string())
        case 0x30...0x39:
            let start = position
            let number = try number()
            if let next = peek(), Self.isAtomChar(next) {
                position = start
                return .atom(try flagAtom())
            }
            return .number(number)
        default:
            let start = position
            if skipKeyword("NIL"), peek().map({ !Self.isAtomChar($0) }) ?? true { return .null }
            position = start  // an atom that merely starts with NIL, such as a label "NILsson"
            if byte == UInt8(ascii: "\\") { return .atom(try flagAtom()) }
            // Section specifiers such as BODY[HEADER] or BODY[]<0> inside unknown data: `[` is an
            // ATOM-CHAR, so stop the atom there and read the section with its spaces and lists.
            while let next = peek(), Self.isAtomChar(next), next != UInt8(ascii: "[") { position += 1 }
            guard position > start else { throw syntax("atom") }
            var atom = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            if peek() == UInt8(ascii: "[") {
                atom += "[" + (try bracketed()) + "]"
                let suffix = position
                while let next = peek(), Self.isAtomChar(next) { position += 1 }
                atom += String(decoding: UnsafeRawBufferPointer(rebasing: bytes[suffix..<position]), as: UTF8.self)
            }
            return .atom(atom)
        }
    }

    /// The text between `[` and its matching `]`, which may contain spaces and lists.
    mutating func bracketed() throws -> String {
        try expect(UInt8(ascii: "["), "opening bracket")
        let start = position
        var nesting = 0
        while let byte = peek() {
            if byte == UInt8(ascii: "]") && nesting == 0 { break }
            if byte == UInt8(ascii: "\"") { _ = try quoted(); continue }
            if byte == 0x0D || byte == 0x0A { throw syntax("closing bracket") }
            if byte == UInt8(ascii: "(") { nesting += 1 }
            if byte == UInt8(ascii: ")") { nesting -= 1 }
            position += 1
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        try expect(UInt8(ascii: "]"), "closing bracket")
        return text
    }
}
