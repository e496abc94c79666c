import Foundation

/// Where a secret comes from (DESIGN.md §1): written inline, a file, an environment variable, or
/// a systemd credential (`LoadCredential=`, read from `$CREDENTIALS_DIRECTORY`). Its description
/// names the source, never the secret. Webhook header values and exec hook `env` values are
/// references too, so a receiver's token need not sit in the configuration (a string literal is
/// `.inline`).
public enum SecretReference: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    case inline(String)
    case file(String)
    case environment(String)
    case credential(String)

    public init(stringLiteral value: String) {
        self = .inline(value)
    }

    public var description: String {
        switch self {
        case .inline: return "inline secret"
        case let .file(path): return "file \(path)"
        case let .environment(name): return "environment variable \(name)"
        case let .credential(name): return "credential \(name)"
        }
    }

    /// Why a secret could not be read; names the source only.
    public struct ResolveError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the secret.
    public func resolve(environment: [String: String]? = nil) throws -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        switch self {
        case let .inline(text):
            return text
        case let .file(path):
            do { return try SecretFile.read(path) } catch { throw ResolveError(description: "\(error)") }
        case let .environment(name):
            guard let value = environment[name], !value.isEmpty else {
                throw ResolveError(description: "environment variable \(name) is not set or empty")
            }
            return value
        case let .credential(name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw ResolveError(description: "credential \(name): $CREDENTIALS_DIRECTORY is not set (systemd LoadCredential=)")
            }
            guard !name.contains("/") else { throw ResolveError(description: "credential name \(name) must not contain '/'") }
            do { return try SecretFile.read(directory + "/" + name) } catch { throw ResolveError(description: "\(error)") }
        }
    }

    /// Whether a header or variable of this name usually carries a credential
    /// (`Authorization`, `X-Api-Key`, `API_TOKEN`, …): its inline value makes the configuration
    /// file sensitive, and a receiver's echo of it is redacted.
    public static func isCredentialName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["auth", "token", "key", "secret", "password", "passwd", "cookie", "session"].contains { lowered.contains($0) }
    }

    /// The value, or nil when it is not written in the configuration.
    public var inlineValue: String? {
        if case let .inline(text) = self { text } else { nil }
    }

    /// A warning when a secret file can be read by users other than its owner.
    public func permissionWarning() -> String? {
        guard case let .file(path) = self,
              let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = attributes[.posixPermissions] as? Int, mode & 0o044 != 0 else { return nil }
        return "secret file \(path) is readable by other users (mode \(String(mode, radix: 8))); chmod 600 it"
    }
}
