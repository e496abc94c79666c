import Foundation
@testable import IMAPClient
import IMAPTestSupport
import NIOSSL
import Testing

/// Certificates that must be refused, each with an error that says why: served by a TLS listener
/// on loopback with the test CA's `expired` and `wrong-host` certificates
/// (`scripts/imap-test-server.sh`), directly or after STARTTLS (`STARTTLSTestServer`).
@Suite("TLS: expired and wrong-host certificates", .enabled(if: DovecotEnvironment.shouldRun))
struct CertificateDiagnosisTests {
    func configuration(host: String, port: Int, caFile: String, security: IMAPSecurity = .tls) -> IMAPClientConfiguration {
        IMAPClientConfiguration(host: host, port: port, security: security, tls: .init(caFile: caFile),
                                connectTimeout: .seconds(5), commandTimeout: .seconds(5))
    }

    @Test func anExpiredCertificateIsRefusedAndSaidToHaveExpired() async throws {
        let env = try DovecotEnvironment.require()
        let server = try await WebhookReceiver.start(tls: try env.serverTLSContext("expired"))
        for host in ["localhost", "127.0.0.1"] {
            let error = await #expect(throws: IMAPClientError.self) {
                _ = try await IMAPSession.connect(configuration(host: host, port: server.port, caFile: env.caFile))
            }
            #expect(error?.code == .tlsFailure)
            #expect(error?.message.hasPrefix("the server certificate expired on 2025-02-01") == true, "\(String(describing: error))")
        }
        #expect(server.requestCount == 0)
        await server.stop()
    }

    @Test func aCertificateForAnotherHostIsRefusedAndSaidNotToMatch() async throws {
        let env = try DovecotEnvironment.require()
        let server = try await WebhookReceiver.start(tls: try env.serverTLSContext("wrong-host"))
        for host in ["localhost", "127.0.0.1"] {
            let error = await #expect(throws: IMAPClientError.self) {
                _ = try await IMAPSession.connect(configuration(host: host, port: server.port, caFile: env.caFile))
            }
            #expect(error?.code == .tlsFailure)
            #expect(error?.message.contains("does not match the host name") == true, "\(host): \(String(describing: error))")
        }
        await server.stop()
    }

    @Test func anUntrustedCertificateIsNotSaidToHaveExpired() async throws {
        let env = try DovecotEnvironment.require()
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration(host: env.host, port: env.tlsPort, caFile: env.otherCAFile))
        }
        #expect(error?.message.hasPrefix(IMAPClientHandler.untrusted) == true, "\(String(describing: error))")
    }

    @Test func anExpiredCertificateAfterSTARTTLSIsSaidToHaveExpiredAndNoCredentialIsSent() async throws {
        let env = try DovecotEnvironment.require()
        let server = try await STARTTLSTestServer.start(tls: try env.serverTLSContext("expired"))
        for host in ["localhost", "127.0.0.1"] {
            let error = await #expect(throws: IMAPClientError.self) {
                _ = try await IMAPSession.connect(configuration(host: host, port: server.port, caFile: env.caFile, security: .starttls))
            }
            #expect(error?.code == .tlsFailure)
            #expect(error?.message.hasPrefix("the server certificate expired on 2025-02-01") == true, "\(host): \(String(describing: error))")
        }
        // Two connections per attempt: the refused one, and the unverified one that fetched the
        // certificate for the diagnosis. Neither got further than the upgrade.
        let record = server.snapshot
        #expect(record.connections == 4)
        #expect(record.lines.contains { $0.uppercased().hasSuffix(" STARTTLS") })
        let commands = record.lines.map { $0.split(separator: " ").dropFirst().first.map { $0.uppercased() } ?? $0 }
        #expect(commands.allSatisfy { ["CAPABILITY", "STARTTLS", "LOGOUT"].contains($0) }, "no LOGIN, no AUTHENTICATE: \(record.lines)")
        await server.stop()
    }

    @Test func anUntrustedCertificateAfterSTARTTLSIsNotSaidToHaveExpired() async throws {
        let env = try DovecotEnvironment.require()
        let server = try await STARTTLSTestServer.start(tls: try env.serverTLSContext("server"))
        // The control: with its own CA the server is trusted, so the refusal below is the CA's doing.
        let session = try await IMAPSession.connect(configuration(host: "localhost", port: server.port, caFile: env.caFile, security: .starttls))
        await session.close()
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration(host: "localhost", port: server.port, caFile: env.otherCAFile, security: .starttls))
        }
        #expect(error?.code == .tlsFailure)
        #expect(error?.message.hasPrefix(IMAPClientHandler.untrusted) == true, "\(String(describing: error))")
        #expect(error?.message.contains("expired") == false)
        await server.stop()
    }

    @Test func theValidityPeriodIsReadFromTheCertificate() throws {
        let env = try DovecotEnvironment.require()
        let expired = try #require(try NIOSSLCertificate.fromPEMFile("\(env.tlsDirectory)/expired.pem").first)
        #expect(CertificateDiagnosis.validityProblem(expired) == "the server certificate expired on 2025-02-01 00:00 UTC")
        let january = Date(timeIntervalSince1970: 1_735_689_600 + 86_400)  // 2025-01-02
        #expect(CertificateDiagnosis.validityProblem(expired, now: january) == nil)
        let december = Date(timeIntervalSince1970: 1_735_689_600 - 86_400)  // 2024-12-31
        #expect(CertificateDiagnosis.validityProblem(expired, now: december) == "the server certificate is not valid before 2025-01-01 00:00 UTC")
        let valid = try #require(try NIOSSLCertificate.fromPEMFile("\(env.tlsDirectory)/server.pem").first)
        #expect(CertificateDiagnosis.validityProblem(valid) == nil)
    }
}
