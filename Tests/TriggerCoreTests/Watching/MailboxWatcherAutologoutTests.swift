import Foundation
import IMAPTestSupport
import Testing
@testable import TriggerCore

/// The IDLE re-issue against a server's autologout (RFC 3501 §5.4: at least 30 minutes, and a
/// client in IDLE sends nothing): three hours simulated in 18 seconds. The watcher and the fake
/// server run on one `ScaledClock`, 600 times faster than real time: the watcher's "9 minutes"
/// are 0.9 s, the server's "30 minutes" 3 s. Each sync between two IDLEs takes real time too (a
/// tenth of a second is a simulated minute), more on a loaded machine, so the checks are the
/// promises — never logged out, one connection, every IDLE ended before the autologout — and
/// not an exact count.
@Suite("Mailbox watcher: IDLE re-issue over three simulated hours of a 30-minute autologout")
struct MailboxWatcherAutologoutTests {
    static let speed = 600
    static let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#

    /// Runs a watcher with `reissue` against the autologout server for `simulated` time.
    func run(reissue: Duration, for simulated: Duration) async throws -> AutologoutIMAPServer.Record {
        let clock = ScaledClock(speed: Self.speed)
        let server = try await AutologoutIMAPServer.start(autologout: clock.real(.seconds(30 * 60)))
        let directory = try TestFiles.directory("mt-autologout")
        let store = try StateStore(path: directory + "/state.sqlite")
        let json = #"""
            {"name": "p", "server": {"host": "127.0.0.1", "port": \#(server.port), "security": "none", "allowInsecure": true,
             "timeout": "5s"}, "auth": {"username": "u", "password": "pw"}, "mailboxes": ["INBOX"], "flows": \#(Self.flows)}
            """#
        let profile = try TriggerTestSupport.configuration(profiles: [json], stateDirectory: directory).profiles[0]
        let synchronizer = MailboxSynchronizer(store: store, planner: IngestPlanner(profile: profile, mailbox: "INBOX"),
                                               logger: TriggerTestSupport.quietLogger)
        let watcher = MailboxWatcher(connector: ProfileConnector(profile: profile, logger: TriggerTestSupport.quietLogger),
                                     synchronizer: synchronizer, logger: TriggerTestSupport.quietLogger,
                                     idleReissue: reissue, clock: clock)
        let task = Task { try await watcher.run() }
        try await Task.sleep(for: clock.real(simulated))
        task.cancel()
        _ = try? await task.value
        await server.stop()
        return server.snapshot
    }

    @Test func idleReissuedEveryNineMinutesOutlivesThreeHoursOfAThirtyMinuteAutologout() async throws {
        let record = try await run(reissue: .seconds(9 * 60), for: .seconds(3 * 3600))
        #expect(record.autologouts == 0, "never logged out")
        #expect(record.connections == 1, "one connection for the three hours")
        // 180 minutes / 9: 20 IDLEs on an idle machine; fewer when the syncs between them are slow.
        #expect(record.idles.count >= 6, "\(record.idles.count) IDLEs")
        let longest = record.idles.compactMap { idle in idle.end.map { ($0 - idle.start) * Self.speed } }.max() ?? .zero
        #expect(longest < .seconds(30 * 60), "the longest IDLE lasted \(longest) simulated")
        print("three simulated hours against a 30-minute autologout: \(record.idles.count) IDLEs, longest \(longest), "
            + "\(record.autologouts) autologouts, \(record.connections) connection(s)")
    }

    @Test func aWatcherReissuingAfterTheAutologoutIsLoggedOut() async throws {
        // The control, so the test above can fail: every 31 minutes is too late, every time.
        let record = try await run(reissue: .seconds(31 * 60), for: .seconds(3 * 3600))
        #expect(record.autologouts >= 2, "\(record.autologouts) autologouts")
        #expect(record.connections >= 3, "each autologout costs a reconnect")
    }
}
