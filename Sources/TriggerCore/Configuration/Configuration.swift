public import IMAPClient

/// The whole configuration file (docs/configuration.md).
public struct Configuration: Hashable, Sendable {
    /// Where the state database lives. Default `/var/lib/mailtrigger` (systemd `StateDirectory=`).
    public var stateDirectory: String
    public var delivery: DeliverySettings
    public var profiles: [Profile]

    /// The default location of the file.
    public static let defaultPath = "/etc/mailtrigger/config.json"

    /// Whether a secret is written in the file itself (a password, a client or refresh token, a
    /// webhook signing key): then the file must not be readable by others.
    public var hasInlineSecrets: Bool {
        var references: [SecretReference?] = []
        for profile in profiles {
            switch profile.auth {
            case let .password(_, password): references.append(password)
            case let .oauth2(settings): references += [settings.clientSecret, settings.refreshToken]
            }
            for flow in profile.flows {
                for action in flow.actions {
                    switch action {
                    case let .webhook(webhook):
                        references.append(webhook.secret)
                        references += webhook.headers.filter { SecretReference.isCredentialName($0.key) }.map(\.value)
                    case let .exec(exec):
                        references += exec.environment.filter { SecretReference.isCredentialName($0.key) }.map(\.value)
                    }
                }
            }
        }
        return references.contains { if case .inline? = $0 { true } else { false } }
    }
}

/// How the outbox runs jobs (DESIGN.md §5).
public struct DeliverySettings: Hashable, Sendable {
    /// Jobs running at once, over all profiles.
    public var concurrency: Int
    public var retry: RetryPolicy
    /// On SIGTERM, how long running jobs may take to finish.
    public var drainTimeout: Duration

    public init(concurrency: Int = 8, retry: RetryPolicy = RetryPolicy(), drainTimeout: Duration = .seconds(30)) {
        self.concurrency = concurrency
        self.retry = retry
        self.drainTimeout = drainTimeout
    }
}

/// An account on a server and what to do with its mail.
public struct Profile: Hashable, Sendable {
    public var name: String
    public var description: String?
    /// Off: loaded and validated, but not watched.
    public var listen: Bool
    public var server: IMAPClientConfiguration
    public var auth: Authentication
    public var mailboxes: [String]
    public var mode: WatchMode
    public var refreshInterval: Duration
    public var startFrom: StartFrom
    public var onUIDValidityChange: UIDValidityPolicy
    public var maxMessageSize: Int
    public var flows: [Flow]
}

/// How a profile signs in.
public enum Authentication: Hashable, Sendable {
    case password(username: String, password: SecretReference)
    /// A bearer token from an OAuth 2.0 authorization server (``OAuth2Settings``).
    case oauth2(OAuth2Settings)

    /// The account name.
    public var username: String {
        switch self {
        case let .password(username, _): return username
        case let .oauth2(settings): return settings.username
        }
    }
}

/// Sign-in with OAuth 2.0 (docs/oauth2.md): access tokens come from the refresh-token grant
/// (RFC 6749 §6) at the token endpoint and go to the server with XOAUTH2 or OAUTHBEARER
/// (RFC 7628).
public struct OAuth2Settings: Hashable, Sendable {
    /// Where the token endpoint is: given, or read from an OpenID discovery document
    /// (`token_endpoint` of `…/.well-known/openid-configuration`).
    public enum Endpoint: Hashable, Sendable {
        case token(String)
        case discovery(String)
    }

    /// Which SASL mechanism carries the token; `auto` picks OAUTHBEARER when the server offers
    /// it, else XOAUTH2.
    public enum Mechanism: String, Hashable, Sendable, CaseIterable {
        case auto, xoauth2, oauthbearer
    }

    public var username: String
    public var clientID: String
    /// Absent for public clients (device flow, PKCE).
    public var clientSecret: SecretReference?
    public var endpoint: Endpoint
    public var refreshToken: SecretReference
    public var scope: String?
    public var mechanism: Mechanism

    public init(username: String, clientID: String, clientSecret: SecretReference? = nil, endpoint: Endpoint,
                refreshToken: SecretReference, scope: String? = nil, mechanism: Mechanism = .auto) {
        self.username = username
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.endpoint = endpoint
        self.refreshToken = refreshToken
        self.scope = scope
        self.mechanism = mechanism
    }
}

/// How new mail is noticed (DESIGN.md §5).
public enum WatchMode: String, Hashable, Sendable, CaseIterable {
    /// IDLE when the server offers it, else polling.
    case auto
    case idle
    case poll
}

