/// A message flag or keyword (RFC 3501 §2.3.2). Flags compare case-insensitively.
public struct Flag: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The flag as the server or caller spelled it, for example `\Seen` or `$Forwarded`.
    public let rawValue: String

    /// Creates a flag from its wire spelling.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let seen: Flag = "\\Seen"
    public static let answered: Flag = "\\Answered"
    public static let flagged: Flag = "\\Flagged"
    public static let deleted: Flag = "\\Deleted"
    public static let draft: Flag = "\\Draft"
    public static let recent: Flag = "\\Recent"
    /// `\*` in PERMANENTFLAGS: new keywords may be created.
    public static let wildcard: Flag = "\\*"

    public static func == (lhs: Flag, rhs: Flag) -> Bool {
        lhs.rawValue.lowercased() == rhs.rawValue.lowercased()
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue.lowercased()) }

    public var description: String { rawValue }
}
