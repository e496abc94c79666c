/// How the connection is protected.
public enum IMAPSecurity: String, Hashable, Sendable, CaseIterable {
    /// TLS from the first byte (RFC 8314 §3.2, port 993).
    case tls
    /// Plain connection upgraded with STARTTLS before login (RFC 3501 §6.2.1, port 143). The
    /// client refuses to continue if the server does not offer it or refuses it.
    case starttls
    /// No protection at all. Only with ``IMAPClientConfiguration/allowInsecure``.
    case none

    /// The usual port for this security.
    public var defaultPort: Int { self == .tls ? 993 : 143 }
}
