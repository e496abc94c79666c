import Foundation

/// A webhook URL as failure reasons and logs may show it: `host:port` only, with every part that
/// can carry a credential (userinfo, path, query, fragment), the signing secret and secret header
/// values redacted from any text that might echo them (a receiver's error body, a library's error
/// message).
struct WebhookEndpoint: Sendable {
    /// `host:port` (the scheme's default port when none is written).
    let display: String
    /// Strings that must never appear in a reason, longest first.
    private let sensitive: [String]

    init(url: String, secrets: [String?]) {
        let components = URLComponents(string: url)
        let host = components?.host ?? "invalid-url"
        let defaultPort = components?.scheme?.lowercased() == "https" ? 443 : 80
        let port = components?.port ?? defaultPort
        display = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var sensitive: [String?] = secrets + [url, components?.percentEncodedUser, components?.percentEncodedPassword,
                                    components?.user, components?.password, components?.percentEncodedQuery,
                                    components?.query, components?.percentEncodedFragment]
        if let path = components?.percentEncodedPath, path.count > 1 { sensitive.append(path) }
        self.sensitive = sensitive.compactMap { $0 }.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    /// `text` with every sensitive string replaced by `[redacted]`.
    func redact(_ text: String) -> String {
        sensitive.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    }
}
