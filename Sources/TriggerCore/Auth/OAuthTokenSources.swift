public import Logging
import Synchronization

/// One ``OAuthTokenSource`` per OAuth 2.0 profile, shared by everything that connects for it
/// (its watchers, its post-actions), so they use one token and refresh it once. A profile whose
/// settings changed (a reload) gets a new source.
public final class OAuthTokenSources: Sendable {
    let client: WebhookClient
    let store: StateStore?
    let logger: Logger
    private let sources = Mutex<[String: OAuthTokenSource]>([:])

    public init(client: WebhookClient, store: StateStore?, logger: Logger) {
        self.client = client
        self.store = store
        self.logger = logger
    }

    /// The profile's source; nil for a password profile.
    public func source(for profile: Profile) -> OAuthTokenSource? {
        guard case let .oauth2(settings) = profile.auth else { return nil }
        return sources.withLock { sources in
            if let existing = sources[profile.name], existing.settings == settings { return existing }
            let source = OAuthTokenSource(profile: profile.name, settings: settings, client: client, store: store, logger: logger)
            sources[profile.name] = source
            return source
        }
    }

    /// A connector for the profile, with its token source.
    public func connector(for profile: Profile, logger: Logger) -> ProfileConnector {
        ProfileConnector(profile: profile, logger: logger, tokens: source(for: profile))
    }
}
