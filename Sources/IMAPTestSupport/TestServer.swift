import Foundation

/// The IMAP servers the end-to-end suites run against: the private Dovecot
/// (`scripts/imap-test-server.sh`) and the private Cyrus IMAP (`scripts/cyrus-test-server.sh`),
/// each described by the variables its `env` command prints. Parameterised tests take
/// ``available`` as their arguments.
public enum TestServer: String, CaseIterable, Sendable, CustomStringConvertible {
    case dovecot
    case cyrus

    public var description: String { self == .dovecot ? "Dovecot" : "Cyrus" }

    /// The servers to test against: Dovecot always (a missing one fails the tests that need it),
    /// Cyrus when its variables are set or the integration tests are required
    /// (`scripts/test.sh` starts both).
    public static var available: [TestServer] {
        DovecotEnvironment.cyrus != nil || DovecotEnvironment.isRequired ? [.dovecot, .cyrus] : [.dovecot]
    }

    /// The server's environment, or an error saying how to start it.
    public func require() throws -> DovecotEnvironment {
        switch self {
        case .dovecot: return try DovecotEnvironment.require()
        case .cyrus:
            guard let cyrus = DovecotEnvironment.cyrus else { throw MissingCyrus() }
            return cyrus
        }
    }

    public struct MissingCyrus: Error, CustomStringConvertible {
        public var description: String {
            "interop tests need the private Cyrus IMAP: eval \"$(scripts/cyrus-test-server.sh env DIR)\" after start"
        }
    }
}

extension DovecotEnvironment {
    /// The private Cyrus IMAP (`MT_CYRUS_*`), in the same shape: users `mt1`…, one password,
    /// the same test CAs. It has no OAuth 2.0 set-up.
    public static let cyrus: DovecotEnvironment? = {
        let env = ProcessInfo.processInfo.environment
        guard let host = env["MT_CYRUS_HOST"], let tls = env["MT_CYRUS_TLS_PORT"].flatMap(Int.init),
              let plain = env["MT_CYRUS_PLAIN_PORT"].flatMap(Int.init), let password = env["MT_CYRUS_PASSWORD"],
              let ca = env["MT_CYRUS_CA_FILE"] else { return nil }
        let users = (env["MT_CYRUS_USERS"] ?? "").split(separator: " ").map(String.init)
        guard !users.isEmpty else { return nil }
        return DovecotEnvironment(host: host, tlsPort: tls, plainPort: plain, users: users, password: password,
                                  caFile: ca, otherCAFile: env["MT_CYRUS_OTHER_CA_FILE"] ?? "", oauthURL: nil)
    }()
}
