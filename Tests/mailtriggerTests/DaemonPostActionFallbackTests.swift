import Foundation
import IMAPClient
import IMAPCore
import IMAPTestSupport
import Testing

/// Post-actions against servers without MOVE (RFC 6851) or UIDPLUS (RFC 4315): the private
/// Dovecot and Cyrus behind a `FaultProxy` that hides those capabilities from every connection. A move
/// falls back to UID COPY + STORE `\Deleted` + UID EXPUNGE; without UIDPLUS a move or delete is
/// refused with a reason and the message is left as it was — a plain EXPUNGE would also remove
/// messages other clients marked `\Deleted`.
@Suite("Post-actions on servers without MOVE or UIDPLUS", .serialized, .enabled(if: DovecotEnvironment.shouldRun))
struct DaemonPostActionFallbackTests {
    /// A daemon moving (`postAction` `{"moveTo": …}`) or deleting every message of a fresh
    /// mailbox holding `count` messages, through a proxy that hides `hidden`.
    struct Scenario {
        let server: TestServer
        let proxied: ProxiedDaemon
        let target: String

        /// `environment`: the daemon's extra variables (a crash seam: then the start does not
        /// wait for "watching", which the daemon may not live to log).
        static func start(_ server: TestServer, prefix: String, hidden: [String], count: Int = 3,
                          environment: [String: String] = [:],
                          fill: (_ mailbox: String) async throws -> Void = { _ in },
                          postAction: (String) -> String) async throws -> Scenario {
            let env = try server.require()
            let writer = try await env.signedIn(ProxiedDaemon.user)
            let target = try await writer.createFreshMailbox(prefix + "-done")
            await writer.logout()
            let proxied = try await ProxiedDaemon.start(
                prefix: prefix, preload: count, waitForWatching: environment.isEmpty,
                // Only the preloaded messages: a bystander's message must be left alone.
                flowExtra: #""match": {"subject": {"prefix": "preloaded"}}, "onSuccess": [\#(postAction(target))]"#, environment: environment,
                fill: fill,
                prepare: { proxy in
                    for name in hidden { proxy.hideCapability(name) }
                    proxy.watch("Move completed")
                    proxy.watch("Copy completed")
                }, server: server)
            return Scenario(server: server, proxied: proxied, target: target)
        }

        /// Subjects and flags of `mailbox`, seen by a fresh session straight to Dovecot.
        func contents(_ mailbox: String) async throws -> [(subject: String, flags: [Flag])] {
            let session = try await proxied.env.signedIn(ProxiedDaemon.user)
            defer { Task { await session.logout() } }
            let selected = try await session.select(mailbox, readOnly: true)
            guard selected.exists > 0 else { return [] }
            return try await session.uidFetch(.from(1), items: [.flags, .envelope]).map {
                ($0.envelope?.subject ?? "", $0.flags ?? [])
            }
        }

        func finish() async throws {
            try await proxied.finish()
            if let session = try? await proxied.env.signedIn(ProxiedDaemon.user) {
                try? await session.delete(target)
                await session.logout()
            }
        }
    }

