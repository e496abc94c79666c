/// The one error type of `IMAPCore`: the server sent bytes that are not IMAP, or exceeded a
/// ``Limits`` bound. Always fatal for the connection that received them.
public struct IMAPCoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Hashable, Sendable {
        /// The bytes do not follow the RFC 3501 / RFC 9051 response grammar.
        case syntax
        /// A line exceeded ``Limits/maxLineLength``.
        case lineTooLong
        /// A literal exceeded ``Limits/maxLiteralSize``.
        case literalTooLarge
        /// Lists nested deeper than ``Limits/maxNestingDepth``.
        case nestingTooDeep
        /// A list, a SEARCH reply or a response's literals exceeded ``Limits/maxElements``.
        case tooManyElements
        /// A command could not be encoded (for example a string with NUL or a bad mailbox name).
        case unencodable
    }

    /// What went wrong.
    public var code: Code
    /// A short explanation with the offending position; never contains message contents.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "IMAP \(code.rawValue): \(message)" }
}
