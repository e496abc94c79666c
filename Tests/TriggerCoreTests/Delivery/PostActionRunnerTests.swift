import Foundation
import IMAPClient
import IMAPCore
import IMAPTestSupport
import Testing
@testable import TriggerCore

/// Post-actions on the runner's one read-write session, against the private Dovecot.
@Suite("Delivery: post-action runner", .enabled(if: DovecotEnvironment.shouldRun))
struct PostActionRunnerTests {
    @Test func aMessageThatArrivedAfterTheMailboxWasSelectedIsChangedToo() async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt3")
        let mailbox = try await writer.createFreshMailbox("post")
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
        let profile = try TriggerTestSupport.profile(user: "mt3", mailboxes: [mailbox], flows: flows, env: env)
        let runner = PostActionRunner(connector: ProfileConnector(profile: profile, logger: TriggerTestSupport.quietLogger),
                                      logger: TriggerTestSupport.quietLogger)
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
}
