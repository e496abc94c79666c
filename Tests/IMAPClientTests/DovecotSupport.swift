import IMAPClient
import IMAPCore
import IMAPTestSupport
import Logging
import NIOCore

/// Sessions against the private Dovecot of `scripts/imap-test-server.sh`.
extension DovecotEnvironment {
    func configuration(_ security: IMAPSecurity, caFile: String? = nil, verify: Bool = true) -> IMAPClientConfiguration {
        IMAPClientConfiguration(
            host: host, port: security == .tls ? tlsPort : plainPort, security: security,
            allowInsecure: security == .none || !verify,
            tls: .init(caFile: caFile ?? self.caFile, verify: verify),
            connectTimeout: .seconds(10), commandTimeout: .seconds(30))
    }

    /// A logged-in session.
    func session(_ security: IMAPSecurity = .tls, user: String? = nil) async throws -> IMAPSession {
        let session = try await IMAPSession.connect(configuration(security))
        try await session.login(username: user ?? users[0], password: password)
        return session
    }

    /// Creates a fresh mailbox, runs `body`, deletes the mailbox.
    func withMailbox<T>(_ session: IMAPSession, prefix: String = "test",
                        _ body: (String) async throws -> T) async throws -> T {
        let mailbox = try await session.createFreshMailbox(prefix)
        do {
            let result = try await body(mailbox)
            try? await session.delete(mailbox)
            return result
        } catch {
            try? await session.delete(mailbox)
            throw error
        }
    }
}

extension DovecotEnvironment {
    /// Two sessions of one user on a fresh mailbox that the watcher has selected: the writer
    /// delivers, the watcher observes.
    func withWatcherAndWriter(user: String,
                              _ body: (_ watcher: IMAPSession, _ writer: IMAPSession, _ mailbox: String) async throws -> Void) async throws {
        let watcher = try await session(user: user)
        let writer = try await session(user: user)
        try await withMailbox(watcher) { mailbox in
            _ = try await watcher.select(mailbox)
            try await body(watcher, writer, mailbox)
        }
        await writer.logout()
        await watcher.logout()
    }
}

extension ByteBuffer {
    init(message: String) { self.init(string: message) }
}
