import Logging
import Synchronization
import IMAPTestSupport
import Testing
@testable import TriggerCore

/// The watchdog's decision, beat by beat, on a board whose promises are set by hand.
struct WatchdogPingerTests {
    final class Pings: Sendable {
        let count = Mutex(0)
    }

    func pinger(_ board: WatcherBoard) -> (WatchdogPinger, Pings, RecordingLogHandler.Storage) {
        let pings = Pings()
        let (logger, records) = RecordingLogHandler.logger()
        let pinger = WatchdogPinger(interval: .seconds(1), board: board, logger: logger) { pings.count.withLock { $0 += 1 } }
        return (pinger, pings, records)
    }

    @Test func pingsWhileEveryPromiseHoldsAndStopsWhenOneIsBroken() {
        let board = WatcherBoard(watchers: [("a", "INBOX"), ("b", "INBOX")])
        let (pinger, pings, records) = pinger(board)
        // Watchers that have not started yet promise nothing: no reason to hold the pings.
        var reported = pinger.beat(reported: [])
        #expect(pings.count.withLock { $0 } == 1)

        board.set(profile: "a", mailbox: "INBOX", .watching, aliveFor: .seconds(60))
        board.set(profile: "b", mailbox: "INBOX", .backingOff, aliveFor: .seconds(10))
        reported = pinger.beat(reported: reported)
        #expect(pings.count.withLock { $0 } == 2)

        // b's backoff should have ended 10 s ago and nothing came of it: wedged.
        let later = ContinuousClock.now + .seconds(20)
        reported = pinger.beat(reported: reported, now: later)
        reported = pinger.beat(reported: reported, now: later + .seconds(1))
        #expect(pings.count.withLock { $0 } == 2)
        #expect(reported == ["b/INBOX"])
        let wedged = records.all.filter { $0.message.contains("wedged") }
        #expect(wedged.count == 1, "logged once, not at every beat")
        #expect(wedged.first?.level == .error)
        #expect(wedged.first?.metadata["MT_PROFILE"] == "b")
        #expect(wedged.first?.metadata["MT_STATE"] == "backing-off")

        // Progress again (the backoff ended and the watcher connects): pings resume.
        board.set(profile: "b", mailbox: "INBOX", .connecting, aliveFor: .seconds(60))
        reported = pinger.beat(reported: reported)
        #expect(pings.count.withLock { $0 } == 3)
        #expect(reported.isEmpty)
    }

    @Test func aStoppedOrRemovedWatcherHoldsNothingUp() {
        let board = WatcherBoard(watchers: [("a", "INBOX"), ("b", "INBOX")])
        let (pinger, pings, _) = pinger(board)
        board.set(profile: "a", mailbox: "INBOX", .watching, aliveFor: .seconds(1))
        board.set(profile: "b", mailbox: "INBOX", .watching, aliveFor: .seconds(1))
        board.set(profile: "a", mailbox: "INBOX", .stopped)
        board.remove(profile: "b", mailbox: "INBOX")
        _ = pinger.beat(reported: [], now: .now + .seconds(5))
        #expect(pings.count.withLock { $0 } == 1)
        #expect(board.snapshot.map(\.profile) == ["a"])
    }

    @Test func progressWithoutAChangeOfStateMovesThePromise() {
        let board = WatcherBoard(watchers: [("a", "INBOX")])
        board.set(profile: "a", mailbox: "INBOX", .syncing, aliveFor: .seconds(1))
        #expect(board.overdue(at: .now + .seconds(2)).count == 1)
        board.alive(profile: "a", mailbox: "INBOX", for: .seconds(10))
        #expect(board.overdue(at: .now + .seconds(2)).isEmpty)
        #expect(board.snapshot.first?.state == .syncing)
    }

    @Test func aWatcherPromisesOneStepPerCommandTimeouts() throws {
        let configuration = try #require(Configuration.parse(Array(#"""
        {"profiles": [{"name": "p", "server": {"host": "h", "timeout": "10s"}, "auth": {"username": "u", "password": "x"},
          "flows": [{"name": "f", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/"}]}]}]}
        """#.utf8)).configuration)
        // 10 s to connect, 60 s (the minimum) per command, three commands.
        #expect(MailboxWatcher.stepAllowance(configuration.profiles[0]) == .seconds(190))
    }
}
