public import NIOCore

/// Incremental, bounded parser for server responses (RFC 3501 §7, RFC 9051 §7).
///
/// Call ``parse(_:)`` with the receive buffer after every read. It returns one complete
/// ``Response`` and consumes exactly its bytes, or returns nil — consuming nothing — when the
/// buffer holds only part of a response. A response is framed first (lines plus the literals
/// `{N}` / `{N+}` / `~{N}` announced at their ends), remembering how far it has scanned, so a
/// 25 MiB literal arriving in 64 KiB reads is scanned once, not once per read. Only then is the
/// frame parsed, and literal contents come out as slices of the receive buffer (no copy).
///
/// Every bound lives in ``Limits``; exceeding one, or any syntax error, throws ``IMAPCoreError``.
public struct ResponseParser: Sendable {
    /// The bounds this parser enforces.
    public let limits: Limits

    /// Bytes of the current response already framed, counted from the buffer's reader index.
    private var scanned = 0
    /// Where the line being framed starts, counted from the buffer's reader index.
    private var lineStart = 0
    /// Literal bytes still to arrive before framing resumes.
    private var literalRemaining = 0
    /// Literals framed so far in the current response.
    private var literalCount = 0

    /// Creates a parser enforcing `limits`.
    public init(limits: Limits = .default) {
        self.limits = limits
    }

    /// Returns the next complete response in `buffer`, consuming its bytes, or nil if more
    /// bytes are needed (then nothing is consumed).
    public mutating func parse(_ buffer: inout ByteBuffer) throws -> Response? {
        guard let length = try frame(buffer) else { return nil }
        let frame = buffer.getSlice(at: buffer.readerIndex, length: length)!
        let response = try frame.withUnsafeReadableBytes { bytes in
            var reader = FrameReader(bytes: bytes, frame: frame, limits: limits)
            return try reader.readResponse()
        }
        buffer.moveReaderIndex(forwardBy: length)
        resetFraming()
        return response
    }

    /// Forgets any partly framed response. Call when the caller discards the buffer, as after
    /// STARTTLS (RFC 3501 §6.2.1: bytes received before the TLS handshake must be discarded).
    public mutating func resetFraming() {
        scanned = 0
        lineStart = 0
        literalRemaining = 0
        literalCount = 0
    }

    /// Advances framing over the newly arrived bytes; returns the response's length once it
    /// is complete.
    private mutating func frame(_ buffer: ByteBuffer) throws -> Int? {
        let available = buffer.readableBytes
        return try buffer.withUnsafeReadableBytes { bytes -> Int? in
            while true {
                if literalRemaining > 0 {
                    let take = min(literalRemaining, available - scanned)
                    scanned += take
                    literalRemaining -= take
                    guard literalRemaining == 0 else { return nil }
                    lineStart = scanned
                }
                guard let newline = Self.firstLineFeed(in: bytes, from: scanned) else {
                    // The line end is not counted: a CR waiting for its LF may end a full-length line.
                    var pending = available - lineStart
                    if pending > 0 && bytes[available - 1] == 0x0D { pending -= 1 }
                    if pending > limits.maxLineLength {
                        throw IMAPCoreError(.lineTooLong, "line exceeds \(limits.maxLineLength) bytes")
                    }
                    scanned = available
                    return nil
                }
                var length = newline - lineStart
                if length > 0 && bytes[newline - 1] == 0x0D { length -= 1 }
                if length > limits.maxLineLength {
                    throw IMAPCoreError(.lineTooLong, "line exceeds \(limits.maxLineLength) bytes")
                }
                scanned = newline + 1
                if let size = try literalAnnounced(in: bytes, lineStart: lineStart, lineFeed: newline) {
                    literalCount += 1
                    if literalCount > limits.maxElements {
                        throw IMAPCoreError(.tooManyElements, "more than \(limits.maxElements) literals in one response")
                    }
                    literalRemaining = size
                    lineStart = scanned
                    if size == 0 { continue }
                    continue
                }
                return scanned
            }
        }
    }

    private static func firstLineFeed(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    /// Reads a literal announcement `{N}`, `{N+}` or `~{N}` at the end of a line.
    private func literalAnnounced(in bytes: UnsafeRawBufferPointer, lineStart: Int, lineFeed: Int) throws -> Int? {
        var end = lineFeed
        if end > lineStart && bytes[end - 1] == 0x0D { end -= 1 }
        guard end > lineStart, bytes[end - 1] == UInt8(ascii: "}") else { return nil }
        var index = end - 2
        if index >= lineStart && bytes[index] == UInt8(ascii: "+") { index -= 1 }
        var digits = 0
        var value = 0
        var scale = 1
        while index >= lineStart, bytes[index] >= 0x30 && bytes[index] <= 0x39 {
            digits += 1
            guard digits <= 19 else {
                throw IMAPCoreError(.literalTooLarge, "literal size has too many digits")
            }
            let (product, overflow) = Int(bytes[index] - 0x30).multipliedReportingOverflow(by: scale)
            let (sum, overflow2) = value.addingReportingOverflow(product)
            guard !overflow, !overflow2 else {
                throw IMAPCoreError(.literalTooLarge, "literal size does not fit an integer")
            }
            value = sum
            if digits < 19 { scale *= 10 }
            index -= 1
        }
        guard digits > 0, index >= lineStart, bytes[index] == UInt8(ascii: "{") else { return nil }
        guard value <= limits.maxLiteralSize else {
            throw IMAPCoreError(.literalTooLarge, "literal of \(value) bytes exceeds \(limits.maxLiteralSize)")
        }
        return value
    }
}
