/// Every bound the MIME parser enforces, in one place. Past a bound the parser does not fail:
/// it stops descending or decoding, marks the result truncated, and the payload stays valid.
public struct MIMELimits: Hashable, Sendable {
    /// Deepest nesting of multiparts and message/rfc822 parts. Default 32.
    public var maxDepth: Int
    /// Most MIME parts in one message, all levels together. Default 2,000.
    public var maxParts: Int
    /// Largest header section of one part, in bytes. Default 1 MiB.
    public var maxHeaderBytes: Int
    /// Most bytes decoded from transfer encodings for text and HTML bodies and attachment
    /// contents together. Default 64 MiB. (Attachment sizes are counted without decoding.)
    public var maxDecodedBytes: Int

    public init(maxDepth: Int = 32, maxParts: Int = 2_000, maxHeaderBytes: Int = 1024 * 1024,
                maxDecodedBytes: Int = 64 * 1024 * 1024) {
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxHeaderBytes = maxHeaderBytes
        self.maxDecodedBytes = maxDecodedBytes
    }

    public static let `default` = MIMELimits()
}
