import Foundation
import IMAPClient
import IMAPTestSupport
import NIOCore
import Testing

/// What the daemon shows (issue 7). Log and journal injection: text from mail senders reaches
/// the log through hook output and errors; in the daemon's text log it stays inert — one entry
/// per line, no raw control character, nothing a reader or a log shipper could take for a
/// second entry. Secrets: none in `/proc/<pid>/cmdline`, `status` or the log (scripts/test.sh
/// also scans every log the whole suite leaves, scripts/scan-secrets.py).
@Suite("Secrets and hostile text in the daemon's output", .enabled(if: DovecotEnvironment.shouldRun))
struct DaemonLogSafetyTests {
    @Test("Dovecot: CR/LF, a forged PRIORITY=0 line and ANSI escapes in a subject stay inert in the log")
    func hostileSubject() async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt4")
        let mailbox = try await writer.createFreshMailbox("log-injection")
        // The hook prints the decoded subject: the daemon logs a hook's output.
        let flows = #"[{"name": "echo", "actions": [{"type": "exec", "command": ["/usr/bin/printenv", "MAILTRIGGER_SUBJECT"]}]}]"#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt4", mailboxes: [mailbox], flows: flows)])
        try daemon.start(password: env.password)
        try await daemon.waitForLog("watching")

        // An encoded word decodes to CR/LF and escape sequences; a raw ESC sits in the header too.
        let decoded = "Invoice\r\nPRIORITY=0 forged entry \u{1B}[31mred\u{1B}[0m\u{1B}]0;title\u{7}"
        let encoded = "=?utf-8?b?\(Data(decoded.utf8).base64EncodedString())?= \u{1B}[2J"
        let message = "From: attacker@example.org\r\nTo: mt4@example.org\r\nSubject: \(encoded)\r\n"
            + "Message-ID: <log-injection@mailtrigger.test>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n"
        _ = try await writer.append(ByteBuffer(string: message), to: mailbox)
        try await daemon.waitForLog("stdout:")
        #expect(try await daemon.stop() == 0)

