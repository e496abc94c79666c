import IMAPClient
import IMAPTestSupport
import Testing

/// The OAuth 2.0 SASL mechanisms on their own: the exact bytes, and the error challenge.
struct OAuthMechanismTests {
    @Test func xoauth2MessageIsUserAndBearerSeparatedByCtrlA() throws {
        let mechanism = OAuthMechanism(.xoauth2, username: "someone@example.com", token: "ya29.token")
        #expect(mechanism.name == "XOAUTH2")
        let expected = Array("user=someone@example.com\u{1}auth=Bearer ya29.token\u{1}\u{1}".utf8)
        #expect(try mechanism.initialResponse() == expected)
    }

    @Test func oauthBearerMessageHasAGS2HeaderWithTheNameEscaped() throws {
        let mechanism = OAuthMechanism(.oauthBearer, username: "a,b=c@example.com", token: "tok", host: "imap.example.com", port: 993)
        #expect(mechanism.name == "OAUTHBEARER")
        let expected = Array("n,a=a=2Cb=3Dc@example.com,\u{1}host=imap.example.com\u{1}port=993\u{1}auth=Bearer tok\u{1}\u{1}".utf8)
        #expect(try mechanism.initialResponse() == expected)
    }

    @Test("without SASL-IR the empty first challenge gets the message", arguments: OAuthMechanism.Kind.allCases)
    func emptyChallengeFirst(kind: OAuthMechanism.Kind) throws {
        let mechanism = OAuthMechanism(kind, username: "u", token: "t")
        let expected = try OAuthMechanism(kind, username: "u", token: "t").initialResponse()
        #expect(try mechanism.respond(to: []) == expected)
        #expect(mechanism.serverError == nil)
    }

    @Test("an error challenge is kept and answered as the mechanism requires", arguments: OAuthMechanism.Kind.allCases)
    func errorChallenge(kind: OAuthMechanism.Kind) throws {
        let mechanism = OAuthMechanism(kind, username: "u", token: "t")
        _ = try mechanism.initialResponse()
        let error = #"{"status":"invalid_token","schemes":"bearer","scope":"imap"}"#
        // RFC 7628 §3.2.3: OAUTHBEARER answers with a single 0x01; XOAUTH2 with an empty line.
        #expect(try mechanism.respond(to: Array(error.utf8)) == (kind == .oauthBearer ? [0x01] : []))
        #expect(mechanism.serverError == error)
        // An empty challenge after the message is an error challenge too, never a resend.
        let other = OAuthMechanism(kind, username: "u", token: "t")
        _ = try other.initialResponse()
        #expect(try other.respond(to: []) == (kind == .oauthBearer ? [0x01] : []))
    }

    @Test func theTokenIsNeverInTheDescription() {
        let mechanism = OAuthMechanism(.xoauth2, username: "u@example.com", token: "secret-token-123")
        #expect(!"\(mechanism)".contains("secret-token-123"))
        #expect("\(mechanism)" == "XOAUTH2(u@example.com)")
    }
}

/// Bearer-token sign-in against the private Dovecot, whose oauth2 passdb asks the OAuth 2.0
/// test server about each token. Serialized: each case expires every token of its user.
@Suite("Dovecot OAuth 2.0 sign-in", .enabled(if: DovecotEnvironment.shouldRun), .serialized)
struct DovecotOAuthTests {
    func server(_ env: DovecotEnvironment) throws -> OAuthTestServer {
        try #require(OAuthTestServer(env), "MT_IMAP_OAUTH_URL is not set: restart the server with scripts/imap-test-server.sh")
    }

    @Test("Dovecot: XOAUTH2 and OAUTHBEARER sign in with a fresh token; an expired one is refused with its error",
          arguments: OAuthMechanism.Kind.allCases)
    func bearerSignIn(kind: OAuthMechanism.Kind) async throws {
        let env = try DovecotEnvironment.require()
        let oauth = try server(env)
        let user = env.users[2]
        let (token, _) = try oauth.accessToken(refreshToken: try oauth.grant(user: user))

        let session = try await IMAPSession.connect(env.configuration(.tls))
        #expect(try await session.supports(.auth(kind.rawValue)))
        let mechanism = OAuthMechanism(kind, username: user, token: token, host: env.host, port: env.tlsPort)
        try await session.authenticate(mechanism)
        #expect(mechanism.serverError == nil)
        let status = try await session.status("INBOX")
        #expect(status.uidValidity != nil, "signed in as \(user) and can read the mailbox")
        await session.logout()

        // The same token once the authorization server says it expired.
        try oauth.expire(user: user)
        let refused = try await IMAPSession.connect(env.configuration(.tls))
        let expired = OAuthMechanism(kind, username: user, token: token)
        let error = await #expect(throws: IMAPClientError.self) { try await refused.authenticate(expired) }
        #expect(error?.code == .authenticationFailed)
        #expect(!"\(String(describing: error))".contains(token), "the token stays out of the error")
        // Dovecot's error challenge (RFC 7628 §3.2.2), answered, so the exchange ended with NO.
        let challenge = try #require(expired.serverError)
        #expect(challenge.contains("\"status\""), "\(challenge)")
        #expect(refused.isOpen, "the session is still usable after the refusal")
        await refused.logout()
    }
}
