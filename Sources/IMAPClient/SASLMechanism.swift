/// A SASL mechanism for AUTHENTICATE (RFC 3501 §6.2.2, RFC 4422). Implementations produce raw
/// bytes; the client does the base64 framing. XOAUTH2 and OAUTHBEARER plug in here.
public protocol SASLMechanism: Sendable {
    /// The IANA mechanism name, for example `PLAIN`.
    var name: String { get }
    /// The initial response sent with SASL-IR (RFC 4959), or nil to wait for a first challenge.
    func initialResponse() throws -> [UInt8]?
    /// The answer to a server challenge. Throw to cancel the exchange (the client sends `*`).
    func respond(to challenge: [UInt8]) throws -> [UInt8]
}

/// SASL PLAIN (RFC 4616): `authzid NUL authcid NUL password`.
public struct PlainMechanism: SASLMechanism, CustomStringConvertible {
    public let name = "PLAIN"
    private let username: String
    private let password: String
    private let authorizationIdentity: String

    public init(username: String, password: String, authorizationIdentity: String = "") {
        self.username = username
        self.password = password
        self.authorizationIdentity = authorizationIdentity
    }

    public func initialResponse() throws -> [UInt8]? {
        Array(authorizationIdentity.utf8) + [0] + Array(username.utf8) + [0] + Array(password.utf8)
    }

    public func respond(to challenge: [UInt8]) throws -> [UInt8] {
        // PLAIN has no challenges; an empty one asks for the initial response (no SASL-IR).
        guard challenge.isEmpty, let initial = try initialResponse() else {
            throw IMAPClientError(.protocolViolation, "unexpected SASL PLAIN challenge")
        }
        return initial
    }

    /// Never shows the password.
    public var description: String { "PLAIN(\(username))" }
}
