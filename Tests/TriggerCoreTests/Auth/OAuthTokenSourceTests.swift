import Foundation
import IMAPTestSupport
import Logging
import Testing
@testable import TriggerCore

/// The token source against the OAuth 2.0 test server that runs next to the private Dovecot
/// (`scripts/oauth-test-server.py`): real HTTP, real grants, real rotation and revocation.
@Suite("OAuth 2.0 token source", .enabled(if: DovecotEnvironment.shouldRun), .serialized)
struct OAuthTokenSourceTests {
    struct Fixture {
        let oauth: OAuthTestServer
        let client = WebhookClient(maxIdlePerEndpoint: 2)
        let store: StateStore
        let directory: String

        init() throws {
            let env = try DovecotEnvironment.require()
            oauth = try #require(OAuthTestServer(env), "MT_IMAP_OAUTH_URL is not set")
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("mt-oauth-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            store = try StateStore(path: directory + "/state.sqlite")
            try oauth.configure(user: "mt4", accessTTL: 3600, rotate: false)
        }

        /// Settings whose refresh token is in a file of its own (so a test can "sign in again").
        func settings(refreshToken: String, discovery: Bool = false, clientSecret: String = OAuthTestServer.clientSecret) throws -> OAuth2Settings {
            let file = directory + "/refresh-\(UUID().uuidString.prefix(6))"
            try refreshToken.write(toFile: file, atomically: true, encoding: .utf8)
            return OAuth2Settings(username: "mt4", clientID: OAuthTestServer.clientID, clientSecret: .inline(clientSecret),
                                  endpoint: discovery ? .discovery(oauth.url + "/.well-known/openid-configuration") : .token(oauth.url + "/token"),
                                  refreshToken: .file(file), scope: "imap")
        }

        /// The forced-refresh interval: long enough that "just fetched" still holds after a
        /// moment of load (2 s once passed between two calls in a loaded run).
        static let interval = Duration.seconds(8)

        func source(_ settings: OAuth2Settings, store: StateStore? = nil) -> OAuthTokenSource {
            OAuthTokenSource(profile: "p", settings: settings, client: client, store: store, logger: Logger(label: "test"),
                             forcedRefreshInterval: Self.interval)
        }

        /// Refresh grants of mt4, the user of these tests (other suites use others at the same time).
        func refreshes() throws -> Int {
            ((try oauth.stats()["refreshes_by_user"] as? [String: Any])?["mt4"] as? Int) ?? 0
        }

        func close() async {
            try? oauth.configure(user: "mt4", accessTTL: 3600, rotate: false)
            await client.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test("Dovecot: a token is fetched once, kept, and replaced once when the server refuses it")
    func fetchKeepAndReplace() async throws {
        let fixture = try Fixture()
        let source = fixture.source(try fixture.settings(refreshToken: try fixture.oauth.grant(user: "mt4")), store: fixture.store)
        let before = try fixture.refreshes()
        let first = try await source.accessToken()
        #expect(try await source.accessToken() == first, "kept, not fetched on every ask")
        #expect(try fixture.refreshes() == before + 1)
        let stored = try #require(try fixture.store.oauthTokens(profile: "p"))
        #expect(stored.accessToken == first && (stored.expiresAt?.timeIntervalSinceNow ?? 0) > 3000)

        // A token just fetched and refused at once is not fetched again (another would fare
        // no better: the watcher backs off instead).
        #expect(await source.refused(first) == false)
        #expect(try await source.accessToken() == first)
        // Refused once the interval has passed, as an expired token is: one new token, then no
        // more until the interval passed again.
        try await Task.sleep(for: Fixture.interval + .milliseconds(100))
        #expect(await source.refused(first))
        let second = try await source.accessToken()
        #expect(second != first)
        #expect(await source.refused(second) == false, "a second refusal right after a refresh does not refresh again")
        #expect(try await source.accessToken() == second)
        #expect(try fixture.refreshes() == before + 2)

        // A restart: the stored token is used, nothing is fetched.
        let restarted = fixture.source(source.settings, store: fixture.store)
        #expect(try await restarted.accessToken() == second)
        #expect(try fixture.refreshes() == before + 2)
        await fixture.close()
    }

    @Test("Dovecot: a rotated refresh token is kept in the store and used after a restart")
    func rotation() async throws {
        let fixture = try Fixture()
        try fixture.oauth.configure(user: "mt4", accessTTL: 30, rotate: true)
        let settings = try fixture.settings(refreshToken: try fixture.oauth.grant(user: "mt4"))
        let source = fixture.source(settings, store: fixture.store)
        _ = try await source.accessToken()
        let rotated = try #require(try fixture.store.oauthTokens(profile: "p")?.refreshToken)
        // 30 s tokens are inside the one-minute margin: every ask refreshes, with the rotated token.
        let asked = try fixture.refreshes()
        _ = try await source.accessToken()
        #expect(try fixture.refreshes() == asked + 1, "a token about to expire is replaced")
        let restarted = fixture.source(settings, store: fixture.store)
        _ = try await restarted.accessToken()
        #expect(try fixture.store.oauthTokens(profile: "p")?.refreshToken != rotated, "rotated again, and kept again")

        // A new sign-in writes another refresh token: the stored one no longer counts.
        let fresh = try fixture.settings(refreshToken: try fixture.oauth.grant(user: "mt4"))
        _ = try await fixture.source(fresh, store: fixture.store).accessToken()
        await fixture.close()
    }

    @Test("Dovecot: a revoked refresh token or a wrong client secret needs re-authorisation; no secret in the error")
    func refusals() async throws {
        let fixture = try Fixture()
        let refreshToken = try fixture.oauth.grant(user: "mt5")
        try fixture.oauth.revoke(user: "mt5")
        try await expectFailure(of: fixture.source(try fixture.settings(refreshToken: refreshToken)), .reauthorizationNeeded,
                                naming: "invalid_grant", hiding: refreshToken)
        let secret = "not-the-client-secret-42"
        try await expectFailure(of: fixture.source(try fixture.settings(refreshToken: try fixture.oauth.grant(user: "mt5"), clientSecret: secret)),
                                .reauthorizationNeeded, naming: "invalid_client", hiding: secret)
        await fixture.close()
    }

    /// `source` gives no token but a failure of `kind` that names `reason` and not `secret`.
    func expectFailure(of source: OAuthTokenSource, _ kind: OAuthTokenSource.Failure.Kind, naming reason: String, hiding secret: String,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        do {
            _ = try await source.accessToken()
            Issue.record("a token came instead of \(reason)", sourceLocation: sourceLocation)
        } catch let failure as OAuthTokenSource.Failure {
            #expect(failure.kind == kind, sourceLocation: sourceLocation)
            #expect(failure.description.contains(reason), "\(failure)", sourceLocation: sourceLocation)
            #expect(!failure.description.contains(secret), sourceLocation: sourceLocation)
        }
    }

    @Test("Dovecot: the token endpoint is read from the discovery document; an unreachable one is retryable")
    func discoveryAndUnreachable() async throws {
        let fixture = try Fixture()
        let source = fixture.source(try fixture.settings(refreshToken: try fixture.oauth.grant(user: "mt4"), discovery: true))
        #expect(try await source.accessToken().hasPrefix("at-"))

        var settings = try fixture.settings(refreshToken: "rt-anything")
        settings.endpoint = .token("http://127.0.0.1:9/token")
        try await expectFailure(of: fixture.source(settings), .unavailable, naming: "cannot reach", hiding: "rt-anything")
        await fixture.close()
    }

    @Test func formEncodingEscapesEverythingButUnreservedCharacters() {
        #expect(OAuthHTTP.formEncoded(["b": "x y+z/é", "a": "1~-._"]) == "a=1~-._&b=x%20y%2Bz%2F%C3%A9")
    }
}
