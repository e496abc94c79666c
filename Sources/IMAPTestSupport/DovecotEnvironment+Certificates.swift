import Foundation
public import NIOSSL

extension DovecotEnvironment {
    /// Where `scripts/imap-test-server.sh` keeps its test CA and server certificates.
    public var tlsDirectory: String {
        (caFile as NSString).deletingLastPathComponent
    }

    /// A TLS server context presenting one of the test server certificates: `server` (valid,
    /// for localhost and 127.0.0.1), `expired` (localhost and 127.0.0.1, January 2025 only) or
    /// `wrong-host` (valid, for other.example only). All three are signed by the test CA.
    public func serverTLSContext(_ name: String) throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile("\(tlsDirectory)/\(name).pem").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: "\(tlsDirectory)/\(name).key", format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }
}
