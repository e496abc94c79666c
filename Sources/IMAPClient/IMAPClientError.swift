public import IMAPCore

/// The one error type of `IMAPClient`. It names what failed and whether trying again later can
/// help; it never carries a credential (server texts are included, client secrets never are).
public struct IMAPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed.
    public enum Code: String, Hashable, Sendable {
        /// TCP connection could not be made (refused, unreachable, DNS, connect timeout).
        case connectFailed
        /// TLS handshake or certificate/host-name verification failed.
        case tlsFailure
        /// `starttls` was configured but the server does not offer STARTTLS or refused it.
        case startTLSUnavailable
        /// `none` security without the explicit permission to send credentials in clear.
        case insecureNotAllowed
        /// The server rejected the credentials (RFC 5530 AUTHENTICATIONFAILED and friends).
        case authenticationFailed
        /// The server answered NO (RFC 3501 §7.1.2).
        case commandFailed
        /// The server answered BAD (RFC 3501 §7.1.3): the client sent something the server
        /// did not understand.
        case commandRejected
        /// The server sent bytes that are not valid IMAP, or exceeded a parser limit.
        case protocolViolation
        /// No answer within the configured time.
        case timeout
        /// The connection closed, or the server said BYE.
        case connectionClosed
        /// The call is not valid now (for example a command during IDLE).
        case invalidState
        /// The server lacks a capability the call needs.
        case unsupported
    }

    /// Who is affected: decides what a watcher does next.
    public enum Scope: String, Hashable, Sendable {
        /// Only this command failed; the session is still usable.
        case command
        /// The connection is gone or unusable; reconnect.
        case connection
        /// The account's settings or credentials are wrong; reconnecting as-is will not help soon.
        case account
    }

    public var code: Code
    public var message: String
    /// The server's human-readable text, if the server said something.
    public var serverText: String?
    /// The server's bracketed response code, if any.
    public var responseCode: ResponseCode?

    public init(_ code: Code, _ message: String, serverText: String? = nil, responseCode: ResponseCode? = nil) {
        self.code = code
        self.message = message
        self.serverText = serverText
        self.responseCode = responseCode
    }

    public var scope: Scope {
        switch code {
        case .commandFailed, .commandRejected, .unsupported, .invalidState: return .command
        case .authenticationFailed, .startTLSUnavailable, .insecureNotAllowed, .tlsFailure: return .account
        case .connectFailed, .protocolViolation, .timeout, .connectionClosed: return .connection
        }
    }

    /// Whether the same call may succeed later without a configuration change.
    public var isRetryable: Bool {
        switch code {
        case .connectFailed, .timeout, .connectionClosed, .protocolViolation: return true
        case .commandFailed:
            // [UNAVAILABLE], [INUSE], [LIMIT] (RFC 5530) are transient; plain NO is not known to be.
            if case let .other(name, _) = responseCode { return ["UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG"].contains(name) }
            return false
        default: return false
        }
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let serverText, !serverText.isEmpty { text += " (server said: \(serverText))" }
        return text
    }
}