        let bytes = Array(daemon.log.utf8)
        #expect(!bytes.contains(0x1B), "no raw ESC in the log")
        #expect(!bytes.contains(0x07) && !bytes.contains(0x0D), "no raw BEL or CR")
        let lines = daemon.log.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("20") }, "every line is an entry of its own, starting with its time")
        #expect(!lines.contains { $0.hasPrefix("PRIORITY=") })
        let output = try #require(lines.first { $0.contains("stdout:") })
        #expect(output.contains(#"Invoice\r\nPRIORITY=0 forged entry \x1B[31mred\x1B[0m\x1B]0;title\x07"#), "\(output)")
        try? await writer.delete(mailbox)
        await writer.logout()
    }

    /// Threat model L1 at the daemon: with `--log-format journald`, the same hostile subject
    /// (printed by a hook) arrives as one journal entry whose MESSAGE holds it as binary-safe
    /// data; the forged `PRIORITY=0` line is inside that value, never a field of its own.
    @Test("Dovecot: CR/LF and a forged PRIORITY=0 line in a subject stay inside one journal field",
          .enabled(if: JournalStandIn.isPossible))
    func hostileSubjectInTheJournal() async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt4")
        let mailbox = try await writer.createFreshMailbox("journal-injection")
        let journal = try await JournalStandIn.acquire()
        defer { journal.release() }
        let flows = #"[{"name": "echo", "actions": [{"type": "exec", "command": ["/usr/bin/printenv", "MAILTRIGGER_SUBJECT"]}]}]"#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt4", mailboxes: [mailbox], flows: flows)])
        try daemon.start(password: env.password, arguments: ["--log-format", "journald"])
        _ = try await journal.entries(until: { $0.contains { $0.name == "MESSAGE" && $0.value.hasPrefix("watching") } })

        let decoded = "Invoice\r\nPRIORITY=0\nSYSLOG_IDENTIFIER=forged\nMESSAGE=forged entry"
        let message = "From: attacker@example.org\r\nTo: mt4@example.org\r\n"
            + "Subject: =?utf-8?b?\(Data(decoded.utf8).base64EncodedString())?=\r\n"
            + "Message-ID: <journal-injection@mailtrigger.test>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n"
        _ = try await writer.append(ByteBuffer(string: message), to: mailbox)
        _ = try await journal.entries(until: { $0.contains { $0.name == "MT_STREAM" && $0.value == "stdout" } })
        #expect(try await daemon.stop() == 0)

        let entries = journal.entries
        #expect(!entries.contains { $0.first?.name == "UNPARSEABLE" }, "every datagram follows the native protocol")
        #expect(entries.allSatisfy { entry in entry.filter { $0.name == "PRIORITY" }.count == 1 }, "one PRIORITY per entry")
        #expect(!entries.contains { entry in entry.contains { $0.name == "SYSLOG_IDENTIFIER" && $0.value == "forged" } })
        let output = try #require(entries.first { entry in entry.contains { $0.name == "MT_STREAM" && $0.value == "stdout" } })
        let fields = Dictionary(output, uniquingKeysWith: { first, _ in first })
        #expect(fields["MESSAGE"] == "stdout: " + decoded + "\n", "the subject, line breaks and all, is the value of MESSAGE")
        #expect(fields["PRIORITY"] == "6")
        #expect(fields["SYSLOG_IDENTIFIER"] == "mailtrigger")
        #expect(daemon.log.isEmpty, "nothing on standard error in journald format: \(daemon.log)")
        try? await writer.delete(mailbox)
        await writer.logout()
    }

    /// The receiver's token and the hook's key come from secret references (threat model U3,
    /// U5); the hook prints its key, which the log shows redacted. scripts/test.sh scans the
    /// suite's logs for these values too.
    @Test("Dovecot: no secret in the daemon's /proc/<pid>/cmdline, its status output or its log")
    func secretsStayOutOfProcAndStatus() async throws {
        let env = try DovecotEnvironment.require()
        let writer = try await env.signedIn("mt4")
        let mailbox = try await writer.createFreshMailbox("proc-secrets")
        let receiver = try await WebhookReceiver.start()
        let signingKey = "s3cret-signing-key", receiverToken = "s3cret-receiver-token", hookKey = "s3cret-hook-key"
        let keyFile = try TestFiles.directory("mt-proc-secrets") + "/hook-key"
        #expect(FileManager.default.createFile(atPath: keyFile, contents: Data((hookKey + "\n").utf8), attributes: [.posixPermissions: 0o600]))
        let flows = #"""
            [{"name": "all", "actions": [
              {"type": "webhook", "url": "\#(receiver.url())", "secret": "\#(signingKey)",
               "headers": {"Authorization": {"env": "MT_TEST_RECEIVER_TOKEN"}}},
              {"type": "exec", "command": ["/bin/sh", "-c", "echo \"key: $HOOK_KEY\"; tr '\\0' ' ' < /proc/$$/cmdline"],
               "env": {"HOOK_KEY": {"file": "\#(keyFile)"}}}]}]
            """#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt4", mailboxes: [mailbox], flows: flows)])
        try daemon.start(password: env.password, environment: ["MT_TEST_RECEIVER_TOKEN": "Bearer " + receiverToken])
        try await daemon.waitForLog("watching")
        try await env.append(writer, to: mailbox, subject: "signed")
        let requests = try await receiver.waitForRequests(count: 1)
        #expect(requests[0].headers.contains { $0.name == "Authorization" && $0.value == "Bearer " + receiverToken })
        try await daemon.waitForLog("key: [redacted]")

        let pid = try #require(daemon.pid)
        let cmdline = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data(), as: UTF8.self)
        #expect(cmdline.contains("run"), "the command line was read: \(cmdline)")
        let status = try daemon.command(["status"])
        #expect(try await daemon.stop() == 0)
        let hookLine = try #require(daemon.log.split(separator: "\n").first { $0.contains("key: [redacted]") })
        #expect(hookLine.contains("/bin/sh -c echo"), "the hook's own command line was printed: \(hookLine)")
        for secret in [env.password, signingKey, receiverToken, hookKey] {
            #expect(!cmdline.contains(secret))
            #expect(!status.output.contains(secret) && !status.error.contains(secret))
            #expect(!daemon.log.contains(secret), "\(secret) logged")
        }
        try? await writer.delete(mailbox)
        await writer.logout()
        await receiver.stop()
    }
}
