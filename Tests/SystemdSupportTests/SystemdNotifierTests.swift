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
}