    @Test("Dovecot and Cyrus, without MOVE: each message is copied, flagged and expunged by UID, once, and nothing else is touched",
          arguments: TestServer.available)
    func moveFallsBackToCopy(_ server: TestServer) async throws {
        // Before the daemon starts: another client's message already marked \Deleted, which a
        // plain EXPUNGE would take too.
        let env = try server.require()
        let scenario = try await Scenario.start(server, prefix: "no-move", hidden: ["MOVE"], fill: { mailbox in
            let bystander = try await env.signedIn(ProxiedDaemon.user)
            let uid = try await env.append(bystander, to: mailbox, subject: "marked by another client")
            _ = try await bystander.select(mailbox)
            try await bystander.uidStore(UIDSet(values: [uid]), .add, flags: [.deleted])
            await bystander.logout()
        }) { #"{"moveTo": "\#($0)"}"# }
        _ = try await scenario.proxied.waitForKeys(3)
        try await DaemonFlowTests.waitUntil("every message moved", timeout: .seconds(20)) {
            try await scenario.contents(scenario.target).count == 3
        }
        let moved = try await scenario.contents(scenario.target).map(\.subject).sorted()
        #expect(moved == ["preloaded 0", "preloaded 1", "preloaded 2"])
        // The bystander is still there, still marked: UID EXPUNGE removed only the moved UIDs.
        let left = try await scenario.contents(scenario.proxied.mailbox)
        #expect(left.map(\.subject) == ["marked by another client"] && left.first?.flags.contains(.deleted) == true)
        if server == .dovecot {
            // Dovecot names what it completed (Cyrus says "Completed" to everything).
            #expect(scenario.proxied.proxy.occurrences(of: "Move completed") == 0)
            #expect(scenario.proxied.proxy.occurrences(of: "Copy completed") == 3)
        }
        try await scenario.finish()
    }

    /// The fallback's window (docs/reliability.md): killed after the second COPY, before its
    /// STORE and EXPUNGE. After a restart every move completes; the message caught in
    /// the window may be in the target twice (the post-action job is repeated, COPY and all);
    /// no message is lost, none is left behind, and the webhook is not repeated.
    @Test("Dovecot and Cyrus, without MOVE: killed between COPY and EXPUNGE, the moves complete after a restart, at most one copy repeated",
          arguments: TestServer.available)
    func moveFallbackKilledAfterTheCopy(_ server: TestServer) async throws {
        let env = try server.require()
        let scenario = try await Scenario.start(server, prefix: "no-move-kill", hidden: ["MOVE"],
                                                environment: ["MT_TEST_CRASH": "move-copied@2"]) { #"{"moveTo": "\#($0)"}"# }
        let daemon = scenario.proxied.daemon
        let exit = try await daemon.waitForExit(timeout: .seconds(30))
        #expect(exit == .killed, "the daemon died after the second COPY (\(exit))\n\(daemon.log.suffix(2000))")
        #expect(try await scenario.contents(scenario.target).count == 2, "two copies were made before the kill")
        try daemon.start(password: env.password)
        try await DaemonFlowTests.waitUntil("every message moved", timeout: .seconds(30)) {
            try await scenario.contents(scenario.proxied.mailbox).isEmpty
        }
        let moved = try await scenario.contents(scenario.target).map(\.subject)
        #expect(Set(moved) == ["preloaded 0", "preloaded 1", "preloaded 2"], "\(moved)")
        // Jobs run in no fixed order: which message was caught is not known beforehand.
        let copies = Dictionary(grouping: moved, by: { $0 }).values.map(\.count)
        #expect(copies.filter { $0 == 2 }.count <= 1 && copies.allSatisfy { $0 <= 2 },
                "only the message caught in the window may be there twice: \(moved)")
        let keys = scenario.proxied.receiver.requests.compactMap { $0[header: "Idempotency-Key"] }
        #expect(keys.count == 3 && Set(keys).count == 3, "the webhook ran once per message: \(keys)")
        FaultReport.note("\(server) without MOVE, killed between COPY and EXPUNGE: \(moved.count) messages in the target for 3 moved")
        try await scenario.finish()
    }

    @Test("Dovecot and Cyrus, without MOVE or UIDPLUS: the move is refused with a reason, and the message stays unflagged where it was",
          arguments: TestServer.available)
    func moveRefusedWithoutUIDPlus(_ server: TestServer) async throws {
        let scenario = try await Scenario.start(server, prefix: "no-uidplus-move", hidden: ["MOVE", "UIDPLUS"]) { #"{"moveTo": "\#($0)"}"# }
        _ = try await scenario.proxied.waitForKeys(3)
        try await scenario.proxied.daemon.waitForLog("server offers neither MOVE nor UIDPLUS", count: 3)
        #expect(try await scenario.contents(scenario.target).isEmpty)
        let left = try await scenario.contents(scenario.proxied.mailbox)
        #expect(left.count == 3 && left.allSatisfy { !$0.flags.contains(.deleted) })
        #expect(scenario.proxied.daemon.log.contains("action failed for good: kept as a dead letter"))
        try await scenario.finish()
    }

    @Test("Dovecot and Cyrus, without UIDPLUS: a delete is refused with a reason before anything is flagged", arguments: TestServer.available)
    func deleteRefusedWithoutUIDPlus(_ server: TestServer) async throws {
        let scenario = try await Scenario.start(server, prefix: "no-uidplus-delete", hidden: ["UIDPLUS"]) { _ in #""delete""# }
        _ = try await scenario.proxied.waitForKeys(3)
        try await scenario.proxied.daemon.waitForLog("a safe delete is impossible", count: 3)
        let left = try await scenario.contents(scenario.proxied.mailbox)
        #expect(left.count == 3 && left.allSatisfy { !$0.flags.contains(.deleted) })
        try await scenario.finish()
    }
}
