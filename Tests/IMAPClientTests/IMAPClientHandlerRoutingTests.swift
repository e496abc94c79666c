import IMAPCore
import NIOCore
import Testing

@testable import IMAPClient

// Which command an untagged response belongs to, and which responses are unsolicited
// MailboxEvents instead (RFC 3501 §7).

private func fetch(_ sequence: UInt32, uid: UInt32? = nil, flags: [Flag]) -> FetchResponse {
    FetchResponse(sequenceNumber: sequence, attributes: (uid.map { [.uid($0)] } ?? []) + [.flags(flags)])
}

@Suite struct HandlerRoutingTests {
    @Test func capabilityResponseIsClaimedByCapabilityAndUpdatesCapabilities() throws {
        let h = try Harness()
        try h.greet("* OK ready\r\n")
        let capability = h.submit(.capability)
        try h.feed("* CAPABILITY IMAP4rev1 IDLE LITERAL+\r\nA0001 OK done\r\n")
        #expect(capability.value?.untagged == [.capability([.imap4rev1, .idle, .literalPlus])])
        #expect(h.handler.capabilities == [.imap4rev1, .idle, .literalPlus])
        #expect(h.handler.takeEvents().isEmpty)
    }

    @Test func listAndCapabilityInterleavedGoToTheirOwnCommands() throws {
        let h = try Harness()
        try h.greet()
        let list = h.submit(.list(reference: "", pattern: "*"))
        let capability = h.submit(.capability)
        #expect(try h.written() == ["A0001 LIST \"\" *\r\n", "A0002 CAPABILITY\r\n"])
        try h.feed("* CAPABILITY IMAP4rev1 MOVE\r\n"
            + "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
            + "* LIST (\\HasChildren) \"/\" Archive\r\n"
            + "A0002 OK\r\nA0001 OK\r\n")
        #expect(list.value?.untagged == [
            .list(MailboxListing(attributes: ["\\HasNoChildren"], delimiter: "/", wireName: "INBOX")),
            .list(MailboxListing(attributes: ["\\HasChildren"], delimiter: "/", wireName: "Archive")),
        ])
        #expect(capability.value?.untagged == [.capability([.imap4rev1, .move])])
    }

    @Test func pipelinedStatusCommandsEachClaimOnlyTheirMailbox() throws {
        let h = try Harness()
        try h.greet()
        let inbox = h.submit(.status(mailbox: "INBOX", items: ["MESSAGES"]))
        let drafts = h.submit(.status(mailbox: "Entwürfe", items: ["MESSAGES"]))
        #expect(try h.written() == ["A0001 STATUS INBOX (MESSAGES)\r\n", "A0002 STATUS Entw&APw-rfe (MESSAGES)\r\n"])
        try h.feed("* STATUS Entw&APw-rfe (MESSAGES 2)\r\n* STATUS inbox (MESSAGES 5)\r\nA0001 OK\r\nA0002 OK\r\n")
        #expect(inbox.value?.untagged == [.status(MailboxStatus(wireName: "inbox", values: ["MESSAGES": 5]))])
        #expect(drafts.value?.untagged == [.status(MailboxStatus(wireName: "Entw&APw-rfe", values: ["MESSAGES": 2]))])
    }

    @Test func statusForAnotherMailboxIsNotPartOfTheResult() throws {
        let h = try Harness()
        try h.greet()
        let inbox = h.submit(.status(mailbox: "INBOX", items: ["MESSAGES"]))
        // An unsolicited STATUS for another mailbox arrives first (RFC 9051 §7.2.4 allows it).
        try h.feed("* STATUS Archive (MESSAGES 1)\r\n* STATUS INBOX (MESSAGES 5)\r\nA0001 OK\r\n")
        #expect(inbox.value?.untagged == [.status(MailboxStatus(wireName: "INBOX", values: ["MESSAGES": 5]))])
    }

    @Test func searchIsClaimedByUIDSearchNotByTheCommandAheadOfIt() throws {
        let h = try Harness()
        try h.greet()
        let noop = h.submit(.noop)
        let search = h.submit(.uidSearch(.all, returnOptions: nil))
        #expect(try h.written() == ["A0001 NOOP\r\n", "A0002 UID SEARCH ALL\r\n"])
        try h.feed("* SEARCH 3 5\r\nA0001 OK\r\nA0002 OK\r\n")
        #expect(noop.value?.untagged == [])
        #expect(search.value?.untagged == [.search([3, 5], modSeq: nil)])
    }

    @Test func esearchIsClaimedByTheSearchItsTagCorrelatorNames() throws {
        let h = try Harness()
        try h.greet()
        let first = h.submit(.uidSearch(.all, returnOptions: ["ALL"]))
        let second = h.submit(.uidSearch(.unseen, returnOptions: ["ALL"]))
        #expect(try h.written() == ["A0001 UID SEARCH RETURN (ALL) ALL\r\n", "A0002 UID SEARCH RETURN (ALL) UNSEEN\r\n"])
        try h.feed("* ESEARCH (TAG \"A0002\") UID ALL 7:8\r\n* ESEARCH (TAG \"A0001\") UID ALL 1:8\r\n"
            + "A0001 OK\r\nA0002 OK\r\n")
        #expect(first.value?.untagged == [.esearch(ESearchResponse(tag: "A0001", uid: true, all: UIDSet([.init(1, 8)])))])
        #expect(second.value?.untagged == [.esearch(ESearchResponse(tag: "A0002", uid: true, all: UIDSet([.init(7, 8)])))])
    }

    @Test func uidFetchClaimsOnlyFetchesWithAUIDInItsSet() throws {
        let h = try Harness()
        try h.greet()
        let result = h.submit(.uidFetch(UIDSet(values: [10, 11, 12]), [.uid, .flags], changedSince: nil))
        #expect(try h.written() == ["A0001 UID FETCH 10:12 (UID FLAGS)\r\n"])
        try h.feed("* 1 FETCH (UID 10 FLAGS (\\Seen))\r\n"
            + "* 2 FETCH (FLAGS (\\Deleted))\r\n"  // a flag change, no UID: unsolicited
            + "* 9 FETCH (UID 99 FLAGS ())\r\n"  // outside the set: unsolicited
            + "* 3 FETCH (UID 12 FLAGS ())\r\n"
            + "A0001 OK\r\n")
        #expect(result.value?.untagged == [
            .fetch(fetch(1, uid: 10, flags: [.seen])), .fetch(fetch(3, uid: 12, flags: [])),
        ])
        #expect(h.handler.takeEvents() == [.fetch(fetch(2, flags: [.deleted])), .fetch(fetch(9, uid: 99, flags: []))])
        #expect(h.handler.takeEvents().isEmpty)
    }

    @Test func uidFetchWithOpenRangeClaimsEveryUIDItMayReturn() throws {
        // `10:*` when the highest UID is 3 means `3:10` (RFC 3501 §6.4.8, §9 seq-range): the
        // server answers with UID 3, so any FETCH carrying a UID belongs to the command.
        let h = try Harness()
        try h.greet()
        let result = h.submit(.uidFetch(.from(10), [.flags], changedSince: nil))
        #expect(try h.written() == ["A0001 UID FETCH 10:* (FLAGS)\r\n"])
        try h.feed("* 4 FETCH (UID 5000 FLAGS ())\r\n* 1 FETCH (UID 3 FLAGS ())\r\n* 2 FETCH (FLAGS (\\Seen))\r\n"
            + "A0001 OK\r\n")
        #expect(result.value?.untagged == [.fetch(fetch(4, uid: 5000, flags: [])), .fetch(fetch(1, uid: 3, flags: []))])
        #expect(h.handler.takeEvents() == [.fetch(fetch(2, flags: [.seen]))])
    }

    @Test func onFetchReceivesClaimedFetchesInsteadOfTheResult() throws {
        let h = try Harness()
        try h.greet()
        var delivered: [FetchResponse] = []
        let result = h.submit(.uidFetch(UIDSet(values: [10, 11]), [.uid, .flags], changedSince: nil)) {
            delivered.append($0)
        }
        try h.feed("* 1 FETCH (UID 10 FLAGS (\\Seen))\r\n")
        #expect(delivered == [fetch(1, uid: 10, flags: [.seen])])  // handed over before the completion
        try h.feed("* 5 FETCH (FLAGS (\\Seen))\r\n* 2 FETCH (UID 11 FLAGS ())\r\nA0001 OK\r\n")
        #expect(delivered == [fetch(1, uid: 10, flags: [.seen]), fetch(2, uid: 11, flags: [])])
        #expect(result.value?.untagged == [])
        #expect(h.handler.takeEvents() == [.fetch(fetch(5, flags: [.seen]))])
    }

    @Test func aLargeLiteralHandedOverDoesNotKeepTheReceiveBufferLarge() throws {
        let h = try Harness()
        try h.greet()
        var delivered: [FetchResponse] = []
        let result = h.submit(.uidFetch(UIDSet(values: [10]), [.uid, .bodyPeek(section: "", partial: nil)], changedSince: nil)) {
            delivered.append($0)
        }
        let body = String(repeating: "a", count: 1 << 20)
        try h.feed("* 1 FETCH (UID 10 BODY[] {\(body.utf8.count)}\r\n\(body))\r\n* 2 EXISTS\r\n")
        // The literal is a slice of the buffer it arrived in; compacting that buffer in place
        // would copy its whole capacity (1 MB and more), and keep the copy.
        #expect(h.handler.buffer.capacity < 65_536, "capacity \(h.handler.buffer.capacity)")
        try h.feed("A0001 OK\r\n")
        #expect(result.value?.kind == .ok)
        let bytes = try #require(delivered.first?.body(section: "")?.bytes)
        #expect(bytes.readableBytes == 1 << 20 && bytes.readableBytesView.allSatisfy { $0 == UInt8(ascii: "a") })
    }

    @Test func mailboxUpdatesInsideFetchAndSearchBecomeEvents() throws {
        let h = try Harness()
        try h.greet()
        let search = h.submit(.uidSearch(.uid(.from(5)), returnOptions: nil))
        #expect(h.handler.newMailSignals == 0)
        try h.feed("* 5 EXISTS\r\n")
        #expect(h.handler.newMailSignals == 1)
        try h.feed("* 3 EXPUNGE\r\n* 2 RECENT\r\n* 4 FETCH (FLAGS (\\Seen))\r\n* SEARCH 7\r\nA0001 OK\r\n")
        #expect(search.value?.untagged == [.search([7], modSeq: nil)])
        let fetchCommand = h.submit(.uidFetch(UIDSet(values: [7]), [.uid, .flags], changedSince: nil))
        try h.feed("* 6 EXISTS\r\n* 1 FETCH (UID 7 FLAGS ())\r\n* 1 EXPUNGE\r\nA0002 OK\r\n")
        #expect(fetchCommand.value?.untagged == [.fetch(fetch(1, uid: 7, flags: []))])
        #expect(h.handler.takeEvents() == [
            .exists(5), .expunge(3), .recent(2), .fetch(fetch(4, flags: [.seen])), .exists(6), .expunge(1),
        ])
        #expect(h.handler.newMailSignals == 3)  // two EXISTS and one RECENT
        #expect(h.handler.takeEvents().isEmpty)
    }

    @Test func selectClaimsItsMailboxDataButStillSignalsMail() throws {
        let h = try Harness()
        try h.greet()
        let select = h.submit(.select(mailbox: "INBOX", condStore: false))
        try h.feed("* FLAGS (\\Seen \\Deleted)\r\n* 3 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] UIDs valid\r\n"
            + "A0001 OK [READ-WRITE] Select completed\r\n")
        #expect(select.value?.untagged == [
            .flags([.seen, .deleted]), .exists(3), .recent(0),
            .condition(StatusResponse(kind: .ok, code: .uidValidity(7), text: "UIDs valid")),
        ])
        #expect(h.handler.takeEvents().isEmpty)
        #expect(h.handler.newMailSignals > 0)  // SELECT's EXISTS still tells the sync to look
    }

    @Test func alertBecomesAnEventWithOrWithoutACommandInFlight() throws {
        let h = try Harness()
        try h.greet()
        try h.feed("* OK [ALERT] Disk quota nearly exceeded\r\n")
        let noop = h.submit(.noop)
        try h.feed("* NO [ALERT] Maintenance at 02:00\r\nA0001 OK\r\n")
        #expect(noop.value?.untagged == [])
        #expect(h.handler.takeEvents() == [.alert("Disk quota nearly exceeded"), .alert("Maintenance at 02:00")])
    }

    @Test func alertDuringSelectIsStillAnEvent() throws {
        // RFC 3501 §7.1: the ALERT text MUST be presented to the user; SELECT must not swallow it.
        let h = try Harness()
        try h.greet()
        let select = h.submit(.select(mailbox: "INBOX", condStore: false))
        try h.feed("* OK [ALERT] Mailbox is being migrated\r\n* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\nA0001 OK\r\n")
        #expect(h.handler.takeEvents() == [.alert("Mailbox is being migrated")])
        #expect(select.value?.untagged == [.exists(3), .condition(StatusResponse(kind: .ok, code: .uidValidity(7), text: "ok"))])
    }

    @Test func byeOutsideLogoutIsAnEventAndTheCloseCarriesItsText() throws {
        let h = try Harness()
        try h.greet()
        let noop = h.submit(.noop)
        let search = h.submit(.uidSearch(.all, returnOptions: nil))
        try h.feed("* BYE Server shutting down\r\n")
        #expect(h.handler.takeEvents() == [.bye("Server shutting down")])
        #expect(noop.isPending && search.isPending)
        h.channel.pipeline.fireChannelInactive()  // the server hangs up
        for outcome in [noop, search] {
            #expect(outcome.error?.code == .connectionClosed)
            #expect(outcome.error?.serverText == "Server shutting down")
        }
        #expect(h.submit(.noop).error?.code == .connectionClosed)
    }

    @Test func closeWithoutByeFailsPendingCommandsWithoutServerText() throws {
        let h = try Harness()
        try h.greet()
        let noop = h.submit(.noop)
        h.channel.pipeline.fireChannelInactive()
        #expect(noop.error?.code == .connectionClosed)
        #expect(noop.error?.serverText == nil)
    }

    @Test func byeDuringLogoutIsNotAnEvent() throws {
        let h = try Harness()
        try h.greet()
        let logout = h.submit(.logout)
        #expect(try h.written() == ["A0001 LOGOUT\r\n"])
        try h.feed("* BYE Logging out\r\nA0001 OK Logout completed.\r\n")
        #expect(logout.value?.kind == .ok)
        #expect(h.handler.takeEvents().isEmpty)
    }
}
