import Foundation
import IMAPClient
import Synchronization
import IMAPTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension DaemonCrashTests {
    @Test("Dovecot: kill -9 at a random moment of each of 20 bursts of 1,000 messages loses nothing")
    func killDuringBursts() async throws {
        let burst = 1000
        let scenario = try await BurstScenario.start(prefix: "kills")
        var lives = DaemonLives(receiver: scenario.receiver)
        var generator = SeededGenerator(seed: FaultSeed.value)
        var deliveredAtKill: [Int] = []
        for run in 0..<Self.runs {
            try scenario.drop(burst, run: run)
            // A random point of the work left: from the start (still connecting) to its last message.
            // Counted in distinct keys (repeats after earlier kills must not push the kill past
            // the end), and fired by the receiver as the target key arrives: a poll would land late.
            let delivered = scenario.keys.count
            // Up to 20 before the end: requests already under way when the kill comes still arrive.
            let target = delivered + Int.random(in: 0..<max(1, burst * (run + 1) - delivered - 20), using: &generator)
            try scenario.daemon.start(password: scenario.env.password)
            if target > delivered, let pid = scenario.daemon.pid {
                let keys = Mutex(Set(scenario.keys))
                scenario.receiver.onRequest { request in
                    guard let key = request[header: "Idempotency-Key"] else { return }
                    if keys.withLock({ $0.insert(key).inserted && $0.count == target }) { kill(pid, SIGKILL) }
                }
                _ = try await scenario.daemon.waitForExit(timeout: .seconds(120))
                scenario.receiver.onRequest(nil)
            }
            try await scenario.daemon.crash()
            try await lives.end()
            deliveredAtKill.append(scenario.keys.count)
        }
        let total = burst * Self.runs
        let started = scenario.daemon.log.components(separatedBy: "\n").filter { $0.contains("watching") }.count
        try scenario.daemon.start(password: scenario.env.password)
        try await scenario.daemon.waitForLog("watching", count: started + 1, timeout: .seconds(120))
        try await DaemonFlowTests.waitUntil("every message delivered", timeout: .seconds(300)) { scenario.keys.count >= total }
        #expect(try await scenario.daemon.stop() == 0)
        try await lives.end()

        let report = lives.check(expected: total)
        let uids = Set(scenario.keys.compactMap { $0.split(separator: "/").dropLast().last.flatMap { UInt32($0) } })
        #expect(uids == Set(1...UInt32(total)), "every UID, none missing")
        #expect(zip(deliveredAtKill, 1...).allSatisfy { $0 < burst * $1 }, "each kill landed before the end of the work")
        FaultReport.note("kill -9 at random moments: \(Self.runs) bursts of \(burst), messages delivered at each kill \(deliveredAtKill), "
            + "\(report.keys) keys, \(report.repeats) repeated after a kill (seed \(FaultSeed.value))")
        await scenario.cleanUp()
    }

    @Test("Dovecot: SIGTERM in the middle of a burst drains, exits 0, and the restart repeats nothing")
    func sigtermDuringBurst() async throws {
        let burst = 1000
        // A receiver that takes 20 ms an answer: 8 at once make the burst last seconds.
        let scenario = try await BurstScenario.start(prefix: "sigterm", response: .init(delay: .milliseconds(20)))
        var lives = DaemonLives(receiver: scenario.receiver)
        try scenario.drop(burst, run: 0)
        try scenario.daemon.start(password: scenario.env.password)
        try await DaemonFlowTests.waitUntil("a fifth of the burst delivered", timeout: .seconds(60)) { scenario.receiver.requestCount >= burst / 5 }
        let stopping = ContinuousClock.now
        #expect(try await scenario.daemon.stop() == 0, "SIGTERM: drained and exited 0")
        let drainTime = ContinuousClock.now - stopping
        try await lives.end()
        let atStop = lives.boundaries[0]
        #expect(atStop < burst, "stopped in the middle of the burst")

        try scenario.daemon.start(password: scenario.env.password)
        try await DaemonFlowTests.waitUntil("every message delivered", timeout: .seconds(120)) { scenario.keys.count >= burst }
        #expect(try await scenario.daemon.stop() == 0)
        try await lives.end()
        let report = lives.check(expected: burst)
        #expect(!scenario.daemon.log.contains("drain timeout"))
        // Every job running at the SIGTERM finished and was recorded: nothing is sent again.
        #expect(report.repeats == 0)
        FaultReport.note("SIGTERM mid-burst: \(atStop) of \(burst) delivered at the stop, exit 0 after \(drainTime), "
            + "\(report.keys) keys, \(report.repeats) repeated")
        await scenario.cleanUp()
    }
}

/// A fresh mailbox of `mt7` filled through its Maildir (a thousand messages in milliseconds,
/// as an MTA delivers them), a receiver, and a daemon (not started) whose flow posts every message.
struct BurstScenario {
    let env: DovecotEnvironment
    let receiver: WebhookReceiver
    let mailbox: String
    let maildir: String
    let daemon: DaemonHarness

    static func start(prefix: String, response: WebhookReceiver.Response = .ok) async throws -> BurstScenario {
        let env = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start(defaultResponse: response)
        let writer = try await env.signedIn("mt7")
        let mailbox = try await writer.createFreshMailbox(prefix)
        await writer.logout()
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url())", "timeout": "10s"}]}]"#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt7", mailboxes: [mailbox], flows: flows,
                                                                        extra: #""startFrom": "all""#)])
        return BurstScenario(env: env, receiver: receiver, mailbox: mailbox, maildir: try Maildir.path(user: "mt7", mailbox: mailbox),
                             daemon: daemon)
    }

    /// Delivers `count` messages into the mailbox's Maildir `new/`, as an MTA does.
    func drop(_ count: Int, run: Int) throws {
        try Maildir.drop(count, into: maildir, run: run)
    }

    var keys: Set<String> {
        Set(receiver.requests.compactMap { $0[header: "Idempotency-Key"] })
    }

    func cleanUp() async {
        if let session = try? await env.signedIn("mt7") {
            try? await session.delete(mailbox)
            await session.logout()
        }
        await receiver.stop()
    }
}

/// The private Dovecot's Maildir++ folders (`scripts/imap-test-server.sh`): mail written there
/// straight away, a thousand messages in milliseconds, as an MTA delivers it.
enum Maildir {
    /// The folder of `user`'s `mailbox`.
    static func path(user: String, mailbox: String) throws -> String {
        let root = try #require(ProcessInfo.processInfo.environment["MT_IMAP_DIR"], "MT_IMAP_DIR names the server's directory")
        return "\(root)/mail/\(user)/Maildir/.\(mailbox)"
    }

    /// Writes `count` small messages in `tmp/` and renames them into `new/`.
    static func drop(_ count: Int, into folder: String, run: Int = 0) throws {
        let stamp = Int(Date().timeIntervalSince1970)
        for index in 0..<count {
            let name = "\(stamp).mt\(run)_\(index).mailtrigger-test"
            let message = DovecotEnvironment.message(subject: "burst \(run).\(index)")
            try message.write(toFile: "\(folder)/tmp/\(name)", atomically: false, encoding: .utf8)
            try FileManager.default.moveItem(atPath: "\(folder)/tmp/\(name)", toPath: "\(folder)/new/\(name)")
        }
    }
}
