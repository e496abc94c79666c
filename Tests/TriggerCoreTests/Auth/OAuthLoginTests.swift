import Foundation
import IMAPTestSupport
import Synchronization
import Testing
@testable import TriggerCore

/// The browser sign-in of `mailtrigger oauth login` against a token endpoint played by a
/// `WebhookReceiver`: the test is the browser, and another program on this machine that finds
/// the loopback redirect listener and pushes its own code to it (threat model O2).
@Suite("OAuth 2.0 browser sign-in")
struct OAuthLoginTests {
    /// What a sign-in printed for the user.
    final class Transcript: Sendable {
        private let lines = Mutex<[String]>([])

        func say(_ line: String) {
            lines.withLock { $0.append(line) }
        }

        /// The first line `matches` takes once `count` lines do, waiting for them.
        func line(count: Int = 1, matching matches: (String) -> Bool) async throws -> String {
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let found = lines.withLock { $0.filter(matches) }
                if found.count >= count { return found[0] }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw WaitedInVain(said: lines.withLock { $0 })
        }

        struct WaitedInVain: Error, CustomStringConvertible {
            let said: [String]
            var description: String { "not printed; the sign-in said: \(said)" }
        }
    }

    /// A sign-in in progress, and the address it asked the user to open.
    struct SignIn {
        let receiver: WebhookReceiver
        let client = WebhookClient(maxIdlePerEndpoint: 1)
        let transcript = Transcript()
        let task: Task<String, any Error>
        /// `redirect_uri` and `state` of the authorization request.
        let redirectURI: String
        let state: String

        init(timeout: Duration) async throws {
            receiver = try await WebhookReceiver.start(defaultResponse: .init(headers: [("Content-Type", "application/json")],
                                                                              body: #"{"refresh_token":"rt-genuine"}"#))
            let settings = OAuth2Settings(username: "mt-user", clientID: "mt-client", endpoint: .token(receiver.url(path: "/token")),
                                          refreshToken: .inline("not-yet"), scope: "imap")
            let transcript = self.transcript
            var login = OAuthLogin(profile: "p", settings: settings, client: client, say: { transcript.say($0) })
            login.authorizeURL = "https://idp.example.org/authorize"
            login.timeout = timeout
            task = Task { [login] in try await login.run(.browser) }
            let address = try await transcript.line { $0.hasPrefix("https://idp.example.org/authorize?") }
            let query = URLComponents(string: address)?.queryItems ?? []
            redirectURI = try #require(query.first { $0.name == "redirect_uri" }?.value)
            state = try #require(query.first { $0.name == "state" }?.value)
        }

        /// The browser (or whoever) follows the redirect with `query`; returns the status and page.
        func redirect(_ query: String) throws -> (status: Int, page: String) {
            let answer = try OAuthTestServer.get(redirectURI + "?" + query)
            return (answer.status, String(decoding: answer.body, as: UTF8.self))
        }

        /// Waits until the sign-in said it ignored `count` redirects.
        func ignored(count: Int) async throws {
            _ = try await transcript.line(count: count) { $0.contains("Ignored a redirect whose state does not match this sign-in") }
        }

        /// The form of every request the token endpoint got.
        var tokenRequests: [[String: String]] {
            receiver.requests.map { request in
                var form: [String: String] = [:]
                for pair in request.bodyText.split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                    form[parts[0]] = parts.count > 1 ? parts[1] : ""
                }
                return form
            }
        }

        func close() async {
            task.cancel()
            await client.shutdown()
            await receiver.stop()
        }
    }

    @Test func aRedirectWithAnotherStateIsIgnoredAndTheGenuineOneSignsIn() async throws {
        let signIn = try await SignIn(timeout: .seconds(30))
        // Another program (or an old link): a code of its own, under a state it made up or none.
        let forged = try signIn.redirect("code=evil&state=forged-\(signIn.state.prefix(4))")
        #expect(forged.status == 400 && !forged.page.contains("Signed in"), "\(forged)")
        try await signIn.ignored(count: 1)
        _ = try signIn.redirect("code=evil")
        try await signIn.ignored(count: 2)
        #expect(signIn.receiver.requestCount == 0, "nothing redeemed while waiting")

        let genuine = try signIn.redirect("code=good&state=\(signIn.state)")
        #expect(genuine.status == 200 && genuine.page.contains("Signed in"), "\(genuine)")
        #expect(try await signIn.task.value == "rt-genuine")
        let requests = signIn.tokenRequests
        #expect(requests.count == 1)
        #expect(requests.first?["code"] == "good" && requests.first?["grant_type"] == "authorization_code")
        #expect(requests.allSatisfy { $0["code"] != "evil" })
        await signIn.close()
    }

    @Test func aRedirectWithAnotherStateAloneEndsWithTheTimeout() async throws {
        let started = ContinuousClock.now
        let signIn = try await SignIn(timeout: .seconds(2))
        _ = try signIn.redirect("code=evil&state=forged")
        try await signIn.ignored(count: 1)
        let failure = await #expect(throws: OAuthLogin.Failure.self) { try await signIn.task.value }
        #expect(failure?.kind == .denied)
        #expect(failure?.description.contains("no sign-in within 2 s") == true, "\(String(describing: failure))")
        #expect(ContinuousClock.now - started >= .seconds(2), "the wrong state did not end the wait early")
        #expect(signIn.receiver.requestCount == 0)
        await signIn.close()
    }
}
