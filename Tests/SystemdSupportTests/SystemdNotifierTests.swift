import Glibc
import IMAPTestSupport
import SystemdSupport
import Testing

/// sd_notify against a real AF_UNIX datagram socket, as systemd provides one.
@Suite(.serialized)
struct SystemdNotifierTests {
    @Test func sendsStateToTheNotifySocket() throws {
        let socket = try DatagramSocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        #expect(SystemdNotifier().notify("READY=1\nSTATUS=watching 2 mailboxes"))
        let datagram = try #require(socket.receive())
        #expect(String(decoding: datagram, as: UTF8.self) == "READY=1\nSTATUS=watching 2 mailboxes")
    }

    @Test func withoutSystemdNothingIsSent() {
        unsetenv("NOTIFY_SOCKET")
        #expect(SystemdNotifier().notify("READY=1") == false)
        #expect(SystemdNotifier().watchdogIntervalMicroseconds == nil)
    }

    @Test func journalStreamIsDetectedOnlyForOurStandardError() {
        unsetenv("JOURNAL_STREAM")
        #expect(!JournalStream.isStandardErrorJournal)
        var info = stat()
        #expect(fstat(2, &info) == 0)
        setenv("JOURNAL_STREAM", "\(info.st_dev):\(info.st_ino)", 1)
        #expect(JournalStream.isStandardErrorJournal)
        setenv("JOURNAL_STREAM", "\(info.st_dev):\(info.st_ino &+ 1)", 1)
        #expect(!JournalStream.isStandardErrorJournal)
        unsetenv("JOURNAL_STREAM")
    }

    /// RELOADING=1 with the reload's start on CLOCK_MONOTONIC (sd_notify(3)).
    @Test func reloadingCarriesTheMonotonicClock() throws {
        let socket = try DatagramSocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let before = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        #expect(SystemdNotifier().reloading())
        let text = String(decoding: try #require(socket.receive()), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == "RELOADING=1", "\(text)")
        let usec = try #require(lines.last.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
        #expect(lines.last?.hasPrefix("MONOTONIC_USEC=") == true)
        #expect(usec >= before && usec - before < 5_000_000, "\(usec) vs \(before)")
    }

    /// The queue in front of sd_notify: a reader that falls behind blocks the queue's thread,
    /// never the caller; order is kept and status lines are coalesced. (In this suite: the
    /// tests share NOTIFY_SOCKET.)
    @Test func aReaderThatFallsBehindNeverBlocksTheCaller() async throws {
        let socket = try DatagramSocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let queue = NotificationQueue()
        // Nobody reads yet: a datagram socket holds net.unix.max_dgram_qlen (often 10) messages,
        // then sendmsg blocks. Sent straight from here, this would never return. The messages
        // carry a marker: a daemon another test spawns meanwhile may inherit NOTIFY_SOCKET.
        let started = ContinuousClock.now
        queue.send("MT_TEST=ready")
        for index in 1...1000 { queue.status("queue test line \(index)") }
        for _ in 1...50 { queue.send("MT_TEST=watchdog") }
        queue.send("MT_TEST=stopping")
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(!queue.flush(timeout: .milliseconds(300)), "the queue's thread waits on the full socket")

        let all = try await socket.messages { $0.contains("MT_TEST=stopping") }
        let messages = all.filter { $0.hasPrefix("MT_TEST=") || $0.hasPrefix("STATUS=queue test line ") }
        #expect(queue.flush())
        #expect(messages.first == "MT_TEST=ready")
        #expect(messages.last == "MT_TEST=stopping")
        #expect(messages.filter { $0 == "MT_TEST=watchdog" }.count == 50)
        let statuses = messages.filter { $0.hasPrefix("STATUS=") }
        #expect(!statuses.isEmpty && statuses.count < 100, "\(statuses.count) status datagrams for 1,000 lines")
        #expect(statuses.last == "STATUS=queue test line 1000")
        // Each line sent is newer than the one before.
        let numbers = statuses.compactMap { Int($0.dropFirst("STATUS=queue test line ".count)) }
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count)
    }
}
