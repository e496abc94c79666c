import Foundation
import IMAPClient
import IMAPTestSupport
import Testing
import TriggerCore
#if canImport(Glibc)
import Glibc
#endif

/// Storage faults (issue 7): the state database deleted while the daemon is stopped, and the
/// state directory full or read-only while it runs. The daemon says what is wrong, loses
/// nothing, corrupts nothing, and carries on by itself once the disk is usable again.
///
/// The full and read-only disks are a small tmpfs mounted on the state directory, so these
/// two need the right to mount (root, as in CI); the unwritable one needs `chattr +i` (root,
/// ext4). Without them they are reported and skipped.
@Suite("Daemon storage faults", .serialized, .enabled(if: DovecotEnvironment.shouldRun))
struct DaemonStorageTests {
    @Test("Dovecot: a state database deleted while stopped starts afresh by the first-run policy, and says so")
    func databaseDeleted() async throws {
        let scenario = try await DaemonScenario.start(user: "mt3", prefix: "deleted-db")
        let (env, receiver, writer, mailbox, daemon) = (scenario.env, scenario.receiver, scenario.writer, scenario.mailbox, scenario.daemon)
        #expect(daemon.log.contains("new state database"), "a first start says it created the database")
        try await env.append(writer, to: mailbox, subject: "before")
        _ = try await receiver.waitForRequests(count: 1)
        #expect(try await daemon.stop() == 0)

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: "\(daemon.directory)/state/state.sqlite\(suffix)") }
        try await env.append(writer, to: mailbox, subject: "while stopped")
        try daemon.start(password: env.password)
        try await daemon.waitForLog("new state database", count: 2)
        try await daemon.waitForLog("first run: baseline set", count: 2)
        try await daemon.waitForLog("watching", count: 2)
        try await env.append(writer, to: mailbox, subject: "after")
        _ = try await receiver.waitForRequests(count: 2)
        try await Task.sleep(for: .milliseconds(500))
        // startFrom "new": what was there at the fresh start is the baseline, as on a first run.
        #expect(receiver.requests.map { $0.json["subject"] as? String } == ["before", "after"])
        #expect(try await daemon.stop() == 0)
        await scenario.cleanUp()
    }

    @Test("Dovecot: a full disk under the state directory stops ingesting without loss; the daemon recovers when space returns",
          .enabled(if: SmallDisk.canMount))
    func diskFull() async throws {
        try await withStateOnSmallDisk(user: "mt3", prefix: "disk-full") { scenario, disk in
            try disk.fill()
            try await outage(scenario, named: "disk full", error: "database or disk is full", mend: disk.free)
        }
    }

    @Test("Dovecot: a read-only state directory refuses the start clearly; the state is intact and used once it is writable",
          .enabled(if: SmallDisk.canMount))
    func readOnly() async throws {
        try await withStateOnSmallDisk(user: "mt3", prefix: "read-only") { scenario, disk in
            // A file system with files open for writing cannot turn read-only: stop first, as a
            // remount by the administrator (or the kernel after an I/O error) finds it.
            #expect(try await scenario.daemon.stop() == 0)
            try disk.remount(readOnly: true)
            try await scenario.env.append(scenario.writer, to: scenario.mailbox, subject: "while read-only")
            try scenario.daemon.start(password: scenario.env.password)
            let exit = try await scenario.daemon.waitForExit(timeout: .seconds(20))
            #expect(exit == .exited(73), "EX_CANTCREAT (\(exit))")
            #expect(scenario.daemon.log.contains("cannot open the state store in \(disk.path)"))
            #expect(scenario.daemon.log.contains("is not writable: Read-only file system"))
            try disk.remount(readOnly: false)
            try scenario.daemon.start(password: scenario.env.password)
            // The cursor survived: the message appended meanwhile is delivered, the first is not again.
            try await DaemonFlowTests.waitUntil("the message appended meanwhile delivered", timeout: .seconds(30)) { scenario.keys.count >= 2 }
            #expect(scenario.daemon.log.components(separatedBy: "new state database").count == 2, "created once, at the first start")
        }
    }

    /// The state turns unwritable while the daemon runs. A read-only remount is refused while
    /// the daemon holds its files open for writing (the kernel counts writers per mount), so
    /// the test does what a remount would do to each write: `chattr +i` on the directory and
    /// its files makes every write through the open descriptors fail (EPERM), and no file can
    /// be created. Then the same as for a full disk: the error is said, nothing is lost or
    /// sent twice, and the daemon carries on once the state is writable again.
    @Test("Dovecot: a state directory made unwritable while the daemon runs stops ingesting without loss; it recovers when writable",
          .enabled(if: ImmutableFiles.canSet))
    func unwritableWhileRunning() async throws {
        try await withState(user: "mt3", prefix: "unwritable", onSmallDisk: false) { scenario, state, _ in
            let paths = [state] + (try FileManager.default.contentsOfDirectory(atPath: state)).map { state + "/" + $0 }
            let locked = ImmutableFiles(paths: paths)
            try locked.set(true)
            try await outage(scenario, named: "state unwritable while running", error: "disk I/O error") { try locked.set(false) }
        }
    }

    /// Five messages arrive while the state cannot be written: the daemon logs `error` and
    /// keeps running; after `mend`, all five are delivered (the scenario's first message made six
    /// keys). The figures go to the fault report.
    func outage(_ scenario: DaemonScenario, named name: String, error: String, mend: () throws -> Void) async throws {
        for index in 0..<5 { try await scenario.env.append(scenario.writer, to: scenario.mailbox, subject: "\(name) \(index)") }
        try await scenario.daemon.waitForLog(error, timeout: .seconds(30))
        try await Task.sleep(for: .seconds(2))
        let meanwhile = scenario.receiver.requestCount - 1
        #expect(scenario.daemon.isRunning, "the daemon keeps running (\(name))")
        let mended = ContinuousClock.now
        try mend()
        try await DaemonFlowTests.waitUntil("every message delivered", timeout: .seconds(60)) { scenario.keys.count >= 6 }
        FaultReport.note("\(name): \(meanwhile) of 5 delivered meanwhile, all 5 within \(ContinuousClock.now - mended) of the mend")
    }

    /// A daemon whose state directory is a 2 MB tmpfs, one message delivered; `body` breaks the
    /// disk and mends it. Then: the daemon stops with 0, every key arrived once, and SQLite
    /// finds the database intact.
    func withStateOnSmallDisk(user: String, prefix: String, _ body: (DaemonScenario, SmallDisk) async throws -> Void) async throws {
        try await withState(user: user, prefix: prefix, onSmallDisk: true) { scenario, _, disk in try await body(scenario, disk!) }
    }

    /// The same with the state directory on the test directory's own file system, or on a
    /// small tmpfs (`onSmallDisk`); `body` gets the state directory's path.
    func withState(user: String, prefix: String, onSmallDisk: Bool,
                   _ body: (DaemonScenario, String, SmallDisk?) async throws -> Void) async throws {
        let env = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start()
        let writer = try await env.signedIn(user)
        let mailbox = try await writer.createFreshMailbox(prefix)
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url())", "timeout": "5s"}]}]"#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: user, mailboxes: [mailbox], flows: flows)])
        let state = daemon.directory + "/state"
        let disk = onSmallDisk ? try SmallDisk(path: state) : nil
        defer { disk?.unmount() }
        let scenario = DaemonScenario(env: env, user: user, receiver: receiver, writer: writer, mailbox: mailbox, daemon: daemon)
        try daemon.start(password: env.password)
        try await daemon.waitForLog("watching")
        try await env.append(writer, to: mailbox, subject: "before")
        _ = try await receiver.waitForRequests(count: 1)

        try await body(scenario, state, disk)

        try await Task.sleep(for: .milliseconds(500))
        #expect(receiver.requests.count == scenario.keys.count, "no message delivered twice")
        #expect(try await daemon.stop() == 0)
        #expect(try StateStore(path: daemon.directory + "/state/state.sqlite").integrityCheck() == ["ok"])
        await scenario.cleanUp()
    }
}

