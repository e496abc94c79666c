import Foundation
import IMAPTestSupport
import Testing

/// The `mailtrigger test-connection` binary against the private Dovecot.
@Suite("test-connection command", .enabled(if: DovecotEnvironment.shouldRun))
struct TestConnectionCommandTests {
    func run(_ arguments: [String]) throws -> MailtriggerProcess.Result {
        try MailtriggerProcess.run(arguments)
    }

    func passwordFile(_ content: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mt-pw-\(UUID().uuidString)").path
        try (content + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func arguments(_ env: DovecotEnvironment, security: String, passwordFile: String, caFile: String? = nil) -> [String] {
        ["test-connection", "--host", env.host, "--port", String(security == "tls" ? env.tlsPort : env.plainPort),
         "--user", env.users[0], "--password-file", passwordFile, "--security", security,
         "--ca-file", caFile ?? env.caFile]
    }

    @Test("Dovecot: test-connection lists mailboxes with counts and UIDVALIDITY", arguments: ["tls", "starttls", "none"])
    func success(security: String) throws {
        let env = try DovecotEnvironment.require()
        let password = try passwordFile(env.password)
        defer { try? FileManager.default.removeItem(atPath: password) }
        let result = try run(arguments(env, security: security, passwordFile: password))
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("Signed in as \(env.users[0])"))
        #expect(result.output.contains("Capabilities: IMAP4rev1"))
        #expect(result.output.contains("IDLE"))
        let inbox = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("INBOX ") })
        let columns = inbox.split(separator: " ")
        #expect(columns.count == 5, "INBOX MESSAGES UNSEEN UIDVALIDITY UIDNEXT: \(inbox)")
        #expect(columns.dropFirst().allSatisfy { UInt64($0) != nil })
        #expect(result.output.contains("Archive "))
        #expect(!result.output.contains(env.password))
    }

    @Test("Dovecot: test-connection names the failing step and exits non-zero")
    func failures() throws {
        let env = try DovecotEnvironment.require()
        let wrong = try passwordFile("not-the-password-123")
        let right = try passwordFile(env.password)
        defer {
            try? FileManager.default.removeItem(atPath: wrong)
            try? FileManager.default.removeItem(atPath: right)
        }
        let auth = try run(arguments(env, security: "tls", passwordFile: wrong))
        #expect(auth.status == 77)
        #expect(auth.error.contains("authenticate failed"))
        #expect(!auth.error.contains("not-the-password-123") && !auth.output.contains("not-the-password-123"))

        let tls = try run(arguments(env, security: "tls", passwordFile: right, caFile: env.otherCAFile))
        #expect(tls.status == 69)
        #expect(tls.error.contains("connect failed"))
        #expect(tls.error.contains("not trusted"))

        var refused = arguments(env, security: "tls", passwordFile: right)
        refused[refused.firstIndex(of: "--port")! + 1] = "1"
        let connect = try run(refused)
        #expect(connect.status == 69)
        #expect(connect.error.contains("connect failed"))

        let missing = try run(arguments(env, security: "tls", passwordFile: "/nonexistent/password"))
        #expect(missing.status == 66)
        #expect(missing.error.contains("no such file"))

        let usage = try run(["test-connection", "--host", env.host])
        #expect(usage.status == 64)
    }
}
