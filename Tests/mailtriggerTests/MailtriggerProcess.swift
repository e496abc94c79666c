import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `mailtrigger` binary: `MT_CLI_BINARY` (set by scripts/test.sh) or the default
/// debug path.
enum MailtriggerProcess {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["MT_CLI_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/mailtrigger").path
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], limit: Duration = .seconds(120)) throws -> Result {
        try run(program: binary, arguments, environment: environment, limit: limit)
    }

    /// Runs any program and collects its output, with posix_spawn and waitpid. Output goes
    /// through files, not pipes: a program that leaves a daemon behind (the test server
    /// script) would hold a pipe open and keep a reader waiting for ever; and Foundation's
    /// `Process` was seen to miss such a child's exit, leaving it a zombie and the test hung.
    static func run(program: String, _ arguments: [String], environment: [String: String] = [:],
                    limit: Duration = .seconds(120)) throws -> Result {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mt-process-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL)
        }
        // Bounded: the caller waits on a thread of the cooperative pool (two waits that never
        // end would stall every async test), so a command that hangs is killed and fails.
        var status: Int32 = 0
        let deadline = ContinuousClock.now + limit
        var killed = false
        while true {
            let ended = waitpid(pid, &status, WNOHANG)
            if ended == pid || (ended == -1 && errno != EINTR) { break }
            if !killed, ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                killed = true
            }
            usleep(killed ? 1000 : 5000)
        }
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let result = Result(status: exitStatus, output: read(base + ".out"),
                            error: read(base + ".err") + (killed ? "\n[killed: still running after \(limit)]" : ""))
        // scripts/test.sh scans every command's output for secrets (scripts/scan-secrets.py).
        if let transcript = ProcessInfo.processInfo.environment["MT_CLI_TRANSCRIPT"], let file = fopen(transcript, "a") {
            fputs("$ \(([program] + arguments).joined(separator: " ")) -> \(exitStatus)\n\(result.output)\(result.error)\n", file)
            fclose(file)
        }
        return result
    }
}
