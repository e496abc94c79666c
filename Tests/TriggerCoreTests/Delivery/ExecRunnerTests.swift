import Foundation
import Logging
import IMAPTestSupport
import Testing
@testable import TriggerCore

/// The exec contract (DESIGN.md §5) with real programs: small `/bin/sh` scripts and coreutils.
@Suite("Delivery: exec runner")
struct ExecRunnerTests {
    func action(_ command: [String], stdin: ExecAction.Stdin = .json, timeout: Duration = .seconds(20),
                environment: [String: SecretReference] = [:]) -> ExecAction {
        ExecAction(command: command, stdin: stdin, timeout: timeout, environment: environment)
    }

    func runner(_ logger: Logger = Logger(label: "test"), outputLimit: Int = 16 * 1024,
                killGrace: Duration = .seconds(5)) -> ExecRunner {
        ExecRunner(logger: logger, outputLimit: outputLimit, killGrace: killGrace)
    }

    /// `KEY=value` lines as a dictionary (values without newlines).
    func environment(in file: String) throws -> [String: String] {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return result
    }

    @Test func environmentIsMinimalAndCarriesTheMessage() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let output = directory.appendingPathComponent("env").path
        let script = try DeliveryFixtures.script(#"/usr/bin/env > "$1""#, in: directory)
        let hook = action([script, output], environment: [
            "API_BASE": "https://api.example.org", "MAILTRIGGER_SUBJECT": "overridden?", "mailtrigger_flow": "x",
        ])
        let result = await runner().run(hook, job: DeliveryFixtures.job())
        #expect(result == .succeeded)
        let env = try environment(in: output)
        #expect(env["PATH"] == "/usr/local/bin:/usr/bin:/bin")
        #expect(env["API_BASE"] == "https://api.example.org")
        #expect(env["MAILTRIGGER_PROFILE"] == "work")
        #expect(env["MAILTRIGGER_MAILBOX"] == "INBOX/Sub folder")
        #expect(env["MAILTRIGGER_UID"] == "42")
        #expect(env["MAILTRIGGER_UIDVALIDITY"] == "7")
        #expect(env["MAILTRIGGER_FLOW"] == "invoices")
        #expect(env["MAILTRIGGER_IDEMPOTENCY_KEY"] == "work/INBOX/Sub folder/7/42/invoices")
        #expect(env["MAILTRIGGER_MESSAGE_ID"] == "<m1@example.org>")
        #expect(env["MAILTRIGGER_SUBJECT"] == "Invoice 42")
        #expect(env["MAILTRIGGER_FROM"] == "alice@example.org")
        #expect(env["mailtrigger_flow"] == nil)
        // Nothing of the test runner's own environment leaks beyond the documented names.
        let allowed: Set<String> = ["PATH", "LANG", "TZ", "HOME", "API_BASE", "PWD", "SHLVL", "_"]
        let unexpected = env.keys.filter { !allowed.contains($0) && !$0.hasPrefix("MAILTRIGGER_") }
        #expect(unexpected.isEmpty, "\(unexpected)")
    }

    @Test func environmentBaseAndSanitising() throws {
        let job = DeliveryFixtures.job(payload: DeliveryFixtures.payload(subject: "a\0b" + String(repeating: "é", count: 3000)))
        let env = try ExecRunner.environment(
            for: action(["/bin/true"], environment: ["K": "v\0w", "BAD=NAME": "x", "": "y"]), job: job,
            inherited: ["LANG": "de_DE.UTF-8", "HOME": "/var/lib/mailtrigger", "AWS_SECRET_ACCESS_KEY": "leak", "PATH": "/opt/bin"])
        #expect(env["LANG"] == "de_DE.UTF-8")
        #expect(env["HOME"] == "/var/lib/mailtrigger")
        #expect(env["TZ"] == nil)
        #expect(env["AWS_SECRET_ACCESS_KEY"] == nil)
        #expect(env["PATH"] == "/usr/local/bin:/usr/bin:/bin")
        #expect(env["K"] == "vw")
        #expect(env["BAD=NAME"] == nil && env[""] == nil)
        let subject = try! #require(env["MAILTRIGGER_SUBJECT"])
        #expect(!subject.contains("\0"))
        #expect(subject.hasPrefix("abé"))
        #expect(subject.utf8.count <= 4096 && subject.utf8.count >= 4095, "cut at a character boundary")
    }

