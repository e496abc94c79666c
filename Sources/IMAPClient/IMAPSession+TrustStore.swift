public import NIOSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension IMAPSession {
    /// The system trust store, read lazily where the system allows it.
    ///
    /// swift-nio-ssl's default parses the whole system bundle (about 140 certificates, 1.7 MB of
    /// heap, for as long as the process lives). Where the system also keeps a hashed certificate
    /// directory — `<subject-hash>.0` links made by `update-ca-certificates` or `openssl rehash`,
    /// as on Debian, Ubuntu, Alpine and Arch — BoringSSL's directory lookup reads only the
    /// certificates a handshake asks for. The same certificates are trusted either way; without
    /// such a directory the default stays. Webhooks over `https` use it too.
    public static let systemTrustRoots: NIOSSLTrustRoots = trustRoots(directory: "/etc/ssl/certs")

    static func trustRoots(directory: String) -> NIOSSLTrustRoots {
        hasHashedCertificates(directory) ? .file(directory) : .default
    }

    /// Whether `directory` holds at least one `XXXXXXXX.N` entry (8 hex digits, a dot, a digit).
    static func hasHashedCertificates(_ directory: String) -> Bool {
        guard let stream = opendir(directory) else { return false }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if isHashedName(name) { return true }
        }
        return false
    }

    static func isHashedName(_ name: [UInt8]) -> Bool {
        guard name.count == 10, name[8] == UInt8(ascii: "."), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(name[9]) else {
            return false
        }
        return name[..<8].allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }
    }
}
