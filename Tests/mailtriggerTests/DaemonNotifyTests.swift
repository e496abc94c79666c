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

    @Test("Dovecot: WATCHDOG=1 while watchers are alive or in a counted backoff, none once one is wedged")
    func watchdogStopsForAWedgedWatcher() async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt2")
        let mailbox = try await writer.createFreshMailbox("watchdog")
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
        // Alive, in a counted backoff (connection refused), and — through the test builds'
        // seam — wedged: it promises progress within two seconds and never shows any.
        let daemon = try DaemonHarness(profiles: [
            DaemonHarness.profile(env, user: "mt2", mailboxes: [mailbox], flows: flows),
            DaemonHarness.profile(env, name: "broken", user: "mt2", mailboxes: ["INBOX"], flows: flows, port: 9),
            DaemonHarness.profile(env, name: "stuck", user: "mt2", mailboxes: ["INBOX"], flows: flows),
        ])
        let notify = try DatagramSocket()
        try daemon.start(password: env.password, environment: [
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000", "MT_TEST_WEDGE_PROFILE": "stuck",
        ])
        let started = ContinuousClock.now
        // Read while waiting: a datagram socket nobody reads fills after a few messages, and
        // sd_notify then blocks (systemd reads at once).
        var messages = try await notify.messages(until: { _ in daemon.log.contains("watcher wedged") }, timeout: .seconds(15))
        let wedgedAt = ContinuousClock.now
        try #require(daemon.log.contains("watcher wedged"), "\(daemon.log.suffix(3000))")
        messages = try await notify.messages(until: { _ in false }, timeout: .milliseconds(100), after: messages)
        let pingsBefore = messages.filter { $0 == "WATCHDOG=1" }.count
        // Pinged every 0.2 s for the two seconds the stuck watcher's promise held.
        #expect(pingsBefore >= 5, "\(pingsBefore) pings in \(wedgedAt - started): \(messages)")
        #expect(daemon.log.contains("MT_PROFILE=stuck"), "the wedged watcher is named")
        #expect(daemon.log.components(separatedBy: "watcher wedged").count == 2, "logged once")
        // Then none: systemd would restart the service after WatchdogSec=.
        messages = try await notify.messages(until: { _ in false }, timeout: .seconds(2), after: messages)
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count == pingsBefore, "\(messages.suffix(10))")
        #expect(daemon.log.contains("MT_PROFILE=broken") && daemon.log.contains("backing off"), "the refused profile backs off")
        #expect(try await daemon.stop() == 0)
        try? await writer.delete(mailbox)
        await writer.logout()
    }

    @Test("Dovecot: WATCHDOG=1 goes on while a profile backs off")
    func watchdogPingsThroughABackoff() async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt2")
        let mailbox = try await writer.createFreshMailbox("watchdog")
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
        let daemon = try DaemonHarness(profiles: [
            DaemonHarness.profile(env, user: "mt2", mailboxes: [mailbox], flows: flows),
            DaemonHarness.profile(env, name: "broken", user: "mt2", mailboxes: ["INBOX"], flows: flows, port: 9),
        ])
        let notify = try DatagramSocket()
        try daemon.start(password: env.password, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        let early = try await notify.messages(until: { _ in daemon.log.components(separatedBy: "backing off").count > 2 })
        let later = try await notify.messages(until: { _ in false }, timeout: .seconds(3), after: early)
        let pings = later.dropFirst(early.count).filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 10, "\(pings) pings in 3 s at one per 0.2 s")
        #expect(!daemon.log.contains("watcher wedged"))
        #expect(try await daemon.stop() == 0)
        try? await writer.delete(mailbox)
        await writer.logout()
    }
}
