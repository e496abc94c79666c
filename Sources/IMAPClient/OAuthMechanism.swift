import Synchronization

/// Sign-in with an OAuth 2.0 bearer token instead of a password: OAUTHBEARER (RFC 7628) or
/// Google's and Microsoft's XOAUTH2 (https://developers.google.com/gmail/imap/xoauth2-protocol).
///
/// A refused token is answered with an error challenge, a JSON document such as
/// `{"status":"invalid_token","scope":"…"}` (RFC 7628 §3.2.2); the client must answer it — a
/// single 0x01 for OAUTHBEARER (§3.2.3), an empty line for XOAUTH2 — and the server then ends
/// the exchange with NO. The document is kept (`serverError`) so the caller can tell an expired
/// token from other failures. The token never appears in `description`.
public final class OAuthMechanism: SASLMechanism, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case xoauth2 = "XOAUTH2"
        case oauthBearer = "OAUTHBEARER"
    }

    public let kind: Kind
    public var name: String { kind.rawValue }
    private let username: String
    private let token: String
    private let host: String?
    private let port: Int?
    private let state = Mutex<(sentInitial: Bool, serverError: String?)>((false, nil))

    /// `host` and `port` go into OAUTHBEARER's message (RFC 7628 §3.1, optional).
    public init(_ kind: Kind, username: String, token: String, host: String? = nil, port: Int? = nil) {
        self.kind = kind
        self.username = username
        self.token = token
        self.host = host
        self.port = port
    }

    /// The error challenge the server sent, if it refused the token.
    public var serverError: String? { state.withLock { $0.serverError } }

    public func initialResponse() throws -> [UInt8]? {
        state.withLock { $0.sentInitial = true }
        return message
    }

    public func respond(to challenge: [UInt8]) throws -> [UInt8] {
        let sentInitial = state.withLock { state in
            defer { state.sentInitial = true }
            return state.sentInitial
        }
        // Without SASL-IR the server first asks with an empty challenge.
        if challenge.isEmpty && !sentInitial { return message }
        state.withLock { $0.serverError = String(decoding: challenge, as: UTF8.self) }
        return kind == .oauthBearer ? [0x01] : []
    }

    var message: [UInt8] {
        switch kind {
        case .xoauth2:
            return Array("user=\(username)\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8)
        case .oauthBearer:
            // GS2 header (RFC 5801 §4): no channel binding, the authorization identity with
            // "," and "=" escaped; then key=value pairs separated by 0x01.
            let saslName = username.map { $0 == "=" ? "=3D" : $0 == "," ? "=2C" : String($0) }.joined()
            var text = "n,a=\(saslName),\u{1}"
            if let host { text += "host=\(host)\u{1}" }
            if let port { text += "port=\(port)\u{1}" }
            text += "auth=Bearer \(token)\u{1}\u{1}"
            return Array(text.utf8)
        }
    }

    /// Never shows the token.
    public var description: String { "\(name)(\(username))" }
}
