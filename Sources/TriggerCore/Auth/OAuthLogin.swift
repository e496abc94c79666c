import Crypto
import Foundation

/// `mailtrigger oauth login`: obtains a profile's first refresh token (docs/oauth2.md). With the
/// device authorization grant (RFC 8628) when the provider has a device endpoint: the user opens
/// a page anywhere and types a code. Otherwise with the authorization-code grant, PKCE (RFC 7636,
/// S256) and a loopback redirect (RFC 8252): the user opens a URL in a browser on this machine.
public struct OAuthLogin: Sendable {
    public enum Flow: String, Sendable, CaseIterable {
        /// Device when the provider has a device endpoint, else browser.
        case auto, device, browser
    }

    /// Why no refresh token was obtained.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable {
            /// The user or the provider said no, or the code expired.
            case denied
            /// The provider could not be reached or answered oddly.
            case unavailable
            /// The chosen flow has no endpoint: name it (`--device-url`, `--authorize-url`) or
            /// use a discoveryURL.
            case unusable
        }

        public var kind: Kind
        public var description: String
    }

    public let profile: String
    public let settings: OAuth2Settings
    let http: OAuthHTTP
    /// Endpoints given on the command line, for profiles without a discovery document.
    public var deviceURL: String?
    public var authorizeURL: String?
    /// The loopback port of the browser flow (0: any free one).
    public var port = 0
    /// How long to wait for the user.
    public var timeout: Duration = .seconds(600)
    /// Where the instructions for the user go.
    public var say: @Sendable (String) -> Void

    public init(profile: String, settings: OAuth2Settings, client: WebhookClient, say: @escaping @Sendable (String) -> Void) {
        self.profile = profile
        self.settings = settings
        http = OAuthHTTP(client: client, timeout: .seconds(30))
        self.say = say
    }

    /// Runs the flow; returns the refresh token.
    public func run(_ flow: Flow) async throws -> String {
        var endpoints = OAuthHTTP.Endpoints()
        switch settings.endpoint {
        case let .token(url): endpoints.token = url
        case let .discovery(url): endpoints = try await http.discover(url)
        }
        if let deviceURL { endpoints.deviceAuthorization = deviceURL }
        if let authorizeURL { endpoints.authorization = authorizeURL }
        guard let tokenURL = endpoints.token else {
            throw Failure(kind: .unavailable, description: "the discovery document names no token_endpoint")
        }
        if flow == .device || (flow == .auto && endpoints.deviceAuthorization != nil) {
            guard let deviceURL = endpoints.deviceAuthorization else {
                throw Failure(kind: .unusable, description: "no device authorization endpoint: give --device-url, or use a discoveryURL")
            }
            return try await device(deviceURL, tokenURL: tokenURL)
        }
        guard let authorizeURL = endpoints.authorization else {
            throw Failure(kind: .unusable,
                          description: "no device or authorization endpoint: give --device-url or --authorize-url, or use a discoveryURL")
        }
        return try await browser(authorizeURL, tokenURL: tokenURL)
    }

    /// The client's own fields of every request: its id, and its secret when it has one.
    func client() throws -> [String: String] {
        var form = ["client_id": settings.clientID]
        if let secret = settings.clientSecret {
            do {
                form["client_secret"] = try secret.resolve()
            } catch {
                throw Failure(kind: .unusable, description: "cannot read the client secret (\(secret)): \(error)")
            }
        }
        return form
    }

    /// RFC 8628: ask for a code, show it, poll the token endpoint until the user approved.
    func device(_ deviceURL: String, tokenURL: String) async throws -> String {
        var form = try client()
        if let scope = settings.scope { form["scope"] = scope }
        let (status, answer) = try await http.request(.POST, deviceURL, form: form)
        guard status == 200, let deviceCode = answer["device_code"] as? String, let userCode = answer["user_code"] as? String,
              let page = (answer["verification_uri"] ?? answer["verification_url"]) as? String else {
            throw Failure(kind: .unavailable, description: "the device authorization endpoint answered HTTP \(status)\(Self.reason(answer))")
        }
        say("To sign in \(settings.username) for profile \(profile), open \(page) and enter the code \(userCode)")
        if let complete = answer["verification_uri_complete"] as? String { say("(or open \(complete))") }
        var interval = Self.seconds(answer["interval"]) ?? 5
        let expiresIn = min(Self.seconds(answer["expires_in"]) ?? 600, Int(timeout.components.seconds))
        let deadline = ContinuousClock.now + .seconds(expiresIn)
        var poll = try client()
        poll["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code"
        poll["device_code"] = deviceCode
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(interval))
            let (status, answer) = try await http.request(.POST, tokenURL, form: poll)
            if status == 200 { return try refreshToken(in: answer) }
            switch answer["error"] as? String {
            case "authorization_pending": continue
            case "slow_down": interval += 5
            case "access_denied": throw Failure(kind: .denied, description: "the sign-in was refused\(Self.reason(answer))")
            case "expired_token": throw Failure(kind: .denied, description: "the code expired before the sign-in; run the command again")
            default: throw Failure(kind: .unavailable, description: "the token endpoint answered HTTP \(status)\(Self.reason(answer))")
            }
        }
        throw Failure(kind: .denied, description: "no sign-in within \(expiresIn) s; run the command again")
    }

    /// RFC 6749 §4.1 with PKCE: the user signs in in a browser, which comes back to our
    /// loopback listener with a code; the code and its verifier buy the tokens.
    func browser(_ authorizeURL: String, tokenURL: String) async throws -> String {
        let state = Self.randomURLSafe(bytes: 16)
        let listener = try await LoopbackRedirectListener.start(port: port, state: state)
        do {
            let token = try await browser(authorizeURL, tokenURL: tokenURL, listener: listener, state: state)
            await listener.close()
            return token
        } catch {
            await listener.close()
            throw error
        }
    }

    func browser(_ authorizeURL: String, tokenURL: String, listener: LoopbackRedirectListener, state: String) async throws -> String {
        let verifier = Self.randomURLSafe(bytes: 48)
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
        var query = ["response_type": "code", "client_id": settings.clientID, "redirect_uri": listener.redirectURI, "state": state,
                     "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": settings.username]
        if let scope = settings.scope { query["scope"] = scope }
        let url = authorizeURL + (authorizeURL.contains("?") ? "&" : "?") + OAuthHTTP.formEncoded(query)
        say("To sign in \(settings.username) for profile \(profile), open this address in a browser on this machine:")
        say(url)
        // A redirect with another state (or none) is not this sign-in's: an old link, or another
        // program on this machine pushing its own code to bind us to its account (RFC 6749
        // §10.12). Its code is never redeemed, and it does not end the sign-in either: any local
        // program could otherwise abort every sign-in by racing the browser.
        let say = self.say
        let genuine = await listener.redirect(timeout: timeout) { query in
            guard query["state"] == state else {
                say("Ignored a redirect whose state does not match this sign-in (an old link, or another program on this machine); still waiting")
                return false
            }
            return true
        }
        guard let redirect = genuine else {
            throw Failure(kind: .denied, description: "no sign-in within \(timeout.components.seconds) s; run the command again")
        }
        guard let code = redirect["code"] else {
            throw Failure(kind: .denied, description: "the sign-in was refused (\(redirect["error"] ?? "no code"))")
        }
        var form = try client()
        form["grant_type"] = "authorization_code"
        form["code"] = code
        form["redirect_uri"] = listener.redirectURI
        form["code_verifier"] = verifier
        let (status, answer) = try await http.request(.POST, tokenURL, form: form)
        guard status == 200 else {
            throw Failure(kind: .denied, description: "the token endpoint refused the code: HTTP \(status)\(Self.reason(answer))")
        }
        return try refreshToken(in: answer)
    }

    func refreshToken(in answer: [String: Any]) throws -> String {
        guard let token = answer["refresh_token"] as? String, !token.isEmpty else {
            throw Failure(kind: .unavailable,
                          description: "the provider gave no refresh token: ask for offline access (Microsoft: scope offline_access)")
        }
        return token
    }

    static func reason(_ answer: [String: Any]) -> String {
        guard let error = answer["error"] as? String else { return "" }
        return " (\(error)\((answer["error_description"] as? String).map { ": \($0)" } ?? ""))"
    }

    static func seconds(_ value: Any?) -> Int? {
        (value as? NSNumber)?.intValue ?? (value as? String).flatMap(Int.init)
    }

    static func randomURLSafe(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64URLEncoded
    }
}

extension Data {
    /// base64url without padding (RFC 4648 §5), as PKCE uses it.
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
