public import IMAPClient
import IMAPCore
public import Logging

/// Opens signed-in sessions for a profile: the one way the watcher, post-actions, `dry-run` and
/// `test-connection --profile` reach a server. Secrets are resolved at every connect, so a
/// rotated password file is picked up by the next reconnect.
public struct ProfileConnector: Sendable {
    public var profile: Profile
    public var logger: Logger
    /// Where an `oauth2` profile's access tokens come from; shared by all its connections.
    public var tokens: OAuthTokenSource?

    public init(profile: Profile, logger: Logger, tokens: OAuthTokenSource? = nil) {
        self.profile = profile
        self.logger = logger
        self.tokens = tokens
    }

    /// Connects and signs in; on any failure the connection is closed before the error is thrown.
    public func open() async throws -> IMAPSession {
        let session = try await IMAPSession.connect(profile.server, logger: logger)
        do {
            switch profile.auth {
            case let .password(username, password):
                let secret: String
                do {
                    secret = try password.resolve()
                } catch {
                    throw IMAPClientError(.authenticationFailed, "cannot read the password: \(error)")
                }
                _ = try await Self.signIn(session, username: username, password: secret, method: .automatic)
            case let .oauth2(settings):
                guard let tokens else {
                    throw IMAPClientError(.authenticationFailed, "no token source for OAuth 2.0 profile \(profile.name)")
                }
                _ = try await signIn(session, settings: settings, tokens: tokens)
            }
            return session
        } catch {
            await session.close()
            throw error
        }
    }

    /// OAUTHBEARER (RFC 7628) or XOAUTH2 with the profile's access token. A refused token is
    /// replaced once (``OAuthTokenSource/refused(_:)`` decides whether a new one may be fetched
    /// now) and the sign-in tried again on the same connection. Returns the mechanism used.
    public func signIn(_ session: IMAPSession, settings: OAuth2Settings, tokens: OAuthTokenSource) async throws -> String {
        let kind: OAuthMechanism.Kind
        switch settings.mechanism {
        case .xoauth2: kind = .xoauth2
        case .oauthbearer: kind = .oauthBearer
        case .auto: kind = try await session.supports(.auth("OAUTHBEARER")) ? .oauthBearer : .xoauth2
        }
        var retried = false
        while true {
            let token = try await tokens.accessToken()
            let mechanism = OAuthMechanism(kind, username: settings.username, token: token,
                                           host: profile.server.host, port: profile.server.port)
            do {
                try await session.authenticate(mechanism)
                return "AUTHENTICATE \(kind.rawValue)"
            } catch let error as IMAPClientError where error.code == .authenticationFailed && !retried {
                retried = true
                let replaced = await tokens.refused(token)
                logger.info(replaced ? "the server refused the access token; fetching a new one"
                                     : "the server refused the access token, fetched moments ago; backing off",
                            metadata: ["MT_PROFILE": "\(profile.name)", "MT_MECHANISM": "\(kind.rawValue)",
                                       "MT_SERVER_ERROR": "\(mechanism.serverError ?? "")"])
                guard replaced else { throw error }
            }
        }
    }

    /// AUTHENTICATE PLAIN (RFC 4616) when asked or offered, else LOGIN (RFC 3501 §6.2.3).
    /// Returns the mechanism used.
    public static func signIn(_ session: IMAPSession, username: String, password: String,
                              method: ConnectionProbe.Authentication) async throws -> String {
        let offersPlain = try await session.supports(.auth("PLAIN"))
        if method == .plain || (method == .automatic && offersPlain) {
            try await session.authenticate(PlainMechanism(username: username, password: password))
            return "AUTHENTICATE PLAIN"
        }
        try await session.login(username: username, password: password)
        return "LOGIN"
    }
}
