public import IMAPClient
import IMAPCore
public import Logging

/// Opens signed-in sessions for a profile: the one way the watcher, post-actions, `dry-run` and
/// `test-connection --profile` reach a server. Secrets are resolved at every connect, so a
/// rotated password file is picked up by the next reconnect.
public struct ProfileConnector: Sendable {
    public var profile: Profile
    public var logger: Logger

    public init(profile: Profile, logger: Logger) {
        self.profile = profile
        self.logger = logger
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
            }
            return session
        } catch {
            await session.close()
            throw error
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
