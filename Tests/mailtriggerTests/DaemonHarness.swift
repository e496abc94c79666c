import Foundation
import IMAPClient
import IMAPCore
import IMAPTestSupport
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A real `mailtrigger run` process with its own configuration and state directory, for
/// end-to-end tests against the private Dovecot and a real webhook receiver.
final class DaemonHarness: @unchecked Sendable {
    let directory: String
    let configPath: String
    let logPath: String
    private(set) var process: Process?
    /// The IMAP password given to the last `start`, for CLI commands against the same server.
    private(set) var password: String?

    /// `profiles` are JSON objects; `delivery` the optional `delivery` object.
    init(profiles: [String], delivery: String? = #"{"initialRetryDelay": "1s", "maxRetryDelay": "2s", "drainTimeout": "5s"}"#) throws {
        directory = try TestFiles.directory("mt-daemon")
        configPath = directory + "/config.json"
        logPath = directory + "/daemon.log"
        try writeConfiguration(profiles: profiles, delivery: delivery)
    }

    /// (Re)writes the configuration file: a reload (SIGHUP) reads it again.
    func writeConfiguration(profiles: [String], delivery: String? = #"{"initialRetryDelay": "1s", "maxRetryDelay": "2s", "drainTimeout": "5s"}"#) throws {
        let json = #"{"stateDirectory": "\#(directory)/state", \#(delivery.map { "\"delivery\": \($0)," } ?? "") "profiles": [\#(profiles.joined(separator: ",\n"))]}"#
        try json.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// The local ports of the daemon's TCP connections to `port` on loopback, read from
    /// /proc: its socket descriptors matched with the kernel's connection table.
    func connections(toPort port: Int) -> Set<Int> {
        guard let pid = process?.processIdentifier else { return [] }
        let fdDirectory = "/proc/\(pid)/fd"
        var inodes: Set<String> = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: fdDirectory)) ?? [] {
            var buffer = [CChar](repeating: 0, count: 256)
            let length = readlink(fdDirectory + "/" + name, &buffer, buffer.count - 1)
            guard length > 0 else { continue }
            let target = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard target.hasPrefix("socket:[") else { continue }
            inodes.insert(String(target.dropFirst(8).dropLast()))
        }
        var ports: Set<Int> = []
        for table in ["/proc/\(pid)/net/tcp", "/proc/\(pid)/net/tcp6"] {
            // Read to the end: String(contentsOfFile:) stops after the first page of a /proc file.
            let text = String(decoding: FileHandle(forReadingAtPath: table)?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                let fields = line.split(separator: " ")
                guard fields.count > 9, inodes.contains(String(fields[9])), fields[3] == "01",
                      let remote = fields[2].split(separator: ":").last, Int(remote, radix: 16) == port,
                      let local = fields[1].split(separator: ":").last, let localPort = Int(local, radix: 16) else { continue }
                ports.insert(localPort)
            }
        }
        return ports
    }

    /// A profile on the private Dovecot (implicit TLS, the test CA).
    /// `auth`: the auth object; by default the password, from the environment. `server`: the
    /// server object, by default the private Dovecot's TLS port.
    static func profile(_ env: DovecotEnvironment, name: String = "test", user: String, mailboxes: [String],
                        flows: String, extra: String = "", port: Int? = nil, auth: String? = nil, server: String? = nil) -> String {
        #"""
        {"name": "\#(name)", "server": \#(server ?? #"{"host": "\#(env.host)", "port": \#(port ?? env.tlsPort), "tls": {"caFile": "\#(env.caFile)"}, "timeout": "5s"}"#),
         "auth": \#(auth ?? #"{"method": "password", "username": "\#(user)", "password": {"env": "MT_TEST_IMAP_PASSWORD"}}"#),
         "mailboxes": [\#(mailboxes.map { "\"\($0)\"" }.joined(separator: ", "))], \#(extra.isEmpty ? "" : extra + ",")
         "flows": \#(flows)}
        """#
    }

    /// Starts the daemon; stderr goes to the log file (appended across restarts). `launcher`: a
    /// command that runs it (say `prlimit --nofile=…`), ending in the program's place; by
    /// default `$MT_DAEMON_LAUNCHER`, split at spaces (say `heaptrack -o /tmp/ht`, to profile
    /// the daemon a test runs); `arguments`: more options of `run`.
    func start(password: String, environment extra: [String: String] = [:], launcher: [String] = [],
               arguments: [String] = []) throws {
        self.password = password
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let process = Process()
        let launcher = launcher.isEmpty
            ? (ProcessInfo.processInfo.environment["MT_DAEMON_LAUNCHER"] ?? "").split(separator: " ").map(String.init)
            : launcher
        let command = launcher + [MailtriggerProcess.binary, "run", "--config", configPath, "--log-level", "debug"] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        // A notify socket another test of this process has set is not this daemon's.
        environment["NOTIFY_SOCKET"] = nil
        environment["WATCHDOG_USEC"] = nil
        environment["MT_TEST_IMAP_PASSWORD"] = password
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
    }

    var isRunning: Bool { process?.isRunning ?? false }

    var pid: Int32? { process?.processIdentifier }

    /// The running daemon's peak resident set so far (`VmHWM` of /proc/<pid>/status), in KiB.
    var peakResidentKiB: Int? { status("VmHWM") }

    /// The running daemon's resident set now (`VmRSS`), in KiB.
    var residentKiB: Int? { status("VmRSS") }

    private func status(_ field: String) -> Int? {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }

    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Waits until the log has `count` lines containing `text`.
    func waitForLog(_ text: String, count: Int = 1, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.components(separatedBy: "\n").filter({ $0.contains(text) }).count >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError(description: "no \(count)× \"\(text)\" in the daemon log within \(timeout):\n\(log.suffix(3000))")
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    func stop(timeout: Duration = .seconds(20)) async throws -> Int32 {
        guard let process else { return 0 }
        self.process = nil
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw HarnessError(description: "the daemon did not stop within \(timeout) of SIGTERM")
        }
        return process.terminationStatus
    }

    /// How a daemon process ended.
    enum Exit: Equatable, CustomStringConvertible {
        case exited(Int32)
        /// By SIGKILL (a crash seam, or `kill -9`).
        case killed
        case signal(Int32)
        /// Still running when the wait ended.
        case running

        var description: String {
            switch self {
            case let .exited(status): "exited with \(status)"
            case .killed: "killed by SIGKILL"
            case let .signal(number): "killed by signal \(number)"
            case .running: "still running"
            }
        }
    }

    /// Waits for the daemon to end by itself, up to `timeout`; when it does not, it is killed
    /// (and `.running` returned).
    func waitForExit(timeout: Duration) async throws -> Exit {
        guard let process else { return .running }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning {
            try await crash()
            return .running
        }
        self.process = nil
        switch process.terminationReason {
        case .exit: return .exited(process.terminationStatus)
        case .uncaughtSignal: return process.terminationStatus == SIGKILL ? .killed : .signal(process.terminationStatus)
        @unknown default: return .signal(process.terminationStatus)
        }
    }

    /// `kill -9`: no chance to clean up.
    func crash() async throws {
        guard let process else { return }
        self.process = nil
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// Runs a CLI command against this daemon's configuration.
    func command(_ arguments: [String]) throws -> MailtriggerProcess.Result {
        try MailtriggerProcess.run(arguments + ["--config", configPath],
                                   environment: ["MT_TEST_IMAP_PASSWORD": password ?? DovecotEnvironment.current?.password ?? ""])
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    struct HarnessError: Error, CustomStringConvertible {
        var description: String
    }
}

extension DovecotEnvironment {
    func signedIn(_ user: String, port: Int? = nil) async throws -> IMAPSession {
        let session = try await IMAPSession.connect(IMAPClientConfiguration(host: host, port: port ?? tlsPort, tls: .init(caFile: caFile)))
        try await session.login(username: user, password: password)
        return session
    }

    @discardableResult
    func append(_ session: IMAPSession, to mailbox: String, subject: String, from: String = "sender@example.org",
                body: String = "Hello.") async throws -> UInt32 {
        try await session.append(ByteBuffer(string: Self.message(subject: subject, body: body, from: from)), to: mailbox)?.uid ?? 0
    }

    /// The flags of one message.
    func flags(_ session: IMAPSession, mailbox: String, uid: UInt32) async throws -> [Flag]? {
        _ = try await session.select(mailbox, readOnly: true)
        return try await session.uidFetch(UIDSet(values: [uid]), items: [.flags]).first { $0.uid == uid }?.flags
    }
}

extension WebhookReceiver.Request {
    /// The JSON body as a dictionary.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
    }
}

/// The common end-to-end set-up: a fresh mailbox of `user`, a webhook receiver, and a daemon
/// whose one flow `all` posts every message to the receiver, started and watching.
struct DaemonScenario {
    let env: DovecotEnvironment
    let user: String
    let receiver: WebhookReceiver
    let writer: IMAPSession
    let mailbox: String
    let daemon: DaemonHarness

    static func start(user: String, prefix: String, response: WebhookReceiver.Response = .ok, webhookTimeout: String = "10s",
                      extra: String = "", server: TestServer = .dovecot) async throws -> DaemonScenario {
        let env = try server.require()
        let receiver = try await WebhookReceiver.start(defaultResponse: response)
        let writer = try await env.signedIn(user)
        let mailbox = try await writer.createFreshMailbox(prefix)
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url())", "timeout": "\#(webhookTimeout)"}]}]"#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: user, mailboxes: [mailbox], flows: flows, extra: extra)])
        try daemon.start(password: env.password)
        try await daemon.waitForLog("watching")
        return DaemonScenario(env: env, user: user, receiver: receiver, writer: writer, mailbox: mailbox, daemon: daemon)
    }

    /// The distinct idempotency keys the receiver got.
    var keys: Set<String> {
        Set(receiver.requests.compactMap { $0[header: "Idempotency-Key"] })
    }

    /// Deletes the mailbox (with a fresh session: the writer's may have been ended by the test)
    /// and stops the receiver. The daemon is stopped by the test, which checks its exit status.
    func cleanUp() async {
        await writer.logout()
        if let session = try? await env.signedIn(user) {
            try? await session.delete(mailbox)
            await session.logout()
        }
        await receiver.stop()
    }
}
