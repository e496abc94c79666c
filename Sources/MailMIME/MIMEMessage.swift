import Glibc

/// A parsed message: its bytes and its MIME tree. Parsing never fails: whatever the input, the
/// result is a tree, and past a ``MIMELimits`` bound it is marked ``truncated``.
public struct MIMEMessage: Sendable {
    /// The raw message.
    public let bytes: [UInt8]
    public var root: MIMEPart
    /// Whether a limit cut the parse short (the tree and the payload are still valid).
    public var truncated: Bool
    /// What was wrong with the message and how it was handled, in plain words.
    public var warnings: [String]
    public let limits: MIMELimits

    /// Parses `bytes` (RFC 5322 with MIME).
    public init(bytes: [UInt8], limits: MIMELimits = .default) {
        self.bytes = bytes
        self.limits = limits
        var parser = MIMETreeParser(limits: limits)
        self.root = bytes.withUnsafeBufferPointer { buffer in
            parser.parsePart(buffer, range: 0..<buffer.count, depth: 0, defaultType: .textPlain)
        }
        self.truncated = parser.truncated
        self.warnings = parser.warnings
    }

    /// The transfer-encoded body bytes of a part.
    public func rawBody(of part: MIMEPart) -> ArraySlice<UInt8> { bytes[part.body] }

    /// The body of a part with its transfer encoding undone.
    public func decodedBody(of part: MIMEPart) -> [UInt8] {
        let raw = rawBody(of: part)
        switch part.transferEncoding {
        case "base64": return TransferDecoding.base64(raw)
        case "quoted-printable": return TransferDecoding.quotedPrintable(raw)
        default: return Array(raw)
        }
    }

    /// ``decodedBody(of:)`` with its line ends normalised (see ``LineEnds``); a body without
    /// transfer encoding is normalised as it is copied out of the message.
    func normalisedBody(of part: MIMEPart) -> [UInt8] {
        switch part.transferEncoding {
        case "base64", "quoted-printable":
            var decoded = decodedBody(of: part)
            LineEnds.normalise(&decoded)
            return decoded
        default:
            return bytes.withUnsafeBufferPointer { LineEnds.normalised(UnsafeBufferPointer(rebasing: $0[part.body])) }
        }
    }

    /// The decoded size of a part's body, counted without decoding base64.
    public func decodedSize(of part: MIMEPart) -> Int {
        let raw = rawBody(of: part)
        switch part.transferEncoding {
        case "base64": return TransferDecoding.base64DecodedCount(raw)
        case "quoted-printable": return TransferDecoding.quotedPrintable(raw).count
        default: return raw.count
        }
    }

