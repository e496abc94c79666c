/// Every bound the response parser enforces, in one place.
///
/// A hostile or broken server must not be able to make the client buffer without bound or
/// recurse without bound. Each limit has a default chosen for real mailboxes and a test that
/// exceeds it (`LimitsTests`). Exceeding a limit is a protocol violation: the parser throws
/// ``IMAPCoreError`` and the connection is closed by the caller.
public struct Limits: Hashable, Sendable {
    /// Longest line (bytes between two CRLFs, literals excluded). Default 16 MiB: a
    /// `* SEARCH` reply for a first run over a 1,000,000-message mailbox is about 8 MiB.
    public var maxLineLength: Int
    /// Largest literal `{N}` or `~{N}` accepted. Default 64 MiB. The client asks servers for
    /// at most its body cap with a partial fetch (RFC 3501 §6.4.5 `BODY[]<0.N>`), so this is a
    /// backstop against a server that ignores the request.
    public var maxLiteralSize: Int
    /// Deepest nesting of parenthesised lists (ENVELOPE address lists, BODYSTRUCTURE). Default 64.
    public var maxNestingDepth: Int
    /// Most elements in one list or one `SEARCH` reply, and most literals in one response.
    /// Default 2,000,000.
    public var maxElements: Int

    /// Creates limits; every parameter defaults to the documented default.
    public init(
        maxLineLength: Int = 16 * 1024 * 1024,
        maxLiteralSize: Int = 64 * 1024 * 1024,
        maxNestingDepth: Int = 64,
        maxElements: Int = 2_000_000
    ) {
        self.maxLineLength = maxLineLength
        self.maxLiteralSize = maxLiteralSize
        self.maxNestingDepth = maxNestingDepth
        self.maxElements = maxElements
    }

    /// The defaults documented on each property.
    public static let `default` = Limits()
}
