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
        let (head, parameters) = MIMEParameters.split(value)
        let parts = head.split(separator: "/", maxSplits: 1).map { String($0).trimmingCharacters(in: " \t").lowercased() }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              parts.allSatisfy({ $0.unicodeScalars.allSatisfy(MIMEParameters.isTokenScalar) }) else { return nil }
        self.init(type: parts[0], subtype: parts[1], parameters: parameters)
    }
}

/// A `Content-Disposition` value (RFC 2183).
public struct ContentDisposition: Hashable, Sendable {
    /// `inline`, `attachment`, or another token, lower-cased.
    public var kind: String
    public var parameters: MIMEParameters

    public init?(parsing value: String) {
        let (head, parameters) = MIMEParameters.split(value)
        let kind = head.trimmingCharacters(in: " \t").lowercased()
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

    /// Splits `head; a=1; b="2"` into the head and the parsed parameters.
    static func split(_ value: String) -> (String, MIMEParameters) {
        let scalars = Array(value.unicodeScalars)
        var index = 0
        var head = String.UnicodeScalarView()
        while index < scalars.count, scalars[index] != ";" {
            if scalars[index] == "(" { skipComment(scalars, &index); continue }
            head.append(scalars[index])
            index += 1
        }
        // name -> (section -> (value, extended))
        var sections: [String: [Int: (String, Bool)]] = [:]
        var plain: [String: String] = [:]
        while index < scalars.count {
            index += 1  // ";"
            skipSpace(scalars, &index)
            var name = String.UnicodeScalarView()
            while index < scalars.count, scalars[index] != "=", scalars[index] != ";" {
                if scalars[index] != " " && scalars[index] != "\t" { name.append(scalars[index]) }
                index += 1
            }
            guard index < scalars.count, scalars[index] == "=" else { continue }
            index += 1
            skipSpace(scalars, &index)
            var parameterValue = String.UnicodeScalarView()
            var quoted = false
            if index < scalars.count, scalars[index] == "\"" {
                quoted = true
                index += 1
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                    parameterValue.append(scalars[index])
                    index += 1
                }
                index += 1
                while index < scalars.count, scalars[index] != ";" { index += 1 }
            } else {
                while index < scalars.count, scalars[index] != ";" {
                    if scalars[index] == "(" { skipComment(scalars, &index); continue }
                    parameterValue.append(scalars[index])
                    index += 1
                }
            }
            var text = String(parameterValue)
            if !quoted { text = text.trimmingCharacters(in: " \t") }
            let key = String(name).lowercased()
            guard !key.isEmpty else { continue }
            // RFC 2231: name*, name*N, name*N*.
            if let star = key.firstIndex(of: "*") {
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
                plain[key] = quoted && text.contains("=?") ? EncodedWords.decode(text) : text
            }
        }
        var values = plain
        for (name, parts) in sections {
            values[name] = joinRFC2231(parts)
        }
        return (String(head), MIMEParameters(values: values))
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

    static func skipSpace(_ scalars: [Unicode.Scalar], _ index: inout Int) {
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
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
