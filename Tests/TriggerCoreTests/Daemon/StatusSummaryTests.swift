import NIOConcurrencyHelpers
import Testing
@testable import TriggerCore

/// The service's one-line status and the in-memory board it is built from.
@Suite("Status line")
struct StatusSummaryTests {
    func entry(_ profile: String, _ mailbox: String, _ state: StateStore.WatcherState) -> WatcherBoard.Entry {
        WatcherBoard.Entry(profile: profile, mailbox: mailbox, state: state)
    }

    @Test func linesNameCountsAndFailingProfiles() {
        let watchers = [
            entry("support", "INBOX", .watching), entry("support", "Tickets", .watching), entry("sales", "INBOX", .watching),
            entry("billing", "INBOX", .authFailed), entry("ops", "INBOX", .backingOff), entry("ops", "Alerts", .backingOff),
        ]
        #expect(StatusSummary.line(profiles: 4, watchers: watchers, queued: 12, dead: 1)
            == "4 profiles, 6 mailboxes: 3 watching, 2 backing off (ops), 1 sign-in refused (billing); 12 queued, 1 dead letter")
        #expect(StatusSummary.line(profiles: 1, watchers: [entry("p", "INBOX", .connecting)], queued: 0, dead: 0)
            == "1 profile, 1 mailbox: 1 connecting; 0 queued")
        #expect(StatusSummary.line(profiles: 0, watchers: [], queued: 3, dead: 2) == "0 profiles, 0 mailboxes; 3 queued, 2 dead letters")
        #expect(StatusSummary.line(profiles: 2, watchers: [entry("gmail", "INBOX", .reauthNeeded), entry("p", "INBOX", .watching)],
                                   queued: 0, dead: 0)
            == "2 profiles, 2 mailboxes: 1 watching, 1 re-authorisation needed (gmail); 0 queued")
        let many = ["a", "b", "c", "d"].map { entry($0, "INBOX", .backingOff) }
        #expect(StatusSummary.line(profiles: 4, watchers: many, queued: 0, dead: 0)
            == "4 profiles, 4 mailboxes: 4 backing off (a, b, c, …); 0 queued")
    }

    @Test func theBoardReportsChangesOnly() {
        let seen = NIOLockedValueBox<[[StateStore.WatcherState]]>([])
        let board = WatcherBoard(watchers: [("p", "INBOX"), ("p", "Other")]) { entries in
            seen.withLockedValue { $0.append(entries.map(\.state)) }
        }
        #expect(board.snapshot.map(\.state) == [.connecting, .connecting])
        board.set(profile: "p", mailbox: "INBOX", .watching)
        board.set(profile: "p", mailbox: "INBOX", .watching)
        board.set(profile: "p", mailbox: "Other", .backingOff)
        board.set(profile: "q", mailbox: "INBOX", .connecting)
        #expect(seen.withLockedValue { $0 } == [[.watching, .connecting], [.watching, .backingOff],
                                                 [.watching, .backingOff, .connecting]])
    }

    @Test func thePublisherSendsALineOnlyWhenItChanged() {
        let sent = NIOLockedValueBox<[String]>([])
        let publisher = StatusPublisher(profiles: 1) { line in sent.withLockedValue { $0.append(line) } }
        publisher.watchersChanged([entry("p", "INBOX", .connecting)])
        publisher.outboxCounted(queued: 0, dead: 0)
        publisher.watchersChanged([entry("p", "INBOX", .watching)])
        publisher.outboxCounted(queued: 5, dead: 0)
        publisher.outboxCounted(queued: 5, dead: 0)
        #expect(sent.withLockedValue { $0 } == [
            "1 profile, 1 mailbox: 1 connecting; 0 queued", "1 profile, 1 mailbox: 1 watching; 0 queued",
            "1 profile, 1 mailbox: 1 watching; 5 queued",
        ])
    }
}
