import Foundation
import IMAPClient
import IMAPCore
import IMAPTestSupport
import Testing
@testable import TriggerCore

/// Post-actions on the runner's one read-write session, against the private Dovecot.
@Suite("Delivery: post-action runner", .enabled(if: DovecotEnvironment.shouldRun))
struct PostActionRunnerTests {
    /// A fresh mailbox of mt3, a session writing to it, and a runner for a profile watching it.
    static func runner(prefix: String) async throws -> (DovecotEnvironment, IMAPSession, String, PostActionRunner) {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt3")
        let mailbox = try await writer.createFreshMailbox(prefix)
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
        let profile = try TriggerTestSupport.profile(user: "mt3", mailboxes: [mailbox], flows: flows, env: env)
        let runner = PostActionRunner(connector: ProfileConnector(profile: profile, logger: TriggerTestSupport.quietLogger),
                                      logger: TriggerTestSupport.quietLogger)
        return (env, writer, mailbox, runner)
    }

    @Test func aMessageThatArrivedAfterTheMailboxWasSelectedIsChangedToo() async throws {
        let (env, writer, mailbox, runner) = try await Self.runner(prefix: "post")
        let first = try await env.append(writer, to: mailbox, subject: "first")
        let validity = try await writer.select(mailbox, readOnly: true).uidValidity
        #expect(await runner.perform([.addFlags(["$Done"])], mailbox: mailbox, uidValidity: validity, uid: first) == .succeeded)
        // Appended while the runner's session has the mailbox selected: outside its view until refreshed.
        let second = try await env.append(writer, to: mailbox, subject: "second")
        #expect(await runner.perform([.addFlags(["$Done"])], mailbox: mailbox, uidValidity: validity, uid: second) == .succeeded)
        let flags = try await writer.uidFetch(UIDSet(values: [first, second]), items: [.flags])
        #expect(flags.count == 2 && flags.allSatisfy { $0.flags?.contains(Flag("$Done")) == true }, "\(flags.map(\.flags))")
        await runner.close()
        try? await writer.delete(mailbox)
        await writer.logout()
    }

    @Test func aJobOfAnEarlierUIDValidityIsRefusedAndTouchesNothing() async throws {
        // The mailbox deleted and recreated: UID 1 now names another message. The job, queued
        // for UID 1 of the old mailbox, must not flag, move or delete the new one.
        let (env, writer, mailbox, runner) = try await Self.runner(prefix: "post-validity")
        let uid = try await env.append(writer, to: mailbox, subject: "another message under the same UID")
        let validity = try await writer.select(mailbox, readOnly: true).uidValidity
        let result = await runner.perform([.addFlags(["$Done"]), .delete], mailbox: mailbox, uidValidity: validity &- 1, uid: uid)
        guard case let .permanent(reason) = result else {
            Issue.record("expected a permanent refusal, got \(result)")
            return
        }
        #expect(reason.contains("UIDVALIDITY"))
        let flags = try await writer.uidFetch(UIDSet(values: [uid]), items: [.flags]).first?.flags ?? []
        #expect(!flags.contains(Flag("$Done")) && !flags.contains(.deleted), "\(flags)")
        await runner.close()
        try? await writer.delete(mailbox)
        await writer.logout()
    }
}
