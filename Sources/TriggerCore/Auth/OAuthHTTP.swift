import Foundation
import NIOCore
import NIOHTTP1

/// HTTP with an OAuth 2.0 authorization server (RFC 6749): form-encoded requests, JSON answers,
/// over the daemon's own HTTP/1.1 client. Errors name the endpoint, never the form: it holds the
/// secrets.
struct OAuthHTTP: Sendable {
    let client: WebhookClient
    let timeout: Duration

    /// The endpoints an OpenID discovery document names.
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
        return Endpoints(token: try Self.endpoint("token_endpoint", in: document, of: url),
                         deviceAuthorization: try Self.endpoint("device_authorization_endpoint", in: document, of: url),
                         authorization: try Self.endpoint("authorization_endpoint", in: document, of: url))
    }

    /// The endpoint the document names under `key`, if any. One that is neither https nor http to
    /// loopback is refused, and named: dropping it would leave the user to read that the
    /// document names none, and using it would send the client secret and tokens in clear.
    static func endpoint(_ key: String, in document: [String: Any], of url: String) throws -> String? {
        guard let endpoint = document[key] as? String else { return nil }
        guard isAcceptable(endpoint) else {
            throw OAuthTokenSource.Failure(kind: .unavailable,
                                           description: "the discovery document \(url) names \(key) \(endpoint), which is not https: "
                                               + "mailtrigger never sends secrets over plain http (only to a loopback address)")
        }
        return endpoint
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
