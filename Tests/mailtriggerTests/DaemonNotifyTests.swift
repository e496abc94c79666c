import Foundation
import IMAPTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What `mailtrigger run` tells systemd (sd_notify(3)), read from a real AF_UNIX datagram socket
/// given as `NOTIFY_SOCKET`, as systemd provides one.
@Suite(.enabled(if: DovecotEnvironment.shouldRun))
struct DaemonNotifyTests {
    /// A bound datagram socket; `receive` collects what arrived within a while.
    final class NotifySocket: @unchecked Sendable {
        let path = "/tmp/mt-notify-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd: Int32
        var messages: [String] = []

        init() throws {
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// Reads what is waiting, until `done` holds for everything read or `timeout` passes.
        func receive(until done: ([String]) -> Bool, timeout: Duration = .seconds(20)) async throws {
            let deadline = ContinuousClock.now + timeout
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !done(messages), ContinuousClock.now < deadline {
                let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count > 0 {
                    messages.append(String(decoding: buffer.prefix(count), as: UTF8.self))
                } else {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    @Test("Dovecot: READY=1, then a status line kept current, then STOPPING=1 at SIGTERM")
    func notifySequence() async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt2")
        let mailbox = try await writer.createFreshMailbox("notify")
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#
        // A second profile whose server refuses connections: it backs off and is named.
        let refused = DaemonHarness.profile(env, name: "broken", user: "mt2", mailboxes: ["INBOX"], flows: flows, port: 9)
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt2", mailboxes: [mailbox], flows: flows),
                                                  refused])
        let notify = try NotifySocket()
        try daemon.start(password: env.password, environment: ["NOTIFY_SOCKET": notify.path])
        try await notify.receive { $0.contains { $0.contains("1 watching, 1 backing off (broken)") } }
        let messages = notify.messages
        #expect(messages.first == "READY=1", "\(messages)")
        #expect(messages.dropFirst().allSatisfy { $0.hasPrefix("STATUS=2 profiles, 2 mailboxes") }, "\(messages)")
        #expect(messages.contains("STATUS=2 profiles, 2 mailboxes: 1 watching, 1 backing off (broken); 0 queued"), "\(messages)")

        let process = try #require(daemon.process)
        kill(process.processIdentifier, SIGTERM)
        try await notify.receive { $0.contains("STOPPING=1") }
        #expect(notify.messages.last == "STOPPING=1", "\(notify.messages)")
        #expect(try await daemon.stop() == 0)
        try? await writer.delete(mailbox)
        await writer.logout()
    }
}
