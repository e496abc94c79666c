import Crypto
import Foundation
public import Logging

/// The access tokens of one OAuth 2.0 profile (docs/oauth2.md): from the refresh-token grant
/// (RFC 6749 §6) at the token endpoint — given, or read from an OpenID discovery document — kept
/// in memory and in the state store with their expiry, and refreshed a minute before they
/// expire. Every connection of the profile (watchers, post-actions) asks the same source, and
/// concurrent asks share one request.
///
/// A token the server refuses is replaced at most once per refusal and at most every
/// `forcedRefreshInterval` (``refused(_:)``): a server that refuses every token makes the
/// watcher back off, never makes us hammer the token endpoint. A refresh token the authorization
/// server rotates is kept in the store. `invalid_grant` (the user revoked access, the token
/// expired or was rotated away) means only a new sign-in helps: ``Failure/Kind/reauthorizationNeeded``.
///
/// Tokens and secrets never appear in errors or logs.
public actor OAuthTokenSource {
    /// Why no token could be had.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable {
            /// The refresh token or the client was refused: `mailtrigger oauth login` again.
            case reauthorizationNeeded
            /// The token endpoint could not be reached or answered oddly: try again later.
            case unavailable
        }

        public var kind: Kind
        public var description: String
    }

    public nonisolated let profile: String
    public nonisolated let settings: OAuth2Settings
    let http: OAuthHTTP
    let store: StateStore?
    let logger: Logger
    /// A token is replaced this long before it expires.
    let margin: TimeInterval = 60
    /// The least time between two refreshes forced by refused tokens.
    let forcedRefreshInterval: Duration

    private var access: (token: String, expiresAt: Date)?
    /// The rotated refresh token, and the digest of the configured one it descends from.
    private var rotated: (token: String, origin: String)?
    /// The digest of the configured refresh token the tokens held now belong to.
    private var origin: String?
    private var tokenEndpoint: String?
    private var loaded = false
    private var lastRefresh: ContinuousClock.Instant?
    private var inFlight: Task<String, any Error>?

    public init(profile: String, settings: OAuth2Settings, client: WebhookClient, store: StateStore?, logger: Logger,
                forcedRefreshInterval: Duration = .seconds(10), timeout: Duration = .seconds(30)) {
        self.profile = profile
        self.settings = settings
        http = OAuthHTTP(client: client, timeout: timeout)
        self.store = store
        var logger = logger
        logger[metadataKey: "MT_PROFILE"] = "\(profile)"
        self.logger = logger
        self.forcedRefreshInterval = forcedRefreshInterval
    }

    /// A token good for at least a minute: the one in memory or in the store, else a new one.
    public func accessToken() async throws -> String {
        loadOnce()
        if let access, access.expiresAt.timeIntervalSinceNow > margin { return access.token }
        return try await refresh()
    }

    /// The server refused `token`. Returns whether ``accessToken()`` will now fetch a new one:
    /// yes once per token, unless the last refresh is more recent than `forcedRefreshInterval`.
    public func refused(_ token: String) -> Bool {
        guard let access, access.token == token else { return true }
        if let lastRefresh, ContinuousClock.now - lastRefresh < forcedRefreshInterval { return false }
        self.access = nil
        persist()
        return true
    }

    private func refresh() async throws -> String {
        if let inFlight { return try await inFlight.value }
        let task = Task { try await self.performRefresh() }
        inFlight = task
        defer { inFlight = nil }
        return try await task.value
    }

    private func performRefresh() async throws -> String {
        let configured: String
        do {
            configured = try settings.refreshToken.resolve()
        } catch {
            throw Failure(kind: .reauthorizationNeeded, description: "cannot read the refresh token (\(settings.refreshToken)): \(error)")
        }
        let origin = Self.digest(configured)
        // A rotated token counts only while the configuration still names the token it came from.
        let refreshToken = rotated?.origin == origin ? rotated!.token : configured
        var form = ["grant_type": "refresh_token", "refresh_token": refreshToken, "client_id": settings.clientID]
        if let secret = settings.clientSecret {
            do {
                form["client_secret"] = try secret.resolve()
            } catch {
                throw Failure(kind: .unavailable, description: "cannot read the client secret (\(secret)): \(error)")
            }
        }
        if let scope = settings.scope { form["scope"] = scope }
        let endpoint = try await resolveTokenEndpoint()
        lastRefresh = .now
        let (status, body) = try await http.request(.POST, endpoint, form: form)
        guard status == 200 else {
            let code = body["error"] as? String ?? ""
            let detail = (body["error_description"] as? String).map { ": \($0)" } ?? ""
            switch code {
            case "invalid_grant":
                throw Failure(kind: .reauthorizationNeeded,
                              description: "the authorization server refused the refresh token (invalid_grant\(detail)); sign in again with mailtrigger oauth login --profile \(profile)")
            case "invalid_client", "unauthorized_client":
                throw Failure(kind: .reauthorizationNeeded,
                              description: "the authorization server refused the client (\(code)\(detail)); check clientId and clientSecret")
            default:
                throw Failure(kind: .unavailable, description: "the token endpoint answered HTTP \(status)\(code.isEmpty ? "" : " (\(code)\(detail))")")
            }
        }
        guard let token = body["access_token"] as? String, !token.isEmpty else {
            throw Failure(kind: .unavailable, description: "the token endpoint's answer has no access_token")
        }
        let lifetime = (body["expires_in"] as? NSNumber)?.doubleValue ?? (body["expires_in"] as? String).flatMap(Double.init) ?? 3600
        access = (token, Date().addingTimeInterval(lifetime))
        if let next = body["refresh_token"] as? String, !next.isEmpty, next != refreshToken {
            rotated = (next, origin)
            logger.info("refresh token rotated by the authorization server; kept in the state store")
        } else if rotated?.origin != origin {
            rotated = nil
        }
        self.origin = origin
        persist()
        logger.info("access token refreshed", metadata: ["MT_EXPIRES_IN": "\(Int(lifetime))s"])
        return token
    }

    /// The token endpoint: configured, or `token_endpoint` of the discovery document (fetched once).
    private func resolveTokenEndpoint() async throws -> String {
        switch settings.endpoint {
        case let .token(url):
            return url
        case let .discovery(url):
            if let tokenEndpoint { return tokenEndpoint }
            let endpoints = try await http.discover(url)
            guard let endpoint = endpoints.token else {
                throw Failure(kind: .unavailable, description: "the discovery document \(url) names no usable token_endpoint")
            }
            tokenEndpoint = endpoint
            return endpoint
        }
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private func loadOnce() {
        guard !loaded else { return }
        loaded = true
        // What the store has counts only for the refresh token configured now: after a new
        // `oauth login` (or an edited profile) it belongs to another grant.
        guard let stored = try? store?.oauthTokens(profile: profile),
              let configured = try? settings.refreshToken.resolve(), stored.refreshOrigin == Self.digest(configured) else { return }
        origin = stored.refreshOrigin
        if let token = stored.accessToken, let expiresAt = stored.expiresAt { access = (token, expiresAt) }
        if let token = stored.refreshToken, let origin { rotated = (token, origin) }
    }

    private func persist() {
        let tokens = StateStore.OAuthTokens(accessToken: access?.token, expiresAt: access?.expiresAt,
                                            refreshToken: rotated?.token, refreshOrigin: origin)
        do {
            try store?.setOAuthTokens(tokens, profile: profile)
        } catch {
            logger.warning("cannot keep the OAuth 2.0 tokens in the state store", metadata: ["MT_ERROR": "\(error)"])
        }
    }
}
