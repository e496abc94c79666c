import Foundation
import IMAPClient
import IMAPCore
import IMAPTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Process faults (issue 7): the daemon killed at the crash seams compiled into test builds
/// (`CrashSeam`, `MT_TEST_CRASH`), killed at random moments of bursts, stopped by SIGTERM in the
/// middle of one. After the last restart every message's webhook has arrived (counted by
/// distinct idempotency keys), no key arrived twice from one daemon process (a repeat only ever
/// follows a crash that interrupted a started action, and carries the same key), and the server
/// holds every message exactly once where the post-actions put it.
///
/// `MT_CRASH_RUNS` sets the runs per seam and kills per burst test (20 by default, as the issue
/// asks); `MT_FAULT_SEED` repeats the random choices of a reported run.
@Suite("Daemon crashes", .serialized, .enabled(if: DovecotEnvironment.shouldRun))
struct DaemonCrashTests {
    static let runs = ProcessInfo.processInfo.environment["MT_CRASH_RUNS"].flatMap(Int.init) ?? 20

    /// Each seam with the highest pass count a run is sure to reach: a run adds three messages,
    /// so at least three fetches, action starts, successes and moves happen; an ingest or a
    /// recording may take all three at once.
    static let seams: [(point: String, maxCount: Int)] = [
        ("fetched", 3), ("queued", 1), ("before-action", 3), ("after-action", 3), ("committed", 1), ("mid-move", 3),
    ]

    @Test("Dovecot: killed at a crash seam in 20 runs, the daemon loses nothing, repeats only started actions, moves each message once",
          arguments: seams.map(\.point))
    func crashSeam(_ point: String) async throws {
        let maxCount = try #require(Self.seams.first { $0.point == point }).maxCount
        let env = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start()
        let writer = try await env.signedIn("mt5")
        let mailbox = try await writer.createFreshMailbox("seam")
        let done = try await writer.createFreshMailbox("seam-done")
        let flows = #"""
            [{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url())", "timeout": "5s"}],
              "onSuccess": [{"addFlags": ["$Delivered"]}, {"moveTo": "\#(done)"}]}]
            """#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt5", mailboxes: [mailbox], flows: flows,
                                                                        extra: #""startFrom": "all""#)])
        var lives = DaemonLives(receiver: receiver)
        var generator = SeededGenerator(seed: FaultSeed.value)
        var subjects: [String] = []
        for run in 0..<Self.runs {
            for index in 0..<3 {
                subjects.append("\(point) run \(run) message \(index)")
                try await env.append(writer, to: mailbox, subject: subjects.last!)
            }
            let count = Int.random(in: 1...maxCount, using: &generator)
            try daemon.start(password: env.password, environment: ["MT_TEST_CRASH": "\(point)@\(count)"])
            let exit = try await daemon.waitForExit(timeout: .seconds(30))
            #expect(exit == .killed, "run \(run): the daemon died at \(point)@\(count) (\(exit))\n\(daemon.log.suffix(2000))")
            try await lives.end()
        }
        try daemon.start(password: env.password)
        try await DaemonFlowTests.waitUntil("every message delivered and moved", timeout: .seconds(60)) {
            guard Set(receiver.requests.compactMap { $0[header: "Idempotency-Key"] }).count >= subjects.count else { return false }
            let (moved, left) = (try await Self.count(env, done), try await Self.count(env, mailbox))
            return moved == subjects.count && left == 0
        }
        #expect(try await daemon.stop() == 0)
        try await lives.end()

        let report = lives.check(expected: subjects.count)
        // Exactly once on the server: every subject in the target, flagged, none left behind.
        let session = try await env.signedIn("mt5")
        _ = try await session.select(done, readOnly: true)
        let moved = try await session.uidFetch(.from(1), items: [.flags, .envelope])
        let movedSubjects = moved.compactMap { $0.envelope?.subject }
        #expect(movedSubjects.sorted() == subjects.sorted(), "each message once in \(done)")
        #expect(moved.allSatisfy { $0.flags?.contains(Flag("$Delivered")) == true })
        await session.logout()
        FaultReport.note("crash seam \(point): \(Self.runs) kills, \(subjects.count) messages, \(report.keys) keys, "
            + "\(report.repeats) repeated after a kill, each message moved once (seed \(FaultSeed.value))")
        try? await writer.delete(mailbox)
        try? await writer.delete(done)
        await writer.logout()
        await receiver.stop()
    }

    /// The number of messages in `mailbox`, seen by a fresh session.
    static func count(_ env: DovecotEnvironment, _ mailbox: String) async throws -> Int {
        let session = try await env.signedIn("mt5")
        defer { Task { await session.logout() } }
        return Int(try await session.select(mailbox, readOnly: true).exists)
    }
}