    /// A text part's content as a string: transfer encoding undone, charset decoded (see
    /// ``Charset``), line ends normalised to `\n`.
    public func text(of part: MIMEPart) -> String {
        let label = part.contentType.parameters["charset"]
        let charset = Charset.canonicalName(label ?? "")
        if Charset.isASCIITransparent(canonicalName: charset) {
            // Decoding maps CR and LF to themselves and nothing else to them, so line ends can
            // be normalised in the bytes first: one pass less, and one string built.
            return Charset.decode(normalisedBody(of: part), label: label, canonicalName: charset)
        }
        let text = Charset.decode(decodedBody(of: part), label: label, canonicalName: charset)
        guard text.utf8.contains(0x0D) else { return text }
        var bytes = Array(text.utf8)
        LineEnds.normalise(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Builds the tree; counts parts and depth against the limits.
struct MIMETreeParser {
    let limits: MIMELimits
    var parts = 0
    var truncated = false
    var warnings: [String] = []

    init(limits: MIMELimits) { self.limits = limits }

    mutating func warn(_ text: String) {
        if warnings.count < 50, !warnings.contains(text) { warnings.append(text) }
    }

    mutating func parsePart(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, depth: Int,
                            defaultType: ContentType) -> MIMEPart {
        parts += 1
        let (headers, bodyStart, headerTruncated) = HeaderSection.parse(bytes, start: range.lowerBound,
                                                                      end: range.upperBound, maxBytes: limits.maxHeaderBytes)
        if headerTruncated {
            truncated = true
            warn("a header section exceeded \(limits.maxHeaderBytes) bytes; the rest of it was skipped")
        }
        var contentType = defaultType
        if let value = headers["content-type"] {
            if let parsed = ContentType(parsing: value) {
                contentType = parsed
            } else {
                warn("invalid Content-Type \"\(value.prefix(80))\"; treated as \(defaultType.mimeType)")
            }
        }
        let encoding = (headers["content-transfer-encoding"] ?? "7bit").trimmingCharacters(in: " \t").asciiFastLowercased()
        var part = MIMEPart(headers: headers, contentType: contentType,
                            disposition: headers["content-disposition"].flatMap(ContentDisposition.init(parsing:)),
                            transferEncoding: encoding, body: bodyStart..<range.upperBound, children: [])
        if contentType.isMultipart {
            guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty else {
                warn("multipart without boundary; its body is kept as one text part")
                part.contentType = .textPlain
                return part
            }
            guard depth < limits.maxDepth else {
                truncated = true
                warn("MIME nesting deeper than \(limits.maxDepth); deeper parts are not parsed")
                return part
            }
            let childDefault: ContentType = contentType.subtype == "digest" ? .messageRFC822 : .textPlain
            let ranges = Self.splitMultipart(bytes, body: part.body, boundary: Array(boundary.utf8))
            if ranges.parts.isEmpty {
                warn("multipart with no boundary line; its body is kept as one text part")
                part.contentType = .textPlain
                return part
            }
            if !ranges.closed { warn("multipart \(contentType.subtype) is missing its final boundary") }
            for childRange in ranges.parts {
                guard parts < limits.maxParts else {
                    truncated = true
                    warn("more than \(limits.maxParts) MIME parts; the rest are not parsed")
                    break
                }
                part.children.append(parsePart(bytes, range: childRange, depth: depth + 1, defaultType: childDefault))
            }
        } else if part.isEnclosedMessage, ["7bit", "8bit", "binary"].contains(encoding) {
            if depth < limits.maxDepth, parts < limits.maxParts {
                part.children = [parsePart(bytes, range: part.body, depth: depth + 1, defaultType: .textPlain)]
            } else {
                truncated = true
                warn("an enclosed message past the nesting or part limit is kept unparsed")
            }
        }
        return part
    }

    /// The body ranges between delimiter lines `--boundary` (RFC 2046 §5.1.1): a delimiter starts
    /// a line, may be followed by `--` (the close) and white space; the line break before it
    /// belongs to it. Preamble and epilogue are dropped. A large part is
    /// scanned once (memchr per line, memcmp per candidate).
    static func splitMultipart(_ bytes: UnsafeBufferPointer<UInt8>, body: Range<Int>, boundary: [UInt8])
        -> (parts: [Range<Int>], closed: Bool) {
        guard let base = bytes.baseAddress else { return ([], false) }
        var parts: [Range<Int>] = []
        var partStart: Int?
        var searchFrom = body.lowerBound
        var closed = false

        /// Checks a candidate delimiter whose "--" starts at `dashes`; returns (isClose, next line).
        func delimiter(at dashes: Int) -> (Bool, Int)? {
            var index = dashes + 2 + boundary.count
            guard index <= body.upperBound else { return nil }
            var isClose = false
            if index + 1 < body.upperBound, bytes[index] == 0x2D, bytes[index + 1] == 0x2D {
                isClose = true
                index += 2
            }
            while index < body.upperBound, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            if index == body.upperBound { return (isClose, index) }
            if bytes[index] == 0x0A { return (isClose, index + 1) }
            if bytes[index] == 0x0D { return (isClose, index + 1 < body.upperBound && bytes[index + 1] == 0x0A ? index + 2 : index + 1) }
            return nil
        }

        func matchesBoundary(at dashes: Int) -> Bool {
            guard dashes + 2 + boundary.count <= body.upperBound, bytes[dashes] == 0x2D, bytes[dashes + 1] == 0x2D else { return false }
            return memcmp(base + dashes + 2, boundary, boundary.count) == 0
        }

        // A delimiter on the very first line has no line break before it.
        if matchesBoundary(at: body.lowerBound), let (isClose, next) = delimiter(at: body.lowerBound) {
            if isClose { return ([], true) }
            partStart = next
            searchFrom = next
        }
        while searchFrom < body.upperBound {
            // The next line to check: the one right after a delimiter line (two delimiters in a
            // row enclose an empty part), else the one after the next line break.
            let lineStart: Int
            if searchFrom == partStart, matchesBoundary(at: searchFrom), delimiter(at: searchFrom) != nil {
                lineStart = searchFrom
            } else {
                guard let found = memchr(base + searchFrom, 0x0A, body.upperBound - searchFrom) else { break }
                lineStart = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base + 1
            }
            guard matchesBoundary(at: lineStart), let (isClose, next) = delimiter(at: lineStart) else {
                searchFrom = lineStart
                continue
            }
            if let start = partStart {
                // The line break before the delimiter belongs to it.
                var end = lineStart - 1
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                parts.append(start..<max(start, end))
            }
            if isClose {
                closed = true
                partStart = nil
                break
            }
            partStart = next
            searchFrom = next
        }
        if let start = partStart, !closed {
            parts.append(start..<body.upperBound)
        }
        return (parts, closed)
    }
}
