import IMAPClient
import IMAPTestSupport
import Testing
import TriggerCore

@Suite("Connection probe", .enabled(if: DovecotEnvironment.shouldRun))
struct ConnectionProbeTests {
    func probe(_ env: DovecotEnvironment, password: String, authentication: ConnectionProbe.Authentication) -> ConnectionProbe {
        ConnectionProbe(configuration: IMAPClientConfiguration(host: env.host, port: env.tlsPort,
                                                               tls: .init(caFile: env.caFile)),
                        username: env.users[6], password: password, authentication: authentication)
    }

    @Test("Dovecot: the probe reports every mailbox with STATUS", arguments: ConnectionProbe.Authentication.allCases)
    func report(authentication: ConnectionProbe.Authentication) async throws {
        let env = try DovecotEnvironment.require()
        let report = try await probe(env, password: env.password, authentication: authentication).run()
        #expect(report.mechanism == (authentication == .login ? "LOGIN" : "AUTHENTICATE PLAIN"))
        #expect(report.capabilities.contains(.idle))
        let inbox = try #require(report.mailboxes.first { $0.listing.name == "INBOX" })
        #expect(inbox.status?.uidValidity != nil)
        #expect(report.mailboxes.contains { $0.listing.name == "Archive" })
    }

    @Test("Dovecot: the probe names the failing step")
    func failingStep() async throws {
        let env = try DovecotEnvironment.require()
        let failure = await #expect(throws: ConnectionProbe.Failure.self) {
            _ = try await probe(env, password: "wrong-password", authentication: .automatic).run()
        }
        #expect(failure?.step == .authenticate)
        #expect((failure?.error as? IMAPClientError)?.code == .authenticationFailed)
    }
}
