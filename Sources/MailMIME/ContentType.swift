/// A `Content-Type` value (RFC 2045 §5): `type/subtype` lower-cased, and its parameters.
public struct ContentType: Hashable, Sendable {
    public var type: String
    public var subtype: String
    public var parameters: MIMEParameters

    public init(type: String, subtype: String, parameters: MIMEParameters = MIMEParameters()) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// `type/subtype`.
    public var mimeType: String { "\(type)/\(subtype)" }

    public var isMultipart: Bool { type == "multipart" }

    /// The RFC 2045 default: `text/plain; charset=us-ascii`.
    public static let textPlain = ContentType(type: "text", subtype: "plain")
    /// The default inside `multipart/digest` (RFC 2046 §5.1.5).
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")

    /// Parses a header value; nil when there is no valid `type/subtype` (callers then use the
    /// default, as RFC 2045 §5.2 says).
    public init?(parsing value: String) {
        var value = value
        let (head, parameters) = value.withUTF8(MIMEParameters.split(bytes:))
        guard let (type, subtype) = head.allSatisfy({ $0 < 0x80 }) ? Self.typeAndSubtype(asciiHead: head)
                                                                   : Self.typeAndSubtype(head: HeaderBytes.string(head))
        else { return nil }
        self.init(type: type, subtype: subtype, parameters: parameters)
    }

    /// `type/subtype` of a head, each trimmed and lower-cased; nil unless both are tokens. The
    /// split is `split(separator:maxSplits:)`'s (empty pieces skipped), on Characters.
    static func typeAndSubtype(head: String) -> (String, String)? {
        let parts = head.split(separator: "/", maxSplits: 1).map { String($0).trimmingCharacters(in: " \t").lowercased() }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              parts.allSatisfy({ $0.unicodeScalars.allSatisfy(MIMEParameters.isTokenScalar) }) else { return nil }
        return (parts[0], parts[1])
    }

    /// ``typeAndSubtype(head:)`` for an ASCII head, on its bytes: the same split, on bytes
    /// (in ASCII only CR LF is a Character of two bytes, and neither is "/" or in a token).
    static func typeAndSubtype(asciiHead head: [UInt8]) -> (String, String)? {
        // `split(separator: "/", maxSplits: 1)` without building the pieces: leading slashes
        // give empty pieces, which are skipped; the first piece ends at the next slash, and the
        // rest (if not empty) is the second.
        let slash = UInt8(ascii: "/")
        guard let start = head.firstIndex(where: { $0 != slash }),
              let end = head[start...].firstIndex(of: slash), end + 1 < head.count,
              let type = token(head[start..<end]), let subtype = token(head[(end + 1)...]) else { return nil }
        return (type, subtype)
    }

    /// `piece` trimmed of spaces and tabs and lower-cased; nil unless a non-empty token.
    static func token(_ piece: ArraySlice<UInt8>) -> String? {
        var piece = piece
        while let first = piece.first, first == 0x20 || first == 0x09 { piece = piece.dropFirst() }
        while let last = piece.last, last == 0x20 || last == 0x09 { piece = piece.dropLast() }
        guard !piece.isEmpty, piece.allSatisfy(MIMEParameters.isTokenByte) else { return nil }
        guard piece.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return HeaderBytes.string(piece) }
        return HeaderBytes.string(piece.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 })
    }
}

/// A `Content-Disposition` value (RFC 2183).
public struct ContentDisposition: Hashable, Sendable {
    /// `inline`, `attachment`, or another token, lower-cased.
    public var kind: String
    public var parameters: MIMEParameters

    public init?(parsing value: String) {
        let (head, parameters) = MIMEParameters.split(value)
        let kind = head.trimmingCharacters(in: " \t").asciiFastLowercased()
        guard !kind.isEmpty else { return nil }
        self.kind = kind
        self.parameters = parameters
    }
}

/// MIME parameters (RFC 2045 §5.1) with RFC 2231 extensions: `name*=charset'lang'%XX` values
/// and `name*0`, `name*1*` continuations, joined and decoded. Names are lower-cased. A quoted
/// value holding RFC 2047 encoded words (common for filenames, though not standard) is decoded.
public struct MIMEParameters: Hashable, Sendable {
    public var values: [String: String]

    public init(values: [String: String] = [:]) { self.values = values }

    public subscript(name: String) -> String? { values[name.lowercased()] }