    /// Threat model U3/U5: a token for the hook comes from a file (or a variable, or a systemd
    /// credential) into its environment, which only its user and root can read, never into its
    /// world-readable command line; and a hook that prints it does not put it into the log or
    /// the failure reason.
    @Test func aSecretReachesTheHookEnvironmentOnlyAndIsRedactedFromItsOutput() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let tokenFile = directory.appendingPathComponent("token").path
        let token = "s3cret-hook-token"
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        let seen = directory.appendingPathComponent("seen").path
        // Records what the hook saw, then prints the token on both streams and fails.
        let script = try DeliveryFixtures.script(#"""
            { printf 'env=%s\n' "$HOOK_TOKEN"; printf 'from=%s\n' "$FROM_VARIABLE"
              printf 'cmdline='; tr '\0' ' ' < /proc/$$/cmdline; echo
              printf 'environ_mode='; stat -c %a /proc/$$/environ; } > "$1"
            echo "token is $HOOK_TOKEN"; echo "again: $HOOK_TOKEN" >&2; exit 3
            """#, in: directory)
        let hook = action([script, seen], environment: [
            "HOOK_TOKEN": .file(tokenFile), "FROM_VARIABLE": .environment("MT_TEST_HOOK_VARIABLE"), "PLAIN": "visible",
        ])
        let (logger, records) = RecordingLogHandler.logger()
        setenv("MT_TEST_HOOK_VARIABLE", "s3cret-hook-variable", 1)
        defer { unsetenv("MT_TEST_HOOK_VARIABLE") }
        let result = await runner(logger).run(hook, job: DeliveryFixtures.job())

        let lines = try String(contentsOfFile: seen, encoding: .utf8)
        #expect(lines.contains("env=\(token)\n"), "the file's content, its final newline trimmed: \(lines)")
        #expect(lines.contains("from=s3cret-hook-variable\n"))
        #expect(lines.contains("cmdline=/bin/sh \(script) \(seen)") || lines.contains("cmdline=\(script)"), "\(lines)")
        #expect(!lines.split(separator: "\n").first { $0.hasPrefix("cmdline=") }!.contains("s3cret"), "\(lines)")
        #expect(lines.contains("environ_mode=400"), "only the hook's user and root read its environment: \(lines)")
        guard case let .permanent(reason) = result else { Issue.record("\(result)"); return }
        #expect(reason.contains("again: [redacted]") && !reason.contains("s3cret"), "\(reason)")
        let logged = records.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(logged.contains("token is [redacted]"), "\(logged)")
        #expect(!logged.contains("s3cret"), "\(logged)")

        // Unreadable: retried (a mounted secret may come back), the reason names the file only.
        try FileManager.default.removeItem(atPath: tokenFile)
        let missing = await runner().run(hook, job: DeliveryFixtures.job())
        guard case let .retryable(why, _) = missing else { Issue.record("\(missing)"); return }
        #expect(why.contains("cannot read a secret of its environment") && why.contains(tokenFile), "\(why)")
    }

    @Test func hostileSubjectIsInertData() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let marker = "/tmp/mt-hostile-\(UUID().uuidString)"
        let second = marker + "-2"
        // Every shell metacharacter that could run something if a shell ever saw the subject
        // (kept harmless on purpose: it only creates marker files).
        let subject = "$(touch \(marker)); touch \(second) `touch \(second)` | touch \(second) && touch \(second) 'x\" #"
        let output = directory.appendingPathComponent("subject").path
        let script = try DeliveryFixtures.script(#"printf '%s' "$MAILTRIGGER_SUBJECT" > "$1""#, in: directory)
        let job = DeliveryFixtures.job(payload: DeliveryFixtures.payload(subject: subject))
        #expect(await runner().run(action([script, output, subject]), job: job) == .succeeded)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == subject)
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(!FileManager.default.fileExists(atPath: second))
    }

    @Test func argumentsArePassedVerbatim() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let output = directory.appendingPathComponent("args").path
        let script = try DeliveryFixtures.script(#"out="$1"; shift; printf '[%s]' "$@" > "$out""#, in: directory)
        let arguments = ["two words", "*", "$HOME", "", "a;b"]
        #expect(await runner().run(action([script, output] + arguments), job: DeliveryFixtures.job()) == .succeeded)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "[two words][*][$HOME][][a;b]")
    }

    @Test func aHookInheritsNoDescriptorButItsStandardStreams() async throws {
        // The daemon holds the state database, IMAP sockets and webhook connections. A file
        // opened without O_CLOEXEC stands for any of them: the hook must not get it.
        let directory = try DeliveryFixtures.temporaryDirectory()
        let output = directory.appendingPathComponent("fds").path
        let leaked = open(directory.appendingPathComponent("held-open").path, O_CREAT | O_RDWR, 0o600)
        #expect(leaked > 2)
        defer { close(leaked) }
        // The shell's descriptors with their targets, read before the output file is opened.
        let script = try DeliveryFixtures.script(#"info=$(ls -l /proc/$$/fd); printf '%s' "$info" > "$1""#, in: directory)
        #expect(await runner().run(action([script, output]), job: DeliveryFixtures.job()) == .succeeded)
        // "lr-x------ 1 root root 64 Nov 22 16:20 10 -> /tmp/…/hook.sh"
        let open = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap { line -> (Int, String)? in
            let parts = line.components(separatedBy: " -> ")
            guard parts.count == 2, let fd = parts[0].split(separator: " ").last.flatMap({ Int($0) }) else { return nil }
            return (fd, parts[1])
        }
        #expect(Set(open.map(\.0)).isSuperset(of: [0, 1, 2]), "\(open)")
        #expect(!open.contains { $0.0 == Int(leaked) }, "fd \(leaked) leaked into the hook: \(open)")
        // Beyond the standard streams only what the shell opened itself: its script, the pipe of
        // the command substitution.
        for (fd, target) in open where fd > 2 {
            #expect(target == script || target.hasPrefix("pipe:"), "fd \(fd) -> \(target)")
        }
    }

    @Test func stdinJSONIsThePayload() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let output = directory.appendingPathComponent("stdin").path
        let script = try DeliveryFixtures.script(#"cat > "$1""#, in: directory)
        let job = DeliveryFixtures.job()
        #expect(await runner().run(action([script, output], stdin: .json), job: job) == .succeeded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == job.payload)
    }

    @Test func stdinRawIsTheDecodedMessage() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let output = directory.appendingPathComponent("stdin").path
        let raw = Data("From: a@example.org\r\nSubject: =?UTF-8?B?w6k=?=\r\n\r\nbody \u{1F600}\r\n".utf8) + Data([0xFF, 0x00, 0x80])
        let job = DeliveryFixtures.job(payload: DeliveryFixtures.payload(raw: raw))
        let script = try DeliveryFixtures.script(#"cat > "$1""#, in: directory)
        #expect(await runner().run(action([script, output], stdin: .raw), job: job) == .succeeded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == raw)
    }

    @Test func stdinRawWithoutRawFieldIsPermanent() async throws {
        let result = await runner().run(action(["/bin/cat"], stdin: .raw), job: DeliveryFixtures.job())
        guard case let .permanent(reason) = result else { Issue.record("\(result)"); return }
        #expect(reason.contains("no raw message"))
    }

    @Test func stdinNoneIsDevNull() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let output = directory.appendingPathComponent("stdin").path
        let script = try DeliveryFixtures.script(#"cat > "$1"; readlink /proc/self/fd/0 > "$1.link""#, in: directory)
        #expect(await runner().run(action([script, output], stdin: .none), job: DeliveryFixtures.job()) == .succeeded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)).isEmpty)
        #expect(try String(contentsOfFile: output + ".link", encoding: .utf8) == "/dev/null\n")
    }

    @Test func programThatIgnoresLargeStdinSucceeds() async throws {
        let big = Data(repeating: UInt8(ascii: "x"), count: 4 * 1024 * 1024)
        let job = DeliveryFixtures.job(payload: DeliveryFixtures.payload(raw: big))
        let started = ContinuousClock.now
        #expect(await runner().run(action(["/bin/true"], stdin: .raw, timeout: .seconds(20)), job: job) == .succeeded)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func exitSeventyFiveIsRetryable() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let script = try DeliveryFixtures.script("echo 'database locked' >&2; exit 75", in: directory)
        let result = await runner().run(action([script]), job: DeliveryFixtures.job())
        #expect(result == .retryable("\(script): exit 75 (EX_TEMPFAIL): database locked", retryAfter: nil))
    }

    @Test func otherExitIsPermanentWithStderrExcerpt() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let long = String(repeating: "z", count: 500)
        let script = try DeliveryFixtures.script("echo 'out is only logged'; printf 'boom: bad\\tthing\\n%s\\n' \(long) >&2; exit 3",
                                                 in: directory)
        let (logger, records) = RecordingLogHandler.logger()
        let result = await runner(logger).run(action([script, "--token=ARGSECRET"]), job: DeliveryFixtures.job())
        guard case let .permanent(reason) = result else { Issue.record("\(result)"); return }
        #expect(reason.hasPrefix("\(script): exit 3: boom: bad thing zzz"))
        #expect(reason.count < 200 + script.count + 20, "the excerpt is short")
        #expect(!reason.contains("ARGSECRET"), "arguments may hold tokens")
        let stdout = try #require(records.all.first { $0.metadata["MT_STREAM"] == "stdout" })
        #expect(stdout.level == .info && stdout.message.contains("out is only logged"))
        #expect(stdout.metadata["MT_ACTION"] == "exec")
        let stderr = try #require(records.all.first { $0.metadata["MT_STREAM"] == "stderr" })
        #expect(stderr.level == .warning && stderr.message.contains("boom"))
    }

    @Test func deathBySignalIsPermanent() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let script = try DeliveryFixtures.script("kill -SEGV $$", in: directory)
        let result = await runner().run(action([script]), job: DeliveryFixtures.job())
        #expect(result == .permanent("\(script): killed by signal \(SIGSEGV) (SIGSEGV)"))
    }

    @Test func timeoutTerminatesTheProcessGroup() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let pids = directory.appendingPathComponent("pids").path
        // A child in the background and the script waiting on it: both must go.
        let script = try DeliveryFixtures.script("sleep 60 & echo $$ $! > \(pids); wait", in: directory)
        let started = ContinuousClock.now
        let result = await runner().run(action([script], timeout: .seconds(1)), job: DeliveryFixtures.job())
        let elapsed = ContinuousClock.now - started
        guard case let .retryable(reason, retryAfter) = result else { Issue.record("\(result)"); return }
        #expect(reason.hasPrefix("\(script): timed out after 1s"), "\(reason)")
        #expect(retryAfter == nil)
        // Well below the 60 s the script would take: it was stopped (room for a loaded CI).
        #expect(elapsed < .seconds(20), "\(elapsed)")
        let ids = try String(contentsOfFile: pids, encoding: .utf8).split(separator: " ").compactMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(ids.count == 2)
        try await Task.sleep(for: .milliseconds(200))
        for pid in ids { #expect(!DeliveryFixtures.isRunning(pid), "process \(pid) survived") }
    }

    @Test func programIgnoringSIGTERMIsKilledAfterGrace() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let pids = directory.appendingPathComponent("pids").path
        let script = try DeliveryFixtures.script("trap '' TERM; echo $$ > \(pids); while :; do sleep 1; done", in: directory)
        let started = ContinuousClock.now
        let result = await runner(killGrace: .seconds(1)).run(action([script], timeout: .seconds(1)), job: DeliveryFixtures.job())
        let elapsed = ContinuousClock.now - started
        #expect(result == .retryable("\(script): timed out after 1s (killed by SIGKILL after 1s grace)", retryAfter: nil))
        // At least timeout + grace. The upper bound only proves the kill (the program never ends
        // by itself): 2 s nominal, once 5.5 s while the whole suite loaded both cores in CI.
        #expect(elapsed >= .milliseconds(1900) && elapsed < .seconds(15), "\(elapsed)")
        let pid = try #require(Int32(try String(contentsOfFile: pids, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try await Task.sleep(for: .milliseconds(200))
        #expect(!DeliveryFixtures.isRunning(pid))
    }

    @Test func cancellationStopsTheProgramAndAsksForARetry() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let pids = directory.appendingPathComponent("pids").path
        let script = try DeliveryFixtures.script("echo $$ > \(pids); sleep 60", in: directory)
        let hook = action([script], timeout: .seconds(30))
        let started = ContinuousClock.now
        let run = Task { await runner(killGrace: .seconds(1)).run(hook, job: DeliveryFixtures.job()) }
        try await Task.sleep(for: .milliseconds(500))
        run.cancel()
        let result = await run.value
        #expect(result == .retryable("\(script): interrupted (mailtrigger is stopping)", retryAfter: nil))
        // Well below the 60 s the script would take: it was stopped (room for a loaded CI).
        #expect(ContinuousClock.now - started < .seconds(20))
        let pid = try #require(Int32(try String(contentsOfFile: pids, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try await Task.sleep(for: .milliseconds(200))
        #expect(!DeliveryFixtures.isRunning(pid))
    }

    @Test func hugeOutputIsDrainedAndCapped() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let script = try DeliveryFixtures.script("head -c 10000000 /dev/zero | tr '\\0' o; head -c 10000000 /dev/zero | tr '\\0' e >&2",
                                                 in: directory)
        let (logger, records) = RecordingLogHandler.logger()
        let started = ContinuousClock.now
        let result = await runner(logger, outputLimit: 1000).run(action([script], stdin: .none), job: DeliveryFixtures.job())
        #expect(result == .succeeded)
        #expect(ContinuousClock.now - started < .seconds(20))
        let stdout = try #require(records.all.first { $0.metadata["MT_STREAM"] == "stdout" })
        #expect(stdout.message.hasPrefix("stdout: " + String(repeating: "o", count: 1000) + "… (9999000 more bytes discarded)"))
        #expect(stdout.metadata["MT_DISCARDED_BYTES"] == "9999000")
        let stderr = try #require(records.all.first { $0.metadata["MT_STREAM"] == "stderr" })
        #expect(stderr.metadata["MT_DISCARDED_BYTES"] == "9999000")
    }

    @Test(.enabled(if: geteuid() == 0, "switching users needs root"))
    func aHookRunsAsTheConfiguredUserAndGroupOnly() async throws {
        let nobody = try #require(getpwnam("nobody")?.pointee)
        // In /tmp, not the tests' own directory (0700): writable by nobody, so the hook can
        // report who it runs as.
        let directory = "/tmp/mt-exec-user-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o777)
        let report = directory + "/id"
        var run = action(["/bin/sh", "-c", "{ id -u; id -g; id -G; } > \(report)"])
        run.runAs = ExecAction.RunAs(user: "nobody", uid: nobody.pw_uid, gid: nobody.pw_gid, groups: [nobody.pw_gid])
        #expect(await runner().run(run, job: DeliveryFixtures.job()) == .succeeded)
        let lines = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n")
        #expect(lines == ["\(nobody.pw_uid)", "\(nobody.pw_gid)", "\(nobody.pw_gid)"], "uid, gid, and no group of the daemon's")
    }

    @Test func aHookThatCannotRunAsItsUserSaysWhichUser() async throws {
        // A program in a directory only its owner may enter: the daemon finds it, nobody cannot
        // run it (as root: exec refused; otherwise the switch itself is refused).
        let directory = "/tmp/mt-exec-private-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "#!/bin/sh\nexit 0\n".write(toFile: directory + "/hook", atomically: true, encoding: .utf8)
        chmod(directory + "/hook", 0o755)
        var run = action([directory + "/hook"])
        run.runAs = ExecAction.RunAs(user: "nobody", uid: 65534, gid: 65534, groups: [])
        guard case let .permanent(reason) = await runner().run(run, job: DeliveryFixtures.job()) else { Issue.record("not permanent"); return }
        #expect(reason.contains("cannot run as user nobody (uid 65534, gid 65534)"), "\(reason)")
    }

    @Test func missingOrUnrunnableProgramIsPermanent() async throws {
        let directory = try DeliveryFixtures.temporaryDirectory()
        let missing = directory.appendingPathComponent("nope").path
        #expect(await runner().run(action([missing]), job: DeliveryFixtures.job()) == .permanent("\(missing): program not found"))
        let plain = directory.appendingPathComponent("plain.txt").path
        try "echo hi\n".write(toFile: plain, atomically: true, encoding: .utf8)
        #expect(await runner().run(action([plain]), job: DeliveryFixtures.job())
                == .permanent("\(plain): program is not executable"))
        #expect(await runner().run(action([directory.path]), job: DeliveryFixtures.job())
                == .permanent("\(directory.path): is a directory, not a program"))
        #expect(await runner().run(action(["true"]), job: DeliveryFixtures.job())
                == .permanent("true: the program must be an absolute path"))
        #expect(await runner().run(action([]), job: DeliveryFixtures.job()) == .permanent("exec action has an empty command"))
        // Executable bits but no valid interpreter: the kernel refuses it at exec time.
        let broken = try DeliveryFixtures.script("", in: directory, name: "broken")
        try "#!/nonexistent/interpreter\n".write(toFile: broken, atomically: false, encoding: .utf8)
        let result = await runner().run(action([broken]), job: DeliveryFixtures.job())
        guard case let .permanent(reason) = result else { Issue.record("\(result)"); return }
        #expect(reason.hasPrefix("\(broken): cannot run"), "\(reason)")
    }
}
