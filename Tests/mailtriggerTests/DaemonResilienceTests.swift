import Foundation
import IMAPClient
import IMAPCore
import IMAPTestSupport
import NIOCore
import Testing

/// The daemon under fire: killed mid-burst, its server restarted, its mailbox recreated.
@Suite("Daemon resilience", .enabled(if: DovecotEnvironment.shouldRun), .serialized)
struct DaemonResilienceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("Dovecot: kill -9 in the middle of a 1,000-message burst loses nothing")
    func killDuringBurst() async throws {
        let scenario = try await DaemonScenario.start(user: "mt7", prefix: "burst")
        let (env, mailbox, daemon) = (scenario.env, scenario.mailbox, scenario.daemon)

        // The burst is appended by several writers at once while the daemon works through it.
        let total = 1000
        let appender = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<4 {
                    group.addTask {
                        let session = try await env.signedIn("mt7")
                        for index in stride(from: lane, to: total, by: 4) {
                            try await env.append(session, to: mailbox, subject: "burst \(index)")
                        }
                        await session.logout()
                    }
                }
                try await group.waitForAll()
            }
        }
        try await DaemonFlowTests.waitUntil("some of the burst arrived", timeout: .seconds(60)) { scenario.keys.count >= 150 }
        try await daemon.crash()
        let beforeCrash = scenario.keys.count
        try await appender.value
        try daemon.start(password: env.password)
        try await DaemonFlowTests.waitUntil("every message arrived", timeout: .seconds(120)) { scenario.keys.count >= total }
        try await Task.sleep(for: .milliseconds(500))
        let keys = scenario.keys
        let uids = Set(keys.compactMap { $0.split(separator: "/").dropLast().last.flatMap { UInt32($0) } })
        #expect(keys.count == total, "1,000 distinct idempotency keys")
        #expect(uids == Set(1...UInt32(total)), "every UID, none missing")
        #expect(beforeCrash < total, "the crash really happened mid-burst")
        print("kill -9 burst: \(beforeCrash) of \(total) delivered before the crash, \(keys.count) distinct keys after the restart")
        #expect(try await daemon.stop() == 0)
        await scenario.cleanUp()
    }

    @Test("Dovecot: 100 restarts with no new mail fire nothing and change nothing on the server")
    func restartsWithoutMail() async throws {
        let env = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start()
        let writer = try await env.signedIn("mt8")
        let mailbox = try await writer.createFreshMailbox("restarts")
        for index in 0..<3 { try await env.append(writer, to: mailbox, subject: "before the restarts \(index)") }
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url())"}], "onSuccess": [{"addFlags": ["$Done"]}, "markSeen"]}]"#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt8", mailboxes: [mailbox], flows: flows,
                                                                        extra: #""startFrom": "all""#)])
        try daemon.start(password: env.password)
        _ = try await receiver.waitForRequests(count: 3)
        func serverState() async throws -> (modSeq: UInt64?, uidNext: UInt32?, flags: [[Flag]?]) {
            let session = try await env.signedIn("mt8")
            defer { Task { await session.logout() } }
            let selected = try await session.select(mailbox, readOnly: true, condStore: true)
            let flags = try await session.uidFetch(.from(1), items: [.flags]).map(\.flags)
            return (selected.highestModSeq, selected.uidNext, flags)
        }
        // Until the post-actions of all three are done.
        try await DaemonFlowTests.waitUntil("the post-actions done") {
            try await serverState().flags.allSatisfy { $0?.contains(.seen) == true }
        }
        #expect(try await daemon.stop() == 0)
        let before = try await serverState()
        #expect(before.modSeq != nil, "Dovecot reports HIGHESTMODSEQ: any change on the server moves it")

        let restarts = 100
        let started = ContinuousClock.now
        for run in 1...restarts {
            try daemon.start(password: env.password)
            // Each life reaches its first sync's end: connected, examined, searched.
            try await daemon.waitForLog("watching", count: run + 1)
            #expect(try await daemon.stop() == 0)
        }
        let elapsed = ContinuousClock.now - started
        let after = try await serverState()
        #expect(receiver.requestCount == 3, "no action fired again")
        #expect(after.modSeq == before.modSeq && after.uidNext == before.uidNext, "nothing changed on the server")
        #expect(after.flags.map { $0.map(Set.init) } == before.flags.map { $0.map(Set.init) })
        FaultReport.note("\(restarts) restarts with no new mail: 0 actions, HIGHESTMODSEQ unchanged (\(before.modSeq ?? 0)), \(elapsed) in all")
        try? await writer.delete(mailbox)
        await writer.logout()
        await receiver.stop()
    }

    @Test("Dovecot: a first start on a 50,000-message mailbox fires nothing, stays small and keeps command lines short")
    func firstStartOnAHugeMailbox() async throws {
        let count = 50_000
        let filled = ContinuousClock.now
        // Plaintext through the proxy, which measures the daemon's command lines.
        let scenario = try await ProxiedDaemon.start(prefix: "huge", startFrom: #""new""#, waitForWatching: false) { mailbox in
            try Maildir.drop(count, into: try Maildir.path(user: ProxiedDaemon.user, mailbox: mailbox))
        }
        let started = ContinuousClock.now
        try await scenario.daemon.waitForLog("watching", timeout: .seconds(180))
        let watching = ContinuousClock.now - started
        #expect(scenario.daemon.log.contains("MT_CURSOR=\(count)"), "the baseline is the newest of the 50,000")
        try await scenario.append("the first new one")
        _ = try await scenario.waitForKeys(1)
        try await Task.sleep(for: .milliseconds(500))
        #expect(scenario.receiver.requests.count == 1, "only the message appended after the start fired")
        let peak = try #require(scenario.daemon.peakResidentKiB)
        // A debug build; the release daemon is smaller (docs/benchmarks.md).
        #expect(peak < 100 * 1024, "peak RSS \(peak) KiB")
        #expect(scenario.proxy.longestClientLine <= 8192, "RFC 7162 §4: command lines within 8,192 octets")
        FaultReport.note("first start on \(count) messages (startFrom new): filled in \(started - filled), watching after \(watching), "
            + "0 actions, peak RSS \(peak / 1024) MiB (debug build), longest command line \(scenario.proxy.longestClientLine) octets")
        try await scenario.finish()
    }

    @Test("Dovecot: expunges and flag changes by another client during a first sync lose nothing that stays")
    func expungesDuringFetch() async throws {
        let count = 2000
        let scenario = try await BurstScenario.start(prefix: "expunge")
        try scenario.drop(count, run: 0)
        // Another client changes flags on the first 500 and expunges 101 in the middle as soon
        // as the daemon delivers its first message: while it is still fetching.
        let other = try await scenario.env.signedIn("mt7")
        _ = try await other.select(scenario.mailbox)
        try scenario.daemon.start(password: scenario.env.password)
        _ = try await scenario.receiver.waitForRequests(count: 1, timeout: .seconds(30))
        try await other.uidStore(UIDSet([.init(1, 500)]), .add, flags: [.flagged])
        try await other.uidStore(UIDSet([.init(1000, 1100)]), .add, flags: [.deleted])
        try await other.uidExpunge(UIDSet([.init(1000, 1100)]))
        let duringFetch = scenario.receiver.requestCount
        await other.logout()

        let expunged = Set(UInt32(1000)...1100)
        let kept = Set(UInt32(1)...UInt32(count)).subtracting(expunged)
        func uids() -> Set<UInt32> {
            Set(scenario.keys.compactMap { $0.split(separator: "/").dropLast().last.flatMap { UInt32($0) } })
        }
        try await DaemonFlowTests.waitUntil("every message that stayed delivered", timeout: .seconds(120)) { uids().isSuperset(of: kept) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(uids().isSubset(of: Set(UInt32(1)...UInt32(count))))
        #expect(scenario.receiver.requestCount == scenario.keys.count, "none twice")
        #expect(scenario.daemon.isRunning)
        // The watcher is still alive: new mail after the sync fires too.
        try scenario.drop(1, run: 1)
        try await DaemonFlowTests.waitUntil("the next message delivered") { uids().contains(UInt32(count + 1)) }
        FaultReport.note("expunges during a \(count)-message first sync: changed after \(duringFetch) deliveries, "
            + "all \(kept.count) kept messages delivered, \(uids().intersection(expunged).count) of the 101 expunged fetched before they went")
        #expect(try await scenario.daemon.stop() == 0)
        await scenario.cleanUp()
    }

    @Test("Dovecot: a watched mailbox deleted under the daemon is reported and retried; watching resumes when it is back")
    func mailboxDeleted() async throws {
        let scenario = try await DaemonScenario.start(user: "mt8", prefix: "deleted", extra: #""refreshInterval": "2s""#)
        let (env, receiver, mailbox, daemon) = (scenario.env, scenario.receiver, scenario.mailbox, scenario.daemon)
        let session = try await env.signedIn("mt8")
        try await session.delete(mailbox)
        // Dovecot ends the IDLE session; the next attempt finds no mailbox to examine.
        try await daemon.waitForLog("connection failed; backing off", count: 2, timeout: .seconds(20))
        #expect(daemon.log.contains("doesn't exist"), "the server's reason is logged")
        #expect(daemon.log.contains("MT_FAILURES=2"), "backed off further, not in a loop")
        let status = try daemon.command(["status"])
        #expect(status.output.contains(mailbox), "status shows the mailbox: \(status.output)")
        #expect(daemon.isRunning)
        try await session.create(mailbox)
        await session.logout()
        try await daemon.waitForLog("UIDVALIDITY changed: rebaselined", timeout: .seconds(30))
        try await daemon.waitForLog("watching", count: 2, timeout: .seconds(30))
        let writer = try await env.signedIn("mt8")
        try await env.append(writer, to: mailbox, subject: "after the mailbox came back")
        await writer.logout()
        _ = try await receiver.waitForRequests(count: 1, timeout: .seconds(20))
        #expect(try await daemon.stop() == 0)
        await scenario.cleanUp()
    }

    @Test("Dovecot: the daemon reconnects after a server restart and gets the mail delivered meanwhile")
    func serverRestart() async throws {
        let env = try DovecotEnvironment.require()
        let directory = "/tmp/mt-restart-\(UUID().uuidString.prefix(8))"
        let script = Self.root.appendingPathComponent("scripts/imap-test-server.sh").path
        // Ports of its own, away from the shared server's and from other runs'.
        let base = 20000 + Int.random(in: 0..<3000) * 3
        let ports = ["MT_IMAP_TLS_PORT": "\(base)", "MT_IMAP_PLAIN_PORT": "\(base + 1)", "MT_IMAP_OAUTH_PORT": "\(base + 2)"]
        func server(_ command: String) throws {
            let result = try MailtriggerProcess.run(program: script, [command, directory], environment: ports)
            if result.status != 0 { throw DaemonHarness.HarnessError(description: "\(command): \(result.error)") }
        }
        try server("start")
        defer {
            _ = try? MailtriggerProcess.run(program: script, ["stop", directory], environment: ports)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let caFile = directory + "/tls/ca.pem"
        var privateEnv = env
        privateEnv.caFile = caFile
        let receiver = try await WebhookReceiver.start()
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(privateEnv, user: "mt1", mailboxes: ["INBOX"],
            flows: #"[{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url())"}]}]"#, port: base)])
        try daemon.start(password: env.password)
        try await daemon.waitForLog("watching")

        try server("stop")
        try await daemon.waitForLog("backing off")
        // An MTA keeps delivering while IMAP is down: a new file in the Maildir.
        let message = DovecotEnvironment.message(subject: "delivered while the server was down")
        try message.write(toFile: "\(directory)/mail/mt1/Maildir/new/\(Int(Date().timeIntervalSince1970)).mt-test.\(UUID().uuidString)",
                          atomically: true, encoding: .utf8)
        try server("start")
        try await daemon.waitForLog("watching", count: 2, timeout: .seconds(30))
        let requests = try await receiver.waitForRequests(count: 1, timeout: .seconds(10))
        #expect(requests[0].json["subject"] as? String == "delivered while the server was down")
        #expect(try await daemon.stop() == 0)
        await receiver.stop()
    }

    @Test("Dovecot: a deleted and recreated mailbox is rebaselined, logged, and watched on")
    func recreatedMailbox() async throws {
        // A short refresh: the watcher finds out at its next sync.
        let scenario = try await DaemonScenario.start(user: "mt8", prefix: "recreate", extra: #""refreshInterval": "2s""#)
        let (env, receiver, writer, mailbox, daemon) = (scenario.env, scenario.receiver, scenario.writer, scenario.mailbox, scenario.daemon)
        try await env.append(writer, to: mailbox, subject: "before")
        _ = try await receiver.waitForRequests(count: 1)

        try await writer.delete(mailbox)
        try await writer.create(mailbox)
        await writer.logout()
        // Dovecot's index of a recreated mailbox can still be settling while other sessions
        // had it open ("indexid changed"): the writer uses fresh sessions and tries twice.
        func append(_ subject: String) async throws {
            for attempt in 1...2 {
                let session = try await env.signedIn("mt8")
                defer { Task { await session.logout() } }
                do {
                    try await env.append(session, to: mailbox, subject: subject)
                    return
                } catch where attempt == 1 {
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
        }
        try await append("already there after the change")
        try await daemon.waitForLog("UIDVALIDITY changed: rebaselined", timeout: .seconds(30))
        try await append("after")
        let requests = try await receiver.waitForRequests(count: 2)
        try await Task.sleep(for: .milliseconds(500))
        #expect(receiver.requests.map { $0.json["subject"] as? String } == ["before", "after"])
        #expect(requests.count == 2)
        #expect(try await daemon.stop() == 0)
        await scenario.cleanUp()
    }

    @Test("Dovecot: a profile with listen false opens no connection")
    func listenFalse() async throws {
        let env = try DovecotEnvironment.require()
        let trap = try await ScriptedIMAPServer.start([])
        let writer = try await env.signedIn("mt2")
        let mailbox = try await writer.createFreshMailbox("listen")
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
        let quiet = #"""
            {"name": "quiet", "listen": false, "server": {"host": "127.0.0.1", "port": \#(trap.port), "security": "tls"},
             "auth": {"username": "u", "password": "p"}, "flows": \#(flows)}
            """#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt2", mailboxes: [mailbox], flows: flows), quiet])
        try daemon.start(password: env.password)
        try await daemon.waitForLog("watching")
        try await Task.sleep(for: .seconds(2))
        let status = try daemon.command(["status"])
        #expect(status.output.split(separator: "\n").contains { $0.hasPrefix("quiet") && $0.contains("not-listening") })
        #expect(try await daemon.stop() == 0)
        await trap.stop()
        #expect(try await trap.finish().failures == ["no client connected"])
        try? await writer.delete(mailbox)
        await writer.logout()
    }
}
