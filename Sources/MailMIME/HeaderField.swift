/// One header field (RFC 5322 §2.2): its name as written and its unfolded value. The value is
/// the raw text: UTF-8 when the bytes are valid UTF-8 (RFC 6532), else ISO-8859-1, so no byte is
/// ever lost. Encoded words are decoded by the structured accessors, not here.
public struct HeaderField: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Whether the field is named `other`, ignoring case (field names are case-insensitive,
    /// RFC 5322 §1.2.2). The same answer as comparing `lowercased()` forms, without allocating
    /// them for the usual ASCII names: a message's headers are looked up a dozen times each.
    public func hasName(_ other: String) -> Bool {
        // Most names differ in their first byte: two ASCII first bytes that differ in more
        // than case decide at once (see ``asciiNamesEqual(_:_:)``).
        if let a = name.utf8.first, let b = other.utf8.first, a < 0x80, b < 0x80, a != b,
           !(a ^ b == 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A) {
            return false
        }
        let ascii = Self.withUTF8(name, other, Self.asciiNamesEqual)
        return ascii ?? (name.lowercased() == other.lowercased())
    }

    /// Calls `body` with the UTF-8 of both strings. Native strings lend theirs without a copy;
    /// others are made contiguous first.
    static func withUTF8<Result>(_ first: String, _ second: String,
                                 _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let lent = first.utf8.withContiguousStorageIfAvailable({ lhs in
            second.utf8.withContiguousStorageIfAvailable { rhs in body(lhs, rhs) }
        }), let result = lent {
            return result
        }
        var (lhs, rhs) = (first, second)
        return lhs.withUTF8 { lhs in rhs.withUTF8 { rhs in body(lhs, rhs) } }
    }

    /// Case-insensitive equality of two ASCII names; nil when either holds a non-ASCII byte (then
    /// only a full Unicode lowercasing decides: the Kelvin sign lowercases to `k`).
    static func asciiNamesEqual(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool? {
        let common = min(lhs.count, rhs.count)
        for index in 0..<common {
            let (a, b) = (lhs[index], rhs[index])
            if a >= 0x80 || b >= 0x80 { return nil }
            // Letters differ from their other case by bit 0x20 alone. A difference in an ASCII
            // byte with only ASCII before it decides: the lowercased forms differ there too
            // (whatever follows, and whatever the lengths).
            if a != b, !(a ^ b == 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A) { return false }
        }
        guard lhs.count == rhs.count else {
            // An ASCII prefix of the other: the rest decides only if it is not ASCII.
            let rest = lhs.count > common ? UnsafeBufferPointer(rebasing: lhs[common...]) : UnsafeBufferPointer(rebasing: rhs[common...])
            return HeaderBytes.isASCII(rest) ? false : nil
        }
        return true
    }
}

/// The header section of a message or part, in order; repeated fields are all kept.
public struct HeaderSection: Hashable, Sendable {
    public var fields: [HeaderField]

    public init(fields: [HeaderField] = []) { self.fields = fields }

    /// The first field with this name (case-insensitive).
    public subscript(name: String) -> String? {
        // Indices rather than `first(where:)`: no copy of each field on the way.
        for index in fields.indices where fields[index].hasName(name) { return fields[index].value }
        return nil
    }

    /// Every field with this name, in order.
    public func all(_ name: String) -> [String] {
        var values: [String] = []
        for index in fields.indices where fields[index].hasName(name) { values.append(fields[index].value) }
        return values
    }
}

extension HeaderSection {
    /// Parses the header section starting at `start` in `bytes`. Returns the section, where the
    /// body starts, and whether the section was cut at `maxBytes`.
    ///
    /// Unfolding (RFC 5322 §2.2.3) removes each line break that is followed by white space. A line
    /// that is neither a field nor a continuation ends the header section there, and that line
    /// belongs to the body (as Python's email parser does); a leading mbox `From ` line is skipped.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, maxBytes: Int)
        -> (section: HeaderSection, bodyStart: Int, truncated: Bool) {
        var fields: [HeaderField] = []
        var index = start
        let limit = min(end, start &+ maxBytes)
        var truncated = false
        var pendingName: String?
        // The pending value: its first line's range in `bytes` while it has one line (most
        // fields), its unfolded bytes once a continuation line is added.
        var pendingLine = 0..<0
        var pendingValue: [UInt8] = []
        var pendingIsFolded = false

        func flush() {
            if let name = pendingName {
                let value = pendingIsFolded
                    ? pendingValue.withUnsafeBufferPointer(Self.fieldValue)
                    : Self.fieldValue(UnsafeBufferPointer(rebasing: bytes[pendingLine]))
                fields.append(HeaderField(name: name, value: value))
            }
            pendingName = nil
            pendingValue.removeAll(keepingCapacity: true)
            pendingIsFolded = false
        }

        // An mbox "From " line before the headers is not a header.
        if end - index >= 5, bytes[index] == 0x46, bytes[index + 1] == 0x72, bytes[index + 2] == 0x6F,
           bytes[index + 3] == 0x6D, bytes[index + 4] == 0x20 {
            index = lineEnd(bytes, from: index, end: end).next
        }
        while index < end {
            if index >= limit {
                truncated = true
                break
            }
            let (contentEnd, next) = lineEnd(bytes, from: index, end: end)
            if contentEnd == index {
                // The empty line: the body follows.
                flush()
                return (HeaderSection(fields: fields), next, false)
            }
            let first = bytes[index]
            if first == 0x20 || first == 0x09 {
                if pendingName != nil {
                    // Folding: the line break goes, the white space stays.
                    if !pendingIsFolded {
                        pendingValue.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[pendingLine]))
                        pendingIsFolded = true
                    }
                    pendingValue.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<contentEnd]))
                }
                index = next
                continue
            }
            guard let colon = fieldNameEnd(bytes, from: index, to: contentEnd) else {
                // Not a header line: the header section ends and this line starts the body.
                flush()
                return (HeaderSection(fields: fields), index, false)
            }
            flush()
            var nameEnd = colon
            while nameEnd > index, bytes[nameEnd - 1] == 0x20 || bytes[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            pendingName = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<nameEnd]), as: UTF8.self)
            pendingLine = (colon + 1)..<contentEnd
            index = next
        }
        flush()
        if truncated {
            // Skip the rest of the oversized section so the body starts in the right place.
            while index < end {
                let (contentEnd, next) = lineEnd(bytes, from: index, end: end)
                let wasEmpty = contentEnd == index
                index = next
                if wasEmpty { break }
            }
        }
        return (HeaderSection(fields: fields), index, truncated)
    }

    /// A field's value from its unfolded bytes: spaces and tabs trimmed at the start, spaces,
    /// tabs and CRs at the end, then UTF-8 if valid, else ISO-8859-1.
    static func fieldValue(_ value: UnsafeBufferPointer<UInt8>) -> String {
        var start = 0
        var end = value.count
        while start < end, value[start] == 0x20 || value[start] == 0x09 { start += 1 }
        while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 || value[end - 1] == 0x0D { end -= 1 }
        let trimmed = UnsafeBufferPointer(rebasing: value[start..<end])
        // ASCII (most values) is valid UTF-8: no need for the general validation.
        return HeaderBytes.isASCII(trimmed) ? HeaderBytes.string(trimmed) : Charset.decodeUTF8OrLatin1(trimmed)
    }

    /// The colon after a field name: ftext (RFC 5322 §3.6.8, printable ASCII but the colon),
    /// optionally followed by white space (the obsolete syntax of §4.5).
    static func fieldNameEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end, bytes[index] > 0x20, bytes[index] < 0x7F, bytes[index] != 0x3A { index += 1 }
        guard index > start else { return nil }
        while index < end, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        return index < end && bytes[index] == 0x3A ? index : nil
    }

    /// The end of the line's content (before CR LF or LF) and the start of the next line.
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, end: Int) -> (contentEnd: Int, next: Int) {
        guard start < end, let base = bytes.baseAddress else { return (end, end) }
        guard let found = memchr(base + start, 0x0A, end - start) else { return (end, end) }
        let newline = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
        let contentEnd = newline > start && bytes[newline - 1] == 0x0D ? newline - 1 : newline
        return (contentEnd, newline + 1)
    }
}

import Glibc