/// A 2 MB tmpfs mounted on a directory: filled to the last byte, freed, made read-only.
struct SmallDisk {
    let path: String
    var filler: String { path + "/filler" }

    /// Whether this process may mount one (root, or CAP_SYS_ADMIN); printed when not.
    static let canMount: Bool = {
        guard let probe = try? TestFiles.directory("mount-probe") else { return false }
        let mounted = Self.mount(probe, readOnly: false)
        if mounted { _ = try? MailtriggerProcess.run(program: "/bin/umount", [probe]) } else {
            print("storage fault tests skipped: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)")
        }
        return mounted
    }()

    static func mount(_ path: String, readOnly: Bool, remount: Bool = false) -> Bool {
        let options = "size=2m,mode=0700" + (readOnly ? ",ro" : ",rw") + (remount ? ",remount" : "")
        let result = try? MailtriggerProcess.run(program: "/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path])
        return result?.status == 0
    }

    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.mount(path, readOnly: false) else { throw DaemonHarness.HarnessError(description: "cannot mount a tmpfs on \(path)") }
    }

    /// Writes zeros until the file system is full (`ENOSPC`).
    func fill() throws {
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        guard errno == ENOSPC else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    func free() throws {
        try FileManager.default.removeItem(atPath: filler)
    }

    func remount(readOnly: Bool) throws {
        guard Self.mount(path, readOnly: readOnly, remount: true) else {
            throw DaemonHarness.HarnessError(description: "cannot remount \(path) \(readOnly ? "read-only" : "read-write")")
        }
    }

    func unmount() {
        _ = try? MailtriggerProcess.run(program: "/bin/umount", ["-l", path])
    }
}

/// `chattr +i`/`-i` (FS_IMMUTABLE_FL) on files and directories: an immutable file refuses
/// writes even through descriptors opened before, and an immutable directory refuses new
/// entries. Needs root (CAP_LINUX_IMMUTABLE) and a file system that checks the flag on write
/// (ext4).
struct ImmutableFiles {
    let paths: [String]

    /// Whether the flag can be set here and stops a write through a descriptor opened before
    /// (ext4 checks it on every write; tmpfs only when a file is opened).
    static let canSet: Bool = {
        guard let directory = try? TestFiles.directory("immutable-probe") else { return false }
        let path = directory + "/probe"
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(fd) }
        let probe = ImmutableFiles(paths: [path])
        var works = false
        if fd >= 0, (try? probe.set(true)) != nil {
            works = write(fd, "x", 1) < 0 && errno == EPERM
            try? probe.set(false)
        }
        if !works { print("unwritable-state test skipped: chattr +i does not stop writes here (needs root and ext4)") }
        return works
    }()

    func set(_ immutable: Bool) throws {
        let result = try MailtriggerProcess.run(program: "/usr/bin/chattr", [immutable ? "+i" : "-i"] + paths)
        guard result.status == 0 else {
            throw DaemonHarness.HarnessError(description: "chattr \(immutable ? "+i" : "-i") failed: \(result.error)")
        }
    }
}
