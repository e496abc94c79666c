/// One problem in the configuration, named by its JSON path
/// (`profiles[2].flows[0].match.subject.regex`).
public struct ConfigurationIssue: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var path: String
    public var message: String
    public var severity: Severity

    public init(_ path: String, _ message: String, severity: Severity = .error) {
        self.path = path
        self.message = message
        self.severity = severity
    }

    public var description: String {
        (severity == .warning ? "warning: " : "") + (path.isEmpty ? message : "\(path): \(message)")
    }
}

/// The configuration could not be loaded: every error found, not just the first.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var issues: [ConfigurationIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
