public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The OAuth 2.0 test server that `scripts/imap-test-server.sh` runs next to Dovecot
/// (`scripts/oauth-test-server.py`): tests get tokens from it and expire or revoke them. Spoken
/// to over plain HTTP/1.1 on loopback with a blocking socket, one request per connection, so
/// the helper needs no HTTP library.
public struct OAuthTestServer: Sendable {
    public let url: String
    public let host: String
    public let port: Int
    public static let clientID = "mailtrigger-test"
    public static let clientSecret = "mt-client-secret"

    public init?(_ env: DovecotEnvironment) {
        guard let url = env.oauthURL, let components = URLComponents(string: url), let host = components.host,
              let port = components.port else { return nil }
        self.url = url
        self.host = host
        self.port = port
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A refresh token for `user`, as if the user had signed in once.
    public func grant(user: String, scope: String = "imap") throws -> String {
        try string(admin("grant", ["user": user, "scope": scope]), "refresh_token")
    }

    /// The refresh-token grant (RFC 6749 §6): an access token, and the refresh token to use next.
    public func accessToken(refreshToken: String) throws -> (accessToken: String, refreshToken: String) {
        let (status, body) = try request("POST", "/token", form: [
            "grant_type": "refresh_token", "refresh_token": refreshToken,
            "client_id": Self.clientID, "client_secret": Self.clientSecret,
        ])
        guard status == 200 else { throw Failure(description: "token endpoint answered \(status): \(String(decoding: body, as: UTF8.self))") }
        return (try string(body, "access_token"), try string(body, "refresh_token"))
    }

    /// Every access token of `user` expires now.
    public func expire(user: String) throws {
        _ = try admin("expire", ["user": user])
    }

    /// Every refresh token of `user` stops working (the next refresh gets `invalid_grant`).
    public func revoke(user: String) throws {
        _ = try admin("revoke", ["user": user])
    }

    /// The user approves the device authorization request showing `userCode` (RFC 8628).
    public func approve(userCode: String, user: String) throws {
        _ = try admin("approve", ["user_code": userCode, "user": user])
    }

    /// Access token lifetime in seconds, and whether each refresh rotates the refresh token: for
    /// `user` only (tests running at the same time use other users), or for everyone.
    public func configure(user: String? = nil, accessTTL: Int? = nil, rotate: Bool? = nil) throws {
        var settings: [String: Any] = [:]
        if let user { settings["user"] = user }
        if let accessTTL { settings["access_ttl"] = accessTTL }
        if let rotate { settings["rotate"] = rotate }
        _ = try admin("settings", settings)
    }

    /// Requests counted by the server: `token` per grant type, `refreshes_by_user`, `introspect`,
    /// `device`, `authorize`.
    public func stats() throws -> [String: Any] {
        let (_, body) = try request("GET", "/admin/stats")
        return (try JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
    }

    func admin(_ action: String, _ body: [String: Any]) throws -> Data {
        let (status, data) = try request("POST", "/admin/" + action, body: try JSONSerialization.data(withJSONObject: body),
                                         contentType: "application/json")
        guard status == 200 else { throw Failure(description: "\(action): \(status) \(String(decoding: data, as: UTF8.self))") }
        return data
    }

    func string(_ body: Data, _ key: String) throws -> String {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any], let value = object[key] as? String else {
            throw Failure(description: "no \(key) in \(String(decoding: body, as: UTF8.self))")
        }
        return value
    }

    func request(_ method: String, _ path: String, form: [String: String]) throws -> (Int, Data) {
        var components = URLComponents()
        components.queryItems = form.map { URLQueryItem(name: $0.key, value: $0.value) }
        // URLComponents leaves "+" alone in queries; in a form body it means a space.
        let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return try request(method, path, body: Data(body.utf8), contentType: "application/x-www-form-urlencoded")
    }

    /// One HTTP/1.1 exchange with the server, `Connection: close`; returns the status and the body.
    public func request(_ method: String, _ path: String, body: Data = Data(), contentType: String? = nil) throws -> (Int, Data) {
        let response = try Self.exchange(method, host: host, port: port, path, body: body, contentType: contentType)
        return (response.status, response.body)
    }

    /// A GET of any `http://127.0.0.1:PORT/…` URL (a browser following a redirect).
    public static func get(_ url: String) throws -> (status: Int, headers: [String: String], body: Data) {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
            throw Failure(description: "not a loopback URL with a port: \(url)")
        }
        let path = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        return try exchange("GET", host: host, port: port, path.isEmpty ? "/" : path, body: Data(), contentType: nil)
    }

    static func exchange(_ method: String, host: String, port: Int, _ path: String, body: Data,
                         contentType: String?) throws -> (status: Int, headers: [String: String], body: Data) {
        let url = "http://\(host):\(port)"
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        // A bound on every call (connect, send, recv): a test waits for this on a thread of the
        // cooperative pool, and two such waits that never end would stall every async test.
        var limit = timeval(tv_sec: 30, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(fd, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "cannot connect to \(url): errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        let request = Data((head + "\r\n").utf8) + body
        try request.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw Failure(description: "send: errno \(errno)") }
                offset += written
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                throw Failure(description: "no answer from \(url)\(path) within \(limit.tv_sec) s")
            }
            guard count > 0 else { break }
            response.append(contentsOf: buffer[0..<count])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)),
              let lines = String(data: response[..<split.lowerBound], encoding: .utf8)?.components(separatedBy: "\r\n"),
              let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "unreadable answer from \(url)\(path)")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, Data(response[split.upperBound...]))
    }
}
