import Foundation

/// The private Dovecot that `scripts/imap-test-server.sh` runs, as described by the variables
/// its `env` command prints. Integration tests run when these are set and must run when
/// `MT_REQUIRE_INTEGRATION=1` (set by `scripts/test.sh`), so a missing server is a failure, not
/// a silent skip.
public struct DovecotEnvironment: Sendable {
    public var host: String
    public var tlsPort: Int
    public var plainPort: Int
    public var users: [String]
    public var password: String
    public var caFile: String
    public var otherCAFile: String
    /// The OAuth 2.0 test server (`scripts/oauth-test-server.py`) whose tokens the server takes
    /// for XOAUTH2 and OAUTHBEARER, e.g. `http://127.0.0.1:10180`.
    public var oauthURL: String?

    /// The environment, or nil when the variables are not set.
    public static let current: DovecotEnvironment? = {
        let env = ProcessInfo.processInfo.environment
        guard let host = env["MT_IMAP_HOST"], let tls = env["MT_IMAP_TLS_PORT"].flatMap(Int.init),
              let plain = env["MT_IMAP_PLAIN_PORT"].flatMap(Int.init), let password = env["MT_IMAP_PASSWORD"],
              let ca = env["MT_IMAP_CA_FILE"] else { return nil }
        let users = (env["MT_IMAP_USERS"] ?? env["MT_IMAP_USER"] ?? "").split(separator: " ").map(String.init)
        guard !users.isEmpty else { return nil }
        return DovecotEnvironment(host: host, tlsPort: tls, plainPort: plain, users: users, password: password,
                                  caFile: ca, otherCAFile: env["MT_IMAP_OTHER_CA_FILE"] ?? "", oauthURL: env["MT_IMAP_OAUTH_URL"])
    }()

    /// Whether integration tests must run (a missing server then fails them).
    public static let isRequired = ProcessInfo.processInfo.environment["MT_REQUIRE_INTEGRATION"] == "1"

    /// Whether integration tests should be run at all.
    public static var shouldRun: Bool { current != nil || isRequired }

    /// The environment, or an error explaining how to start the server.
    public static func require() throws -> DovecotEnvironment {
        guard let current else { throw MissingServer() }
        return current
    }

    public struct MissingServer: Error, CustomStringConvertible {
        public var description: String {
            "integration tests need the private Dovecot: eval \"$(scripts/imap-test-server.sh env DIR)\" after start"
        }
    }

    /// A mailbox name no other test uses.
    public static func uniqueMailbox(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8))"
    }

    /// A small RFC 5322 message with CRLF line ends.
    public static func message(subject: String, body: String = "Hello.", from: String = "sender@example.org",
                               to: String = "mt1@example.org", messageID: String? = nil) -> String {
        let id = messageID ?? "<\(UUID().uuidString)@mailtrigger.test>"
        return "From: \(from)\r\nTo: \(to)\r\nSubject: \(subject)\r\nMessage-ID: \(id)\r\n"
            + "Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + body.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
    }
}
