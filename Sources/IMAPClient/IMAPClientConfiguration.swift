public import IMAPCore
public import NIOCore

/// Everything needed to open one IMAP session. No credentials: those are passed to the
/// authentication call, so a configuration can be logged.
public struct IMAPClientConfiguration: Hashable, Sendable {
    public var host: String
    public var port: Int
    public var security: IMAPSecurity
    /// Permits `security: .none` (credentials and mail in clear). Off by default.
    public var allowInsecure: Bool
    public var tls: TLSOptions
    /// Time to establish TCP (and TLS) and receive the greeting.
    public var connectTimeout: TimeAmount
    /// Time any single command may take before the session is considered wedged and closed.
    public var commandTimeout: TimeAmount
    /// TCP keepalive, so a silently dropped connection is noticed even while IDLE waits.
    public var tcpKeepalive: Bool
    /// Parser bounds.
    public var limits: Limits

    /// TLS settings; verification is on unless switched off explicitly.
    public struct TLSOptions: Hashable, Sendable {
        /// A PEM file of extra trusted CAs, added to the system trust store.
        public var caFile: String?
        /// Verify the certificate chain and host name. Default true.
        public var verify: Bool
        public var minimumVersion: TLSVersionOption
        public var maximumVersion: TLSVersionOption?

        public init(caFile: String? = nil, verify: Bool = true, minimumVersion: TLSVersionOption = .tls12,
                    maximumVersion: TLSVersionOption? = nil) {
            self.caFile = caFile
            self.verify = verify
            self.minimumVersion = minimumVersion
            self.maximumVersion = maximumVersion
        }
    }

    /// TLS protocol versions offered as bounds.
    public enum TLSVersionOption: String, Hashable, Sendable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    public init(host: String, port: Int? = nil, security: IMAPSecurity = .tls, allowInsecure: Bool = false,
                tls: TLSOptions = TLSOptions(), connectTimeout: TimeAmount = .seconds(30),
                commandTimeout: TimeAmount = .seconds(120), tcpKeepalive: Bool = true, limits: Limits = .default) {
        self.host = host
        self.port = port ?? security.defaultPort
        self.security = security
        self.allowInsecure = allowInsecure
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.tcpKeepalive = tcpKeepalive
        self.limits = limits
    }
}
