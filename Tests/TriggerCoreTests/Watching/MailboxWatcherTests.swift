import Foundation
import IMAPClient
import IMAPTestSupport
import Testing
@testable import TriggerCore

/// The watcher service on its own against the private Dovecot: IDLE and polling find new mail;
/// a refused sign-in shows as `auth-failed` with the next attempt scheduled.
@Suite("Mailbox watcher", .enabled(if: DovecotEnvironment.shouldRun))
struct MailboxWatcherTests {
    static let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
    let user = "mt4"

    func watcher(_ env: DovecotEnvironment, mailbox: String, mode: String, password: String? = nil,
                 store: StateStore) throws -> MailboxWatcher {
        var profile = try TriggerTestSupport.profile(user: user, mailboxes: [mailbox], flows: Self.flows,
                                                     extra: #""mode": "\#(mode)", "refreshInterval": "1s""#, env: env)
        if let password { profile.auth = .password(username: user, password: .inline(password)) }
        let synchronizer = MailboxSynchronizer(store: store, planner: IngestPlanner(profile: profile, mailbox: mailbox),
                                               logger: TriggerTestSupport.quietLogger)
        return MailboxWatcher(connector: ProfileConnector(profile: profile, logger: TriggerTestSupport.quietLogger),
                              synchronizer: synchronizer, logger: TriggerTestSupport.quietLogger, idleReissue: .seconds(60))
    }

    func waitFor(_ what: String, timeout: Duration = .seconds(15), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
    }

    @Test("Dovecot: the watcher finds new mail in IDLE and in poll mode", arguments: ["idle", "poll"])
    func findsNewMail(mode: String) async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn(user)
        let mailbox = try await writer.createFreshMailbox("watch")
        let store = try TriggerTestSupport.temporaryStore()
        let watcher = try watcher(env, mailbox: mailbox, mode: mode, store: store)
        let running = Task { await watcher.watch() }
        try await waitFor("watching") { try store.watcherStatuses().first?.state == .watching }
        let started = ContinuousClock.now
        try await env.append(writer, to: mailbox, subject: "new")
        try await waitFor("the message was ingested") { try store.queuedKeys(profile: "p", mailbox: mailbox).count == 1 }
        // IDLE is told at once (Dovecot holds it back ~0.5 s); a poll waits for its 1 s tick.
        #expect(ContinuousClock.now - started < .seconds(mode == "idle" ? 3 : 4))
        running.cancel()
        await running.value
        try? await writer.delete(mailbox)
        await writer.logout()
    }

    @Test("Dovecot: a refused sign-in is reported as auth-failed with a long backoff")
    func authFailure() async throws {
        let env = try DovecotEnvironment.require()
        let store = try TriggerTestSupport.temporaryStore()
        let watcher = try watcher(env, mailbox: "INBOX", mode: "auto", password: "wrong-password", store: store)
        let running = Task { await watcher.watch() }
        try await waitFor("auth-failed") { try store.watcherStatuses().first?.state == .authFailed }
        let status = try #require(try store.watcherStatuses().first)
        let wait = try #require(status.nextAttemptAt).timeIntervalSinceNow
        #expect(wait > 40 && wait < 75, "a refused sign-in waits about a minute, not a second: \(wait)")
        #expect(status.lastError?.contains("authenticationFailed") == true)
        #expect(status.lastError?.contains("wrong-password") == false)
        running.cancel()
        await running.value
    }
}
