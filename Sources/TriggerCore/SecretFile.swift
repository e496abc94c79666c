import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a secret (a password, a client secret) from a file, as operators keep them: one line,
/// possibly followed by a newline. Errors name the file, never its contents.
public enum SecretFile {
    /// Why a secret could not be read.
    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot read secret from \(path): \(reason)" }
    }

    /// The file's contents without one trailing `\n` or `\r\n`.
    public static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ReadError(path: path, reason: exists ? "permission denied or not a regular file" : "no such file")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ReadError(path: path, reason: "not UTF-8 text")
        }
        // "\r\n" is one Character (grapheme cluster) in Swift: one removeLast() drops either ending.
        if text.last == "\r\n" || text.last == "\n" { text.removeLast() }
        guard !text.isEmpty else { throw ReadError(path: path, reason: "file is empty") }
        return text
    }

    /// Writes a secret (a refresh token from `oauth login`) as one line, readable by its owner
    /// only: into a new file beside the target, created with mode 0600, then renamed over it, so
    /// the daemon never reads half a token and the secret is never readable by others.
    public static func write(_ secret: String, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ReadError(path: path, reason: String(cString: strerror(errno))) }
        let bytes = Array((secret + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ReadError(path: path, reason: reason)
        }
    }
}
