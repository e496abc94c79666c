import Glibc
import SystemdSupport
import Testing

/// sd_notify against a real AF_UNIX datagram socket, as systemd provides one.
@Suite(.serialized)
struct SystemdNotifierTests {
    @Test func sendsStateToTheNotifySocket() throws {
        let path = "/tmp/mt-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer {
            close(fd)
            unlink(path)
            unsetenv("NOTIFY_SOCKET")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        setenv("NOTIFY_SOCKET", path, 1)
        #expect(SystemdNotifier().notify("READY=1\nSTATUS=watching 2 mailboxes"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(count > 0)
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) == "READY=1\nSTATUS=watching 2 mailboxes")
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
