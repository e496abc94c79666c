import Foundation
import IMAPTestSupport
import Testing
@testable import TriggerCore

/// OpenID discovery (threat model O1): a document served by a `WebhookReceiver` on loopback that
/// names a plain-http endpoint elsewhere is refused, by the daemon's token source and by
/// `oauth login` alike, with an error that names the endpoint; no secret goes anywhere.
@Suite("OAuth 2.0 discovery")
struct OAuthHTTPTests {
    static let discoveryPath = "/.well-known/openid-configuration"
    static let refreshToken = "rt-secret-never-sent"

    /// A receiver serving `document` as the discovery document, and access tokens at `/token` (for
    /// the control). `document` is given the receiver's own `http://127.0.0.1:PORT`.
    static func provider(_ document: (String) -> String) async throws -> WebhookReceiver {
        let receiver = try await WebhookReceiver.start()
        let json = [("Content-Type", "application/json")]
        let served = document(receiver.url(path: ""))
        receiver.respond { request in
            request.path == discoveryPath ? .init(headers: json, body: served)
                : .init(headers: json, body: #"{"access_token": "at-loopback", "expires_in": 3600}"#)
        }
        return receiver
    }

    static func settings(_ receiver: WebhookReceiver) -> OAuth2Settings {
        OAuth2Settings(username: "mt-user", clientID: "mt-client", clientSecret: .inline("client-secret-never-sent"),
                       endpoint: .discovery(receiver.url(path: discoveryPath)), refreshToken: .inline(refreshToken), scope: "imap")
    }

    static func source(_ receiver: WebhookReceiver, client: WebhookClient) -> OAuthTokenSource {
        OAuthTokenSource(profile: "p", settings: settings(receiver), client: client, store: nil, logger: TriggerTestSupport.quietLogger)
    }

    /// `failure` refuses `url` under `key`, says why, and names no secret.
    func expectRefusal(_ failure: OAuthTokenSource.Failure?, key: String, url: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = failure?.description ?? ""
        #expect(failure?.kind == .unavailable, sourceLocation: sourceLocation)
        #expect(text.contains("names \(key) \(url)") && text.contains("never sends secrets over plain http"), "\(text)",
                sourceLocation: sourceLocation)
        #expect(!text.contains(Self.refreshToken) && !text.contains("client-secret"), sourceLocation: sourceLocation)
    }

    @Test func aPlainHTTPTokenEndpointIsRefusedByTheTokenSourceAndTheLogin() async throws {
        let endpoint = "http://idp.example.org/token"
        let receiver = try await Self.provider { _ in
            #"{"issuer": "https://idp.example.org", "token_endpoint": "\#(endpoint)", "authorization_endpoint": "https://idp.example.org/authorize"}"#
        }
        let client = WebhookClient(maxIdlePerEndpoint: 1)

        let daemon = await #expect(throws: OAuthTokenSource.Failure.self) { try await Self.source(receiver, client: client).accessToken() }
        expectRefusal(daemon, key: "token_endpoint", url: endpoint)
        let login = OAuthLogin(profile: "p", settings: Self.settings(receiver), client: client, say: { _ in })
        let signIn = await #expect(throws: OAuthTokenSource.Failure.self) { try await login.run(.browser) }
        expectRefusal(signIn, key: "token_endpoint", url: endpoint)

        // Only the two discovery GETs arrived: neither path went on to the refused endpoint.
        #expect(receiver.requests.map { "\($0.method) \($0.path)" } == Array(repeating: "GET \(Self.discoveryPath)", count: 2))
        await client.shutdown()
        await receiver.stop()
    }

    @Test(arguments: ["device_authorization_endpoint", "authorization_endpoint"])
    func aPlainHTTPSignInEndpointIsRefusedByTheLogin(key: String) async throws {
        let endpoint = "http://idp.example.org/\(key)"
        let receiver = try await Self.provider { _ in #"{"token_endpoint": "https://idp.example.org/token", "\#(key)": "\#(endpoint)"}"# }
        let client = WebhookClient(maxIdlePerEndpoint: 1)
        let login = OAuthLogin(profile: "p", settings: Self.settings(receiver), client: client, say: { _ in })
        let failure = await #expect(throws: OAuthTokenSource.Failure.self) { try await login.run(.auto) }
        expectRefusal(failure, key: key, url: endpoint)
        #expect(receiver.requests.map(\.method) == ["GET"])
        await client.shutdown()
        await receiver.stop()
    }

    @Test func anHTTPTokenEndpointOnLoopbackIsUsed() async throws {
        // The control for the refusals above: the same kind of document, the endpoint on this machine.
        let receiver = try await Self.provider { base in #"{"token_endpoint": "\#(base)/token"}"# }
        let client = WebhookClient(maxIdlePerEndpoint: 1)
        #expect(try await Self.source(receiver, client: client).accessToken() == "at-loopback")
        #expect(receiver.requests.map { "\($0.method) \($0.path)" } == ["GET \(Self.discoveryPath)", "POST /token"])
        await client.shutdown()
        await receiver.stop()
    }
}
