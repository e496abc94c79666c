import Foundation
import IMAPTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What `mailtrigger run` tells systemd (sd_notify(3)), read from a real AF_UNIX datagram socket
/// given as `NOTIFY_SOCKET`, as systemd provides one.
@Suite(.enabled(if: DovecotEnvironment.shouldRun))
struct DaemonNotifyTests {
    @Test("Dovecot: READY=1, then a status line kept current, then STOPPING=1 at SIGTERM")
    func notifySequence() async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt2")
        let mailbox = try await writer.createFreshMailbox("notify")
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
        // A second profile whose server refuses connections: it backs off and is named.
        let refused = DaemonHarness.profile(env, name: "broken", user: "mt2", mailboxes: ["INBOX"], flows: flows, port: 9)
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt2", mailboxes: [mailbox], flows: flows),
                                                  refused])
        let notify = try DatagramSocket()
        try daemon.start(password: env.password, environment: ["NOTIFY_SOCKET": notify.path])
        var messages = try await notify.messages { $0.contains { $0.contains("1 watching, 1 backing off (broken)") } }
        #expect(messages.first == "READY=1", "\(messages)")
        #expect(messages.dropFirst().allSatisfy { $0.hasPrefix("STATUS=2 profiles, 2 mailboxes") }, "\(messages)")
        #expect(messages.contains("STATUS=2 profiles, 2 mailboxes: 1 watching, 1 backing off (broken); 0 queued"), "\(messages)")

        let process = try #require(daemon.process)
        kill(process.processIdentifier, SIGTERM)
        messages = try await notify.messages(until: { $0.contains("STOPPING=1") }, after: messages)
        #expect(messages.last == "STOPPING=1", "\(messages)")
        #expect(try await daemon.stop() == 0)
        try? await writer.delete(mailbox)
        await writer.logout()
    }
}