/// What a first run (no cursor yet) processes.
public enum StartFrom: Hashable, Sendable {
    /// Nothing that is already there: baseline at UIDNEXT-1 (the default).
    case new
    case all
    /// Messages received on or after this day.
    case since(year: Int, month: Int, day: Int)
    /// The most recent N messages.
    case last(Int)
}

/// What happens when a mailbox's UIDVALIDITY changes.
public enum UIDValidityPolicy: String, Hashable, Sendable, CaseIterable {
    /// Treat the mailbox as new: baseline, process nothing old (logged at warning).
    case rebaseline
    /// Process everything again, skipping Message-IDs seen recently.
    case reprocess
}

/// One flow: a match, actions, and post-actions for success and failure.
public struct Flow: Hashable, Sendable {
    public var name: String
    public var match: MatchRule
    /// Later flows are not evaluated for a message this flow matched.
    public var stop: Bool
    public var actions: [Action]
    public var onSuccess: [PostAction]
    public var onFailure: [PostAction]

    public init(name: String, match: MatchRule, stop: Bool, actions: [Action], onSuccess: [PostAction], onFailure: [PostAction]) {
        self.name = name
        self.match = match
        self.stop = stop
        self.actions = actions
        self.onSuccess = onSuccess
        self.onFailure = onFailure
    }
}

/// When a flow fires.
public indirect enum MatchRule: Hashable, Sendable {
    /// Every message.
    case always
    case all([MatchRule])
    case any([MatchRule])
    case not(MatchRule)
    case subject(TextCondition)
    /// Any address (name or address) in From.
    case from(TextCondition)
    case to(TextCondition)
    case cc(TextCondition)
    case header(name: String, TextCondition)
    case hasAttachment(Bool)
    case size(min: Int?, max: Int?)
}

/// A test on a piece of text; case-insensitive unless `caseSensitive`.
public struct TextCondition: Hashable, Sendable {
    public enum Operator: String, Hashable, Sendable, CaseIterable {
        case equals, contains, prefix, suffix, glob, regex
    }

    public var op: Operator
    public var pattern: String
    public var caseSensitive: Bool

    public init(op: Operator, pattern: String, caseSensitive: Bool = false) {
        self.op = op
        self.pattern = pattern
        self.caseSensitive = caseSensitive
    }
}

/// What a flow does for a message.
public enum Action: Hashable, Sendable {
    case webhook(WebhookAction)
    case exec(ExecAction)
}

/// `POST` of the payload (DESIGN.md §5 webhook contract).
public struct WebhookAction: Hashable, Sendable {
    public var url: String
    /// Extra request headers; a value may come from a file, a variable or a credential.
    public var headers: [String: SecretReference]
    public var timeout: Duration
    /// HMAC-SHA256 key for the signature header; no signature when nil.
    public var secret: SecretReference?
    public var signatureHeader: String

    public init(url: String, headers: [String: SecretReference] = [:], timeout: Duration = .seconds(30), secret: SecretReference? = nil,
                signatureHeader: String = "X-Mailtrigger-Signature") {
        self.url = url
        self.headers = headers
        self.timeout = timeout
        self.secret = secret
        self.signatureHeader = signatureHeader
    }
}

/// A program run without a shell (DESIGN.md §5 exec contract).
public struct ExecAction: Hashable, Sendable {
    public enum Stdin: String, Hashable, Sendable, CaseIterable {
        case json, raw, none
    }

    public var command: [String]
    public var stdin: Stdin
    public var timeout: Duration
    /// Extra variables; a value may come from a file, a variable or a credential.
    public var environment: [String: SecretReference]
    /// Another user (and group) to run the program as; nil: the daemon's own.
    public var runAs: RunAs?

    public init(command: [String], stdin: Stdin, timeout: Duration, environment: [String: SecretReference], runAs: RunAs? = nil) {
        self.command = command
        self.stdin = stdin
        self.timeout = timeout
        self.environment = environment
        self.runAs = runAs
    }

    /// The identity a hook runs with (`user` and `group` in the configuration), resolved when
    /// the configuration is read.
    public struct RunAs: Hashable, Sendable {
        /// The name or number as written, for messages.
        public var user: String
        public var uid: UInt32
        public var gid: UInt32
        /// The supplementary groups: the user's groups (getgrouplist(3)), or only `gid` when a
        /// group was given.
        public var groups: [UInt32]

        public init(user: String, uid: UInt32, gid: UInt32, groups: [UInt32]) {
            self.user = user
            self.uid = uid
            self.gid = gid
            self.groups = groups
        }
    }
}

/// A server-side change once a flow's actions are final (DESIGN.md §5).
public enum PostAction: Hashable, Sendable {
    case markSeen
    case addFlags([String])
    case removeFlags([String])
    case copyTo(String)
    case moveTo(String)
    case delete
}
