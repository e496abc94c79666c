import Foundation
import IMAPClient
import IMAPTestSupport
import Testing
import TriggerCore
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

    /// A daemon under a watchdog of 0.4 s (pings every 0.2 s) with a profile watching a fresh
    /// mailbox, one whose server refuses connections (a counted backoff), and, when `wedged`,
    /// one stuck through the test builds' seam: it promises progress within 2 s and shows none.
    struct WatchdogScenario {
        let daemon: DaemonHarness
        let notify: DatagramSocket
        let writer: IMAPSession
        let mailbox: String

        init(wedged: Bool) async throws {
            let env = try DovecotEnvironment.require()
            writer = try await env.signedIn("mt2")
            mailbox = try await writer.createFreshMailbox("watchdog")
            let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
            var profiles = [DaemonHarness.profile(env, user: "mt2", mailboxes: [mailbox], flows: flows),
                            DaemonHarness.profile(env, name: "broken", user: "mt2", mailboxes: ["INBOX"], flows: flows, port: 9)]
            var environment = ["WATCHDOG_USEC": "400000"]
            if wedged {
                profiles.append(DaemonHarness.profile(env, name: "stuck", user: "mt2", mailboxes: ["INBOX"], flows: flows))
                environment["MT_TEST_WEDGE_PROFILE"] = "stuck"
            }
            daemon = try DaemonHarness(profiles: profiles)
            notify = try DatagramSocket()
            environment["NOTIFY_SOCKET"] = notify.path
            try daemon.start(password: env.password, environment: environment)
        }

        /// Datagrams read until `done` holds for the daemon's log. Read while waiting: a
        /// datagram socket nobody reads fills after a few messages and sd_notify then blocks
        /// (systemd reads at once).
        func messages(until done: @escaping (String) -> Bool, timeout: Duration = .seconds(15),
                      after earlier: [String] = []) async throws -> [String] {
            try await notify.messages(until: { _ in done(daemon.log) }, timeout: timeout, after: earlier)
        }

        func close() async throws {
            #expect(try await daemon.stop() == 0)
            try? await writer.delete(mailbox)
            await writer.logout()
        }
    }

    @Test("Dovecot: WATCHDOG=1 while watchers are alive or in a counted backoff, none once one is wedged")
    func watchdogStopsForAWedgedWatcher() async throws {
        let scenario = try await WatchdogScenario(wedged: true)
        let daemon = scenario.daemon
        let started = ContinuousClock.now
        var messages = try await scenario.messages(until: { $0.contains("watcher wedged") })
        let wedgedAt = ContinuousClock.now
        try #require(daemon.log.contains("watcher wedged"), "\(daemon.log.suffix(3000))")
        messages = try await scenario.messages(until: { _ in false }, timeout: .milliseconds(100), after: messages)
        let pingsBefore = messages.filter { $0 == "WATCHDOG=1" }.count
        // Pinged every 0.2 s for the two seconds the stuck watcher's promise held.
        #expect(pingsBefore >= 5, "\(pingsBefore) pings in \(wedgedAt - started): \(messages)")
        #expect(daemon.log.contains("MT_PROFILE=stuck"), "the wedged watcher is named")
        #expect(daemon.log.components(separatedBy: "watcher wedged").count == 2, "logged once")
        // Then none: systemd would restart the service after WatchdogSec=.
        messages = try await scenario.messages(until: { _ in false }, timeout: .seconds(2), after: messages)
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count == pingsBefore, "\(messages.suffix(10))")
        #expect(daemon.log.contains("MT_PROFILE=broken") && daemon.log.contains("backing off"), "the refused profile backs off")
        try await scenario.close()
    }

    @Test("Dovecot: WATCHDOG=1 goes on while a profile backs off")
    func watchdogPingsThroughABackoff() async throws {
        let scenario = try await WatchdogScenario(wedged: false)
        let early = try await scenario.messages(until: { $0.components(separatedBy: "backing off").count > 2 })
        let later = try await scenario.messages(until: { _ in false }, timeout: .seconds(3), after: early)
        let pings = later.dropFirst(early.count).filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 10, "\(pings) pings in 3 s at one per 0.2 s")
        #expect(!scenario.daemon.log.contains("watcher wedged"))
        try await scenario.close()
    }

    @Test("Dovecot: 40 profiles behind a stalling server: READY first, then 16 connects at a time; the queue moves once the server answers")
    func boundedConnects() async throws {
        let env = try DovecotEnvironment.require()
        let proxy = try await FaultProxy.start(to: env.host, port: env.plainPort)
        proxy.setMode(.stall)
        // A long connect timeout: the 16 stalled attempts hold their permits for the whole check.
        let server = #"{"host": "127.0.0.1", "port": \#(proxy.port), "security": "none", "allowInsecure": true, "timeout": "60s"}"#
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
        let profiles = (1...40).map { index in
            DaemonHarness.profile(env, name: "p\(index)", user: "mt2", mailboxes: ["INBOX"], flows: flows, server: server)
        }
        let daemon = try DaemonHarness(profiles: profiles)
        let notify = try DatagramSocket()
        try daemon.start(password: env.password, environment: ["NOTIFY_SOCKET": notify.path])
        var messages = try await notify.messages { $0.contains("READY=1") }
        #expect(messages.first == "READY=1", "\(messages)")
        let deadline = ContinuousClock.now + .seconds(10)
        while proxy.accepted < ConnectGate.defaultLimit, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        // A second more: no 17th connection while the 16 are unanswered.
        messages = try await notify.messages(until: { _ in false }, timeout: .seconds(1), after: messages)
        #expect(proxy.accepted == ConnectGate.defaultLimit)
        #expect(proxy.open == ConnectGate.defaultLimit)
        // Queued or stalled, every watcher says it is connecting.
        let status = try daemon.command(["status", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        let states = (report?["mailboxes"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
        #expect(states.count == 40 && states.allSatisfy { $0 == "connecting" }, "\(status.output)")
        // The server answers: the stalled attempts fail and back off, the queue moves, all 40 watch.
        proxy.setMode(.forward)
        #expect(proxy.cutAll() == ConnectGate.defaultLimit)
        try await daemon.waitForLog("watching", count: 40, timeout: .seconds(30))
        #expect(try await daemon.stop() == 0)
        await proxy.stop()
    }
}