    static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value > 0x20 && scalar.value < 0x7F && !"()<>@,;:\\\"/[]?=".unicodeScalars.contains(scalar)
    }

    /// Whether `byte` may be in a token (RFC 2045 §5.1): printable ASCII but the tspecials.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && !tspecials.contains(byte)
    }

    static let tspecials = Array("()<>@,;:\\\"/[]?=".utf8)

    /// Splits `head; a=1; b="2"` into the head and the parsed parameters.
    static func split(_ value: String) -> (String, MIMEParameters) {
        var value = value
        let (head, parameters) = value.withUTF8(split(bytes:))
        return (HeaderBytes.string(head), parameters)
    }

    /// ``split(_:)`` on the value's UTF-8 bytes (see ``HeaderBytes``): the head's bytes and the
    /// parameters.
    static func split(bytes: UnsafeBufferPointer<UInt8>) -> ([UInt8], MIMEParameters) {
        var index = 0
        var head: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: ";") {
            if bytes[index] == UInt8(ascii: "(") { HeaderBytes.skipComment(bytes, &index); continue }
            head.append(bytes[index])
            index += 1
        }
        // name -> (section -> (value, extended))
        var sections: [String: [Int: (String, Bool)]] = [:]
        var plain: [String: String] = [:]
        while index < bytes.count {
            index += 1  // ";"
            skipSpace(bytes, &index)
            var name: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") {
                if bytes[index] != 0x20 && bytes[index] != 0x09 { name.append(bytes[index]) }
                index += 1
            }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            skipSpace(bytes, &index)
            let (text, quoted) = parameterValue(bytes, &index)
            guard !name.isEmpty else { continue }
            let key = HeaderBytes.string(name).asciiFastLowercased()
            // RFC 2231: name*, name*N, name*N*. (A key without a "*" byte has no "*" Character.)
            if name.contains(UInt8(ascii: "*")), let star = key.firstIndex(of: "*") {
                let base = String(key[..<star])
                let rest = key[key.index(after: star)...]
                if rest.isEmpty {
                    sections[base, default: [:]][0] = (text, true)
                } else {
                    let extended = rest.hasSuffix("*")
                    let number = Int(extended ? rest.dropLast() : rest) ?? 0
                    sections[base, default: [:]][number] = (text, extended)
                }
            } else if plain[key] == nil {
                // Decoding leaves text without an encoded word as it is.
                plain[key] = quoted ? EncodedWords.decode(text) : text
            }
        }
        var values = plain
        for (name, parts) in sections {
            values[name] = joinRFC2231(parts)
        }
        return (head, MIMEParameters(values: values))
    }

    /// One parameter value from `index` (after the `=` and white space) up to the next `;`:
    /// a quoted string (quoted pairs resolved; anything after it is ignored) or a token
    /// (comments dropped, white space trimmed). Returns the value and whether it was quoted.
    static func parameterValue(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> (String, Bool) {
        var value: [UInt8] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                value.append(bytes[index])
                index += 1
            }
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
            return (HeaderBytes.string(value), true)
        }
        while index < bytes.count, bytes[index] != UInt8(ascii: ";") {
            if bytes[index] == UInt8(ascii: "(") { HeaderBytes.skipComment(bytes, &index); continue }
            value.append(bytes[index])
            index += 1
        }
        var start = 0
        var end = value.count
        while start < end, value[start] == 0x20 || value[start] == 0x09 { start += 1 }
        while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
        return (HeaderBytes.string(value[start..<end]), false)
    }

    /// Joins RFC 2231 sections in order; percent-decodes extended ones in the charset named by
    /// the first section (`charset'language'value`).
    static func joinRFC2231(_ parts: [Int: (String, Bool)]) -> String {
        var charset: String?
        var bytes: [UInt8] = []
        let numbers = parts.keys.sorted()
        // Computed once: per section it made many sections quadratic (a 1 MB Content-Type took 5 s).
        let first = numbers.first
        for number in numbers {
            guard let (rawText, extended) = parts[number] else { continue }
            var text = rawText
            if extended, number == 0 || charset == nil && number == first {
                let pieces = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                if pieces.count == 3 {
                    charset = String(pieces[0])
                    text = String(pieces[2])
                }
            }
            if extended {
                bytes.append(contentsOf: percentDecode(text))
            } else {
                bytes.append(contentsOf: Array(text.utf8))
            }
        }
        // No charset named: UTF-8 when valid, else Latin-1 (Charset's fallback for unlabelled bytes).
        return Charset.decode(bytes, label: charset?.isEmpty == false ? charset : nil)
    }

    static func percentDecode(_ text: String) -> [UInt8] {
        let input = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count,
               let high = TransferDecoding.hexValue(input[index + 1]), let low = TransferDecoding.hexValue(input[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(input[index])
                index += 1
            }
        }
        return output
    }

    static func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    }

    /// Skips a comment `( ... )`, nested, with quoted pairs (RFC 5322 §3.2.2).
    static func skipComment(_ scalars: [Unicode.Scalar], _ index: inout Int) {
        var depth = 0
        while index < scalars.count {
            switch scalars[index] {
            case "\\": index += 1
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { index += 1; return }
            default: break
            }
            index += 1
        }
    }
}

extension String {
    /// Drops the scalars of `set` (a handful) from both ends; `self` when there are none.
    func trimmingCharacters(in set: String) -> String {
        var (text, characters) = (self, set)
        // ASCII characters to trim (all callers' sets) are single bytes: trim the bytes.
        if let trimmed = text.withUTF8({ utf8 in characters.withUTF8 { Self.trimmingASCII(utf8, $0) } }) {
            return trimmed ?? self
        }
        return trimmingScalars(in: set)
    }

    /// `bytes` without the bytes of `set` at both ends: nil (in the result) when there are
    /// none to trim; nil when `set` is not ASCII.
    private static func trimmingASCII(_ bytes: UnsafeBufferPointer<UInt8>, _ set: UnsafeBufferPointer<UInt8>) -> String?? {
        guard HeaderBytes.isASCII(set) else { return nil }
        var start = 0
        var end = bytes.count
        while start < end, set.contains(bytes[start]) { start += 1 }
        while end > start, set.contains(bytes[end - 1]) { end -= 1 }
        if start == 0, end == bytes.count { return .some(nil) }
        return .some(HeaderBytes.string(UnsafeBufferPointer(rebasing: bytes[start..<end])))
    }

    /// ``trimmingCharacters(in:)`` scalar by scalar.
    private func trimmingScalars(in set: String) -> String {
        let characters = set.unicodeScalars
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, characters.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, characters.contains(last) { scalars = scalars.dropLast() }
        if scalars.startIndex == unicodeScalars.startIndex, scalars.endIndex == unicodeScalars.endIndex { return self }
        return String(String.UnicodeScalarView(scalars))
    }
}
