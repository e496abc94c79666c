import Foundation
import IMAPClient
import IMAPCore
import IMAPTestSupport
import Logging
import NIOCore
import Testing
@testable import TriggerCore

/// Builders shared by the TriggerCore tests: profiles from real configuration JSON, stores in
/// temporary directories, and sessions on the private Dovecot.
enum TriggerTestSupport {
    /// A profile read through the real configuration reader. `flows` and `extra` are JSON
    /// fragments; the server is the private Dovecot when `env` is given.
    static func profile(name: String = "p", user: String = "mt1", mailboxes: [String] = ["INBOX"], flows: String,
                        extra: String = "", env: DovecotEnvironment? = nil, stateDirectory: String = "/tmp") throws -> Profile {
        try configuration(profiles: [profileJSON(name: name, user: user, mailboxes: mailboxes, flows: flows, extra: extra, env: env)],
                          stateDirectory: stateDirectory).profiles[0]
    }

    static func profileJSON(name: String = "p", user: String = "mt1", mailboxes: [String] = ["INBOX"], flows: String,
                            extra: String = "", env: DovecotEnvironment? = nil) -> String {
        let server = env.map { #"{"host": "\#($0.host)", "port": \#($0.tlsPort), "tls": {"caFile": "\#($0.caFile)"}, "timeout": "10s"}"# }
            ?? #"{"host": "127.0.0.1"}"#
        let mailboxList = mailboxes.map { "\"\($0)\"" }.joined(separator: ", ")
        return #"""
        {"name": "\#(name)", "server": \#(server),
         "auth": {"method": "password", "username": "\#(user)", "password": "\#(env?.password ?? "x")"},
         "mailboxes": [\#(mailboxList)], \#(extra.isEmpty ? "" : extra + ",") "flows": \#(flows)}
        """#
    }

    static func configuration(profiles: [String], stateDirectory: String, delivery: String? = nil) throws -> Configuration {
        let json = #"{"stateDirectory": "\#(stateDirectory)", \#(delivery.map { "\"delivery\": \($0)," } ?? "") "profiles": [\#(profiles.joined(separator: ","))]}"#
        let loaded = Configuration.parse(Array(json.utf8))
        guard let configuration = loaded.configuration else {
            Issue.record("invalid test configuration: \(loaded.errors)")
            throw ConfigurationInvalid()
        }
        return configuration
    }

    struct ConfigurationInvalid: Error {}

    static func temporaryDirectory(_ prefix: String = "mt-test") throws -> String {
        try TestFiles.directory(prefix)
    }

    static func temporaryStore() throws -> StateStore {
        try StateStore(path: temporaryDirectory("mt-state") + "/state.sqlite")
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }
}

extension DovecotEnvironment {
    /// A signed-in session for `user`.
    func signedIn(_ user: String) async throws -> IMAPSession {
        let session = try await IMAPSession.connect(IMAPClientConfiguration(host: host, port: tlsPort, tls: .init(caFile: caFile)))
        try await session.login(username: user, password: password)
        return session
    }

    /// Appends a test message; returns its UID.
    @discardableResult
    func append(_ session: IMAPSession, to mailbox: String, subject: String, from: String = "sender@example.org",
                body: String = "Hello.", messageID: String? = nil) async throws -> UInt32 {
        let text = Self.message(subject: subject, body: body, from: from, messageID: messageID)
        return try await session.append(ByteBuffer(string: text), to: mailbox)?.uid ?? 0
    }
}
