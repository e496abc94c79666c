import Foundation
import IMAPTestSupport
import NIOSSL
import Testing

@testable import IMAPClient

@Suite struct IMAPSessionTrustStoreTests {
    @Test(arguments: [("9d66eef0.0", true), ("002c0b4f.1", true), ("9D66EEF0.0", false), ("9d66eef0.pem", false),
                      ("9d66eef.0", false), ("ca-certificates.crt", false), ("9d66eef0.", false)])
    func hashedNames(name: String, hashed: Bool) {
        #expect(IMAPSession.isHashedName(Array(name.utf8)) == hashed)
    }

    private func temporaryDirectory(_ files: [String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mt-trust-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in files { _ = FileManager.default.createFile(atPath: directory + "/" + file, contents: Data()) }
        return directory
    }

    @Test func aDirectoryWithoutHashedCertificatesKeepsTheDefaultStore() throws {
        let directory = try temporaryDirectory(["ca-certificates.crt", "README"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(IMAPSession.trustRoots(directory: directory) == .default)
        #expect(IMAPSession.trustRoots(directory: directory + "/missing") == .default)
    }

    @Test func aHashedDirectoryIsReadLazily() throws {
        let directory = try temporaryDirectory(["README", "5ad8a5d6.0"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(IMAPSession.trustRoots(directory: directory) == .file(directory))
    }

    /// BoringSSL finds the server's CA through its `<subject-hash>.0` name alone: the lookup
    /// mailtrigger relies on for the system store works, and a directory without the CA fails.
    @Test("Dovecot: a hashed CA directory is enough to trust the server")
    func hashedDirectoryVerifiesTheServer() async throws {
        let env = try DovecotEnvironment.require()
        let hash = try Self.subjectHash(env.caFile)
        let trusted = try temporaryDirectory([])
        let other = try temporaryDirectory([])
        defer {
            try? FileManager.default.removeItem(atPath: trusted)
            try? FileManager.default.removeItem(atPath: other)
        }
        try FileManager.default.copyItem(atPath: env.caFile, toPath: "\(trusted)/\(hash).0")
        try FileManager.default.copyItem(atPath: env.otherCAFile, toPath: "\(other)/\(hash).0")
        for (directory, accepted) in [(trusted, true), (other, false)] {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(directory)
            let context = try NIOSSLContext(configuration: tls)
            let session = try await IMAPSession.connect(env.configuration(.none))
            do {
                try await session.startTLS(context, hostname: IMAPSession.sniHostname(env.host))
                #expect(accepted, "the CA of another directory was accepted")
            } catch {
                #expect(!accepted, "\(error)")
            }
            await session.close()
        }
    }

    /// `openssl x509 -subject_hash`: the name OpenSSL and BoringSSL look a CA up by.
    static func subjectHash(_ pemFile: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["x509", "-noout", "-subject_hash", "-in", pemFile]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
