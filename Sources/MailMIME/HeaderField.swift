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
        var (lhs, rhs) = (name, other)
        let ascii = lhs.withUTF8 { lhs in rhs.withUTF8 { rhs in Self.asciiNamesEqual(lhs, rhs) } }
        return ascii ?? (name.lowercased() == other.lowercased())
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
        fields.first { $0.hasName(name) }?.value
    }

    /// Every field with this name, in order.
    public func all(_ name: String) -> [String] {
        fields.filter { $0.hasName(name) }.map(\.value)
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
        var pendingValue: [UInt8] = []

        func flush() {
            if let name = pendingName {
                var value = pendingValue[...]
                while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
                while let last = value.last, last == 0x20 || last == 0x09 || last == 0x0D { value = value.dropLast() }
                fields.append(HeaderField(name: name, value: value.withUnsafeBufferPointer(Charset.decodeUTF8OrLatin1)))
            }
            pendingName = nil
            pendingValue.removeAll(keepingCapacity: true)
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
            pendingValue.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[(colon + 1)..<contentEnd]))
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
