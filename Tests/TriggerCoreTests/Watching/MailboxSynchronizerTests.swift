import Foundation
import IMAPClient
import IMAPTestSupport
import NIOConcurrencyHelpers
import Testing
@testable import TriggerCore

/// The sync of DESIGN.md §5 against the private Dovecot.
@Suite("Mailbox synchronizer", .enabled(if: DovecotEnvironment.shouldRun))
struct MailboxSynchronizerTests {
    static let flows = #"[{"name": "fire", "match": {"subject": {"contains": "fire"}}, "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
    let user = "mt3"

    func synchronizer(_ env: DovecotEnvironment, mailbox: String, startFrom: String = #""new""#,
                      policy: String = "rebaseline", store: StateStore) throws -> MailboxSynchronizer {
        let profile = try TriggerTestSupport.profile(user: user, mailboxes: [mailbox], flows: Self.flows,
                                                     extra: #""startFrom": \#(startFrom), "onUIDValidityChange": "\#(policy)""#, env: env)
        return MailboxSynchronizer(store: store, planner: IngestPlanner(profile: profile, mailbox: mailbox),
                                   logger: TriggerTestSupport.quietLogger, batchSize: 2)
    }

    /// Opens the mailbox with a fresh session and syncs once.
    func openAndSync(_ sync: MailboxSynchronizer, _ env: DovecotEnvironment) async throws -> MailboxSynchronizer.Outcome {
        let session = try await env.signedIn(user)
        defer { Task { await session.close() } }
        let selected = try await sync.open(session)
        return try await sync.sync(session, uidValidity: selected.uidValidity)
    }

    func withMailbox(_ body: (DovecotEnvironment, IMAPSession, String) async throws -> Void) async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn(user)
        let mailbox = try await writer.createFreshMailbox("sync")
        do {
            try await body(env, writer, mailbox)
        } catch {
            try? await writer.delete(mailbox)
            await writer.logout()
            throw error
        }
        try? await writer.delete(mailbox)
        await writer.logout()
    }

    @Test("Dovecot: startFrom new ignores what is there and ingests what comes")
    func startFromNew() async throws {
        try await withMailbox { env, writer, mailbox in
            for index in 1...3 { try await env.append(writer, to: mailbox, subject: "old fire \(index)") }
            let store = try TriggerTestSupport.temporaryStore()
            let sync = try synchronizer(env, mailbox: mailbox, store: store)
            #expect(try await openAndSync(sync, env) == .init(ingested: 0, queued: 0))
            #expect(try store.mailboxState(profile: "p", mailbox: mailbox)?.cursor == 3)
            try await env.append(writer, to: mailbox, subject: "new fire")
            try await env.append(writer, to: mailbox, subject: "new quiet")
            try await env.append(writer, to: mailbox, subject: "new fire again")
            #expect(try await openAndSync(sync, env) == .init(ingested: 3, queued: 2))
            #expect(try store.mailboxState(profile: "p", mailbox: mailbox)?.cursor == 6)
            let keys = try store.queuedKeys(profile: "p", mailbox: mailbox)
            #expect(keys.count == 2)
            #expect(keys.allSatisfy { $0.hasSuffix("/fire#0") })
            // `n:*` returns the last message even when it is below n: nothing is ingested twice.
            #expect(try await openAndSync(sync, env) == .init(ingested: 0, queued: 0))
        }
    }

    @Test("Dovecot: startFrom all, last N and since set the first baseline", .serialized, arguments: [
        (#""all""#, 4), (#"{"last": 2}"#, 2), (#"{"last": 10}"#, 4), (#"{"since": "2000-01-01"}"#, 4), (#"{"since": "2999-01-01"}"#, 0),
    ])
    func startFrom(policy: String, expected: Int) async throws {
        try await withMailbox { env, writer, mailbox in
            for index in 1...4 { try await env.append(writer, to: mailbox, subject: "fire \(index)") }
            let store = try TriggerTestSupport.temporaryStore()
            let outcome = try await openAndSync(try synchronizer(env, mailbox: mailbox, startFrom: policy, store: store), env)
            #expect(outcome.ingested == expected)
            #expect(outcome.queued == expected)
            #expect(try store.mailboxState(profile: "p", mailbox: mailbox)?.cursor == 4)
        }
    }

    @Test("Dovecot: a recreated mailbox (new UIDVALIDITY) is rebaselined or reprocessed as configured",
          arguments: ["rebaseline", "reprocess"])
    func uidValidityChange(policy: String) async throws {
        try await withMailbox { env, writer, mailbox in
            let store = try TriggerTestSupport.temporaryStore()
            let sync = try synchronizer(env, mailbox: mailbox, policy: policy, store: store)
            _ = try await openAndSync(sync, env)
            try await env.append(writer, to: mailbox, subject: "fire before", messageID: "<before-\(policy)@x>")
            #expect(try await openAndSync(sync, env).queued == 1)
            let before = try #require(try store.mailboxState(profile: "p", mailbox: mailbox))

            try await writer.delete(mailbox)
            try await writer.create(mailbox)
            try await env.append(writer, to: mailbox, subject: "fire before", messageID: "<before-\(policy)@x>")
            try await env.append(writer, to: mailbox, subject: "fire while away", messageID: "<away-\(policy)@x>")
            let outcome = try await openAndSync(sync, env)
            let after = try #require(try store.mailboxState(profile: "p", mailbox: mailbox))
            #expect(after.uidValidity != before.uidValidity)
            if policy == "rebaseline" {
                #expect(outcome == .init(ingested: 0, queued: 0), "what is in the mailbox now does not fire")
            } else {
                #expect(outcome.ingested == 2)
                #expect(outcome.queued == 1, "the message seen before the change does not fire again")
                #expect(try store.queuedKeys(profile: "p", mailbox: mailbox).contains { $0.contains("/\(after.uidValidity)/2/fire") })
            }
            try await env.append(writer, to: mailbox, subject: "fire after")
            #expect(try await openAndSync(sync, env).queued == 1)
        }
    }

    @Test("Dovecot: a fetch batch whose payloads reach batchBytes is committed in parts, in order")
    func largePayloadsCommitInParts() async throws {
        try await withMailbox { env, writer, mailbox in
            for index in 1...20 { try await env.append(writer, to: mailbox, subject: "fire \(index)") }
            let store = try TriggerTestSupport.temporaryStore()
            let commits = NIOLockedValueBox<[[UInt32]]>([])
            var sync = try synchronizer(env, mailbox: mailbox, startFrom: #""all""#, store: store)
            // Each message's payload is larger than 1,000 bytes: every chunk of two commits at once.
            (sync.batchSize, sync.batchBytes, sync.planningChunk) = (100, 1_000, 2)
            sync.onQueued = { jobs in commits.withLockedValue { $0.append(jobs.map(\.uid)) } }
            let outcome = try await openAndSync(sync, env)
            #expect(outcome == .init(ingested: 20, queued: 20))
            let parts = commits.withLockedValue { $0 }
            #expect(parts.allSatisfy { $0.count <= 2 }, "\(parts)")
            #expect(parts.flatMap { $0 } == Array(1...20), "every message once, in UID order")
            #expect(try store.mailboxState(profile: "p", mailbox: mailbox)?.cursor == 20)
        }
    }
}
