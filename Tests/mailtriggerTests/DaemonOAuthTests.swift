import Foundation
import IMAPClient
import IMAPTestSupport
import Testing

/// An OAuth 2.0 profile in the real daemon: the private Dovecot checks each bearer token with the
/// OAuth 2.0 test server, which the test drives (expiry, revocation).
@Suite("Daemon OAuth 2.0", .enabled(if: DovecotEnvironment.shouldRun), .serialized)
struct DaemonOAuthTests {
    /// Ends every IMAP session of `user` on the private Dovecot (`doveadm kick`).
    func kick(_ user: String) throws {
        let directory = try #require(ProcessInfo.processInfo.environment["MT_IMAP_DIR"], "MT_IMAP_DIR is not set")
        let result = try MailtriggerProcess.run(program: "/usr/bin/doveadm", ["-c", directory + "/dovecot.conf", "kick", user])
        #expect(result.status == 0, "\(result.error)")
    }

    @Test("Dovecot: an expired token is refreshed on reconnect with nothing lost; a revoked grant needs re-authorisation while another profile goes on")
    func expiryAndRevocation() async throws {
        let env = try DovecotEnvironment.require()
        let oauth = try #require(OAuthTestServer(env), "MT_IMAP_OAUTH_URL is not set")
        let receiver = try await WebhookReceiver.start()
        // mt6 is kicked (every session of it ends): no other suite, which may run meanwhile,
        // may use it.
        let (user, other) = ("mt6", "mt7")
        var writer = try await env.signedIn(user)
        let otherWriter = try await env.signedIn(other)
        let mailbox = try await writer.createFreshMailbox("oauth")
        let otherMailbox = try await otherWriter.createFreshMailbox("plain")
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url())"}]}]"#
        let daemon = try DaemonHarness(profiles: [])
        let refreshFile = daemon.directory + "/refresh-token"
        let refreshToken = try oauth.grant(user: user)
        try refreshToken.write(toFile: refreshFile, atomically: true, encoding: .utf8)
        chmod(refreshFile, 0o600)
        let auth = #"""
        {"method": "oauth2", "username": "\#(user)", "clientId": "\#(OAuthTestServer.clientID)",
         "clientSecret": {"env": "MT_TEST_CLIENT_SECRET"}, "tokenURL": "\#(oauth.url)/token",
         "refreshToken": {"file": "\#(refreshFile)"}, "scope": "imap"}
        """#
        try daemon.writeConfiguration(profiles: [
            DaemonHarness.profile(env, name: "oauth", user: user, mailboxes: [mailbox], flows: flows, auth: auth),
            DaemonHarness.profile(env, name: "plain", user: other, mailboxes: [otherMailbox], flows: flows),
        ])
        try daemon.start(password: env.password, environment: ["MT_TEST_CLIENT_SECRET": OAuthTestServer.clientSecret])
        try await daemon.waitForLog("watching", count: 2)
        #expect(daemon.log.contains("MT_MECHANISM") == false, "no token was refused yet")

        try await env.append(writer, to: mailbox, subject: "first")
        _ = try await receiver.waitForRequests(count: 1, timeout: .seconds(20))

        // The token expires at the server, the connection drops, and mail arrives meanwhile.
        // The daemon's token was fetched over 10 s ago, so a refusal may fetch a new one.
        try await Task.sleep(for: .seconds(10))
        try oauth.expire(user: user)
        try kick(user)
        writer = try await env.signedIn(user)
        try await env.append(writer, to: mailbox, subject: "during")
        try await daemon.waitForLog("the server refused the access token")
        try await daemon.waitForLog("access token refreshed", count: 2)
        try await daemon.waitForLog("watching", count: 3)
        try await env.append(writer, to: mailbox, subject: "after")
        let delivered = try await receiver.waitForRequests(count: 3, timeout: .seconds(30))
        #expect(Set(delivered.compactMap { $0.json["subject"] as? String }) == ["first", "during", "after"])

        // The user revokes the grant: only a new sign-in helps. The other profile goes on.
        try oauth.revoke(user: user)
        try await Task.sleep(for: .seconds(10))
        try oauth.expire(user: user)
        try kick(user)
        writer = try await env.signedIn(user)
        try await daemon.waitForLog("re-authorisation needed")
        let status = try daemon.command(["status"])
        #expect(status.output.contains("reauth-needed"), "\(status.output)")
        #expect(status.output.contains("invalid_grant"), "the reason is shown: \(status.output)")
        try await env.append(otherWriter, to: otherMailbox, subject: "other")
        let all = try await receiver.waitForRequests(count: 4, timeout: .seconds(20))
        #expect(all.contains { $0.json["profile"] as? String == "plain" })
        let log = daemon.log
        #expect(log.components(separatedBy: "re-authorisation needed:").count == 2, "logged once at error")
        for secret in [refreshToken, OAuthTestServer.clientSecret] {
            #expect(!log.contains(secret), "a secret reached the log")
            #expect(!status.output.contains(secret))
        }
        #expect(log.range(of: "at-[A-Za-z0-9_-]{20,}", options: .regularExpression) == nil, "no access token in the log")

        #expect(try await daemon.stop() == 0)
        try? await writer.delete(mailbox)
        try? await otherWriter.delete(otherMailbox)
        await writer.logout()
        await otherWriter.logout()
        await receiver.stop()
    }
}
