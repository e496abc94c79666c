import Foundation

/// A webhook URL split into what a request needs: parsed once per URL, since a daemon posts to
/// the same few URLs all day.
struct WebhookTarget: Hashable, Sendable {
    /// Where connections go; requests to one endpoint share a keep-alive pool.
    struct Endpoint: Hashable, Sendable {
        /// `https`: TLS with the system trust store, the host name verified and sent as SNI.
        var secure: Bool
        /// A name or an address; IPv6 without brackets.
        var host: String
        var port: Int
    }

    var endpoint: Endpoint
    /// The origin-form request target (RFC 9112 §3.2.1): the path, `/` when empty, and the
    /// query, both as written (percent-encoded). The fragment is never sent.
    var requestTarget: String
    /// The `Host` header (RFC 9110 §7.2): the host, bracketed when IPv6, and the port unless it is
    /// the scheme's default.
    var hostHeader: String

    /// Why a URL cannot be used: a configuration error, so permanent.
    struct InvalidURL: Error, CustomStringConvertible {
        var description: String { "invalid webhook URL (must be http or https with a host)" }
    }

    /// Parses `url` (RFC 3986). Userinfo is ignored: credentials belong in the action's
    /// `headers` (say, `Authorization`), where they are never part of a reason or a log.
    init(url: String) throws(InvalidURL) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", var host = components.host, !host.isEmpty else {
            throw InvalidURL()
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let secure = scheme == "https"
        let defaultPort = secure ? 443 : 80
        let port = components.port ?? defaultPort
        guard (1...65535).contains(port) else { throw InvalidURL() }
        endpoint = Endpoint(secure: secure, host: host, port: port)
        let path = components.percentEncodedPath
        requestTarget = (path.isEmpty ? "/" : path) + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        let bracketed = host.contains(":") ? "[\(host)]" : host
        hostHeader = port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }
}
