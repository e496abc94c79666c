public import IMAPClient
public import IMAPCore
public import Logging

/// Connects, authenticates and surveys an account: what `mailtrigger test-connection` shows.
/// Each step is named, so a failure says where it happened.
public struct ConnectionProbe: Sendable {
    /// The steps, in order.
    public enum Step: String, Sendable {
        case connect
        case authenticate
        case capabilities
        case list
        case status
    }

    /// How to sign in.
    public enum Authentication: String, Sendable, CaseIterable {
        /// AUTHENTICATE PLAIN when the server offers it, else LOGIN.
        case automatic = "auto"
        case plain
        case login
    }

    /// A failed step and why.
    public struct Failure: Error, CustomStringConvertible {
        public var step: Step
        public var error: any Error
        public var description: String { "\(step.rawValue) failed: \(error)" }
    }

    /// One mailbox and its counts.
    public struct MailboxReport: Sendable {
        public var listing: MailboxListing
        /// nil for mailboxes that cannot be selected (`\Noselect`) or whose STATUS failed.
        public var status: MailboxStatus?
        public var statusError: String?
    }

    /// What the probe found.
    public struct Report: Sendable {
        public var greeting: String
        public var mechanism: String
        public var capabilities: [Capability]
        public var mailboxes: [MailboxReport]
    }

    public var configuration: IMAPClientConfiguration
    public var username: String
    public var password: String
    public var authentication: Authentication
    public var logger: Logger
    /// Signs in instead of `username` and `password` (an OAuth 2.0 profile); returns the
    /// mechanism used.
    public var signIn: (@Sendable (IMAPSession) async throws -> String)?

    public init(configuration: IMAPClientConfiguration, username: String, password: String,
                authentication: Authentication = .automatic, logger: Logger = Logger(label: "mailtrigger.probe")) {
        self.configuration = configuration
        self.username = username
        self.password = password
        self.authentication = authentication
        self.logger = logger
    }

    /// Runs every step; `progress` is told as each step starts.
    public func run(progress: @Sendable (Step) -> Void = { _ in }) async throws -> Report {
        progress(.connect)
        let session = try await step(.connect) { try await IMAPSession.connect(configuration, logger: logger) }
        do {
            let report = try await survey(session, progress: progress)
            await session.logout()
            return report
        } catch {
            await session.close()
            throw error
        }
    }

    private func survey(_ session: IMAPSession, progress: @Sendable (Step) -> Void) async throws -> Report {
        progress(.authenticate)
        let mechanism = try await step(.authenticate) { () -> String in
            if let signIn { return try await signIn(session) }
            return try await ProfileConnector.signIn(session, username: username, password: password, method: authentication)
        }
        progress(.capabilities)
        let capabilities = try await step(.capabilities) { try await session.capabilities }
        progress(.list)
        let listings = try await step(.list) { try await session.list() }
        progress(.status)
        var mailboxes: [MailboxReport] = []
        for listing in listings {
            guard listing.isSelectable else {
                mailboxes.append(MailboxReport(listing: listing))
                continue
            }
            do {
                let status = try await session.status(listing.name)
                mailboxes.append(MailboxReport(listing: listing, status: status))
            } catch let error as IMAPClientError where error.scope == .command {
                mailboxes.append(MailboxReport(listing: listing, statusError: error.description))
            } catch {
                throw Failure(step: .status, error: error)
            }
        }
        return Report(greeting: session.greeting.text, mechanism: mechanism, capabilities: capabilities,
                      mailboxes: mailboxes)
    }

    private func step<T>(_ step: Step, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw Failure(step: step, error: error)
        }
    }
}
