import Foundation
import NIOCore
import NIOHTTP1

/// HTTP with an OAuth 2.0 authorization server (RFC 6749): form-encoded requests, JSON answers,
/// over the daemon's own HTTP/1.1 client. Errors name the endpoint, never the form: it holds the
/// secrets.
struct OAuthHTTP: Sendable {
    let client: WebhookClient
    let timeout: Duration

    /// The endpoints an OpenID discovery document names; each only if https, or http to a
    /// loopback address.
    struct Endpoints: Sendable {
        var token: String?
        var deviceAuthorization: String?
        var authorization: String?
    }

    func discover(_ url: String) async throws -> Endpoints {
        let (status, document) = try await request(.GET, url, form: nil)
        guard status == 200 else {
            throw OAuthTokenSource.Failure(kind: .unavailable, description: "the discovery document \(url) answered HTTP \(status)")
        }
        func endpoint(_ key: String) -> String? {
            (document[key] as? String).flatMap { Self.isAcceptable($0) ? $0 : nil }
        }
        return Endpoints(token: endpoint("token_endpoint"), deviceAuthorization: endpoint("device_authorization_endpoint"),
                         authorization: endpoint("authorization_endpoint"))
    }

    /// https, or http to a loopback address (a local test server).
    static func isAcceptable(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return false }
        return scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(components.host ?? ""))
    }

    /// One request; the JSON object answered (empty when the body is not one).
    func request(_ method: HTTPMethod, _ url: String, form: [String: String]?) async throws -> (Int, [String: Any]) {
        let target: WebhookTarget
        do {
            target = try WebhookTarget(url: url)
        } catch {
            throw OAuthTokenSource.Failure(kind: .unavailable, description: "\(url) is not an http(s) URL")
        }
        var headers = HTTPHeaders([("Accept", "application/json")])
        var body = ByteBuffer()
        if let form {
            headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            body = ByteBuffer(string: Self.formEncoded(form))
        }
        let response: WebhookConnectionHandler.Response
        do {
            response = try await client.send(method, target, headers: headers, body: body, deadline: .now() + TimeAmount(timeout))
        } catch {
            throw OAuthTokenSource.Failure(kind: .unavailable,
                                           description: "cannot reach \(target.endpoint.host):\(target.endpoint.port): \(error)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, object)
    }

    /// `application/x-www-form-urlencoded` (HTML's URL-encoded form serialisation): every byte
    /// but unreserved characters percent-encoded.
    static func formEncoded(_ form: [String: String]) -> String {
        form.sorted { $0.key < $1.key }.map { percentEncoded($0.key) + "=" + percentEncoded($0.value) }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
