import Foundation
import Testing

/// `run` raises its soft limit on open files to the hard one (a unit's default soft limit,
/// 1,024, is too few for a thousand watched mailboxes) and says so when even the hard limit is
/// too low for the configuration.
@Suite("open file limit")
struct OpenFileLimitTests {
    /// `count` profiles whose server refuses connections (port 9): the daemon runs and backs off.
    static func profiles(_ count: Int) -> [String] {
        (1...count).map { index in
            #"""
            {"name": "p\#(index)", "server": {"host": "127.0.0.1", "port": 9}, "auth": {"username": "u", "password": "pw"},
             "flows": [{"name": "f", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]}
            """#
        }
    }

    /// The soft limit of `pid` from /proc/<pid>/limits.
    static func softLimit(_ pid: Int32) -> Int? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("Max open files") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[3]) }
    }

    @Test("Started with 256 soft / 4096 hard, the daemon runs with 4096 and warns of nothing")
    func raisedToTheHardLimit() async throws {
        let daemon = try DaemonHarness(profiles: Self.profiles(2))
        try daemon.start(password: "", launcher: ["/usr/bin/prlimit", "--nofile=256:4096", "--"])
        // Stopped only once running: SIGTERM is trapped from the service group's start.
        try await daemon.waitForLog("backing off")
        let pid = try #require(daemon.pid)
        #expect(Self.softLimit(pid) == 4096)
        #expect(!daemon.log.contains("too few open files"))
        #expect(try await daemon.stop() == 0)
    }

    @Test("A hard limit below what the watched mailboxes need is named in a warning")
    func hardLimitTooLow() async throws {
        // 60 mailboxes need 60 + 2 × 8 (webhook connections) + 64 = 140 descriptors.
        let daemon = try DaemonHarness(profiles: Self.profiles(60))
        try daemon.start(password: "", launcher: ["/usr/bin/prlimit", "--nofile=100:120", "--"])
        try await daemon.waitForLog("too few open files")
        try await daemon.waitForLog("backing off")
        #expect(daemon.log.contains("MT_OPEN_FILES=120"))
        #expect(daemon.log.contains("MT_NEEDED=140"))
        #expect(try await daemon.stop() == 0)
    }
}
