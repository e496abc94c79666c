import Foundation
import IMAPClient
import IMAPTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP (`systemctl reload`) against the real binary: what the service manager hears, which
/// watchers restart, which keep their connections, and a refused file.
@Suite("Daemon reload", .enabled(if: DovecotEnvironment.shouldRun), .serialized)
struct DaemonReloadTests {
    static func flows(_ receiver: WebhookReceiver, path: String) -> String {
        #"[{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url(path: path))"}]}]"#
    }

    /// Three profiles on three fresh mailboxes, each posting to its own path.
    struct Setup {
        let env: DovecotEnvironment
        let receiver: WebhookReceiver
        let writer: IMAPSession
        let mailboxes: [String]
        let daemon: DaemonHarness
        let notify: DatagramSocket

        func profile(_ name: String, _ index: Int, path: String? = nil, extra: String = "") -> String {
            DaemonHarness.profile(env, name: name, user: "mt3", mailboxes: [mailboxes[index]],
                                  flows: DaemonReloadTests.flows(receiver, path: path ?? "/" + name), extra: extra)
        }

        /// Sends SIGHUP and returns what the service manager heard until the next READY=1.
        func reload(after earlier: [String]) async throws -> [String] {
            let process = try #require(daemon.process)
            kill(process.processIdentifier, SIGHUP)
            let messages = try await notify.messages(until: { Array($0.dropFirst(earlier.count)).contains("READY=1") }, after: earlier)
            return Array(messages.dropFirst(earlier.count))
        }

        /// Appends one message per named mailbox index and waits for the posts.
        func deliver(_ indexes: [Int], tag: String) async throws -> [String] {
            receiver.clearRequests()
            for index in indexes {
                try await env.append(writer, to: mailboxes[index], subject: "\(tag) \(index)")
            }
            return try await receiver.waitForRequests(count: indexes.count, timeout: .seconds(20)).map(\.path).sorted()
        }

        func close() async throws {
            #expect(try await daemon.stop() == 0)
            for mailbox in mailboxes { try? await writer.delete(mailbox) }
            await writer.logout()
            await receiver.stop()
        }
    }

    func setUp() async throws -> Setup {
        let env = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start()
        let writer = try await env.signedIn("mt3")
        var mailboxes: [String] = []
        for _ in 0..<3 { mailboxes.append(try await writer.createFreshMailbox("reload")) }
        let notify = try DatagramSocket()
        let daemon = try DaemonHarness(profiles: [])
        let setup = Setup(env: env, receiver: receiver, writer: writer, mailboxes: mailboxes, daemon: daemon, notify: notify)
        try daemon.writeConfiguration(profiles: [setup.profile("a", 0), setup.profile("b", 1)])
        try daemon.start(password: env.password, environment: ["NOTIFY_SOCKET": notify.path])
        try await daemon.waitForLog("MT_PROFILE=a", count: 1)
        try await daemon.waitForLog("watching", count: 2)
        return setup
    }

    @Test("Dovecot: SIGHUP restarts only changed profiles; unchanged watchers keep their connections")
    func reloadAppliesChanges() async throws {
        let setup = try await setUp()
        let daemon = setup.daemon
        var heard = try await setup.notify.messages(until: { $0.contains("READY=1") })
        #expect(try await setup.deliver([0, 1], tag: "before") == ["/a", "/b"])
        let before = daemon.connections(toPort: setup.env.tlsPort)
        #expect(before.count == 2, "one connection per watcher: \(before)")

        // a unchanged, b's flow posts elsewhere now, c is new.
        try daemon.writeConfiguration(profiles: [setup.profile("a", 0), setup.profile("b", 1, path: "/b2"), setup.profile("c", 2)])
        let reload = try await setup.reload(after: heard)
        heard += reload
        // Status lines may come before; the reload is RELOADING=1 with MONOTONIC_USEC, then READY=1.
        let reloading = reload.first { $0.hasPrefix("RELOADING=1") }
        #expect(reloading?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true, "\(reload)")
        let usec = reloading.flatMap { UInt64($0.split(separator: "=").last ?? "") }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowUsec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        #expect(usec.map { $0 <= nowUsec && nowUsec - $0 < 20_000_000 } == true, "MONOTONIC_USEC \(String(describing: usec)) vs now \(nowUsec)")
        #expect(reload.last == "READY=1", "\(reload)")
        try await daemon.waitForLog("reloaded")
        let reloaded = try #require(daemon.log.split(separator: "\n").first { $0.contains("reloaded") })
        for field in ["MT_ADDED=c", "MT_RESTARTED=b", "MT_UNCHANGED=a", "MT_REMOVED= "] {
            #expect(reloaded.contains(field), "\(field) in \(reloaded)")
        }
        try await daemon.waitForLog("watching", count: 4)

        // a kept its connection and never signed in again; b's and c's are new.
        let after = daemon.connections(toPort: setup.env.tlsPort)
        #expect(after.count == 3, "\(after)")
        #expect(before.intersection(after).count == 1, "only a's connection survives: before \(before), after \(after)")
        let watching = daemon.log.split(separator: "\n").filter { $0.contains("watching") }
        #expect(watching.filter { $0.contains("MT_PROFILE=a ") }.count == 1, "\(watching)")
        #expect(watching.filter { $0.contains("MT_PROFILE=b ") }.count == 2, "\(watching)")
        #expect(watching.filter { $0.contains("MT_PROFILE=c ") }.count == 1, "\(watching)")
        #expect(try await setup.deliver([0, 1, 2], tag: "after") == ["/a", "/b2", "/c"])

        // b removed: its watcher stops, the others go on; the status line counts two profiles.
        try daemon.writeConfiguration(profiles: [setup.profile("a", 0), setup.profile("c", 2)])
        heard += try await setup.reload(after: heard)
        try await daemon.waitForLog("MT_REMOVED=b")
        #expect(daemon.connections(toPort: setup.env.tlsPort).count == 2)
        heard = try await setup.notify.messages(until: { $0.contains { $0.hasPrefix("STATUS=2 profiles, 2 mailboxes: 2 watching") } },
                                                after: heard)
        #expect(heard.contains { $0.hasPrefix("STATUS=2 profiles, 2 mailboxes: 2 watching") }, "\(heard.suffix(5))")
        #expect(try await setup.deliver([0, 2], tag: "removed") == ["/a", "/c"])
        try await setup.close()
    }

    @Test("Dovecot: SIGHUP with an invalid file logs every error and keeps the running configuration")
    func invalidReloadKeepsRunning() async throws {
        let setup = try await setUp()
        let daemon = setup.daemon
        let heard = try await setup.notify.messages(until: { $0.contains("READY=1") })
        let before = daemon.connections(toPort: setup.env.tlsPort)
        try #"{"profiles": [{"name": "a", "hots": 1}], "stateDirectori": "/x"}"#.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let reload = try await setup.reload(after: heard)
        #expect(reload.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") }, "\(reload)")
        #expect(reload.last == "READY=1", "\(reload)")
        try await daemon.waitForLog("reload refused")
        let log = daemon.log
        #expect(log.contains("stateDirectori"), "the unknown key is named")
        #expect(log.contains("profiles[0].hots"), "the unknown profile key is named")
        #expect(!log.contains("reloaded"))
        #expect(daemon.connections(toPort: setup.env.tlsPort) == before, "no watcher restarted")
        #expect(try await setup.deliver([0, 1], tag: "still") == ["/a", "/b"])
        try await setup.close()
    }
}
