public import ArgumentParser
import Foundation
import IMAPClient
import Logging
import TriggerCore

/// `mailtrigger test-connection`: connect, authenticate, list every mailbox with its counts.
struct TestConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-connection",
        abstract: "Connect to an IMAP server, sign in, and list the mailboxes with their counts.",
        discussion: """
        Exit status: 0 success; 64 usage error; 66 password file unreadable; 69 cannot connect \
        (network, TLS, STARTTLS); 76 the server broke the protocol; 77 sign-in refused.
        """
    )

    @Option(help: "Test this profile of the configuration (its server, TLS settings and credentials).")
    var profile: String?

    @OptionGroup var options: ConfigOption

    @Option(help: "Server host name or IP address.")
    var host: String?

    @Option(help: "Server port (default: 993 for tls, 143 otherwise).")
    var port: Int?

    @Option(help: "User name.")
    var user: String?

    @Option(help: "File holding the password (one line).")
    var passwordFile: String?

    @Option(help: "tls (implicit TLS), starttls, or none (no encryption; credentials in clear).")
    var security: IMAPSecurity = .tls

    @Option(help: "PEM file of extra CA certificates to trust, besides the system store.")
    var caFile: String?

    @Flag(help: "Do not verify the server certificate (dangerous; for diagnosis only).")
    var insecureSkipVerify = false

    @Option(help: "Sign-in method: auto (AUTHENTICATE PLAIN if offered, else LOGIN), plain, login.")
    var auth: ConnectionProbe.Authentication = .automatic

    @Option(help: "Seconds allowed for connecting and for each command.")
    var timeout: Int = 30

    @Flag(help: "Log protocol details to standard error (never credentials).")
    var verbose = false

    func validate() throws {
        if profile == nil, host == nil || user == nil || passwordFile == nil {
            throw ValidationError("give --profile NAME, or --host, --user and --password-file")
        }
    }

    func run() async throws {
        var logger = Logger(label: "mailtrigger")
        logger.logLevel = verbose ? .trace : .warning
        let configuration: IMAPClientConfiguration
        let username: String
        var password = ""
        var signIn: (@Sendable (IMAPSession) async throws -> String)?
        var tokenClient: WebhookClient?
        if let profileName = profile {
            let loaded = try options.load(command: "test-connection")
            let profile = try ConfigOption.profile(profileName, in: loaded, command: "test-connection")
            configuration = profile.server
            switch profile.auth {
            case let .password(name, secret):
                username = name
                do {
                    password = try secret.resolve()
                } catch {
                    printError("test-connection: \(error)")
                    throw ExitCode(66)
                }
            case let .oauth2(settings):
                // A token from the refresh-token grant; the state store is left alone.
                username = settings.username
                let client = WebhookClient(maxIdlePerEndpoint: 1)
                tokenClient = client
                let tokens = OAuthTokenSource(profile: profile.name, settings: settings, client: client, store: nil, logger: logger)
                let connector = ProfileConnector(profile: profile, logger: logger, tokens: tokens)
                signIn = { session in try await connector.signIn(session, settings: settings, tokens: tokens) }
            }
        } else if let host, let user, let passwordFile {
            do {
                password = try SecretFile.read(passwordFile)
            } catch {
                printError("test-connection: \(error)")
                throw ExitCode(66)
            }
            username = user
            configuration = IMAPClientConfiguration(
                host: host, port: port, security: security, allowInsecure: security == .none || insecureSkipVerify,
                tls: .init(caFile: caFile, verify: !insecureSkipVerify),
                connectTimeout: .seconds(Int64(timeout)), commandTimeout: .seconds(Int64(timeout)))
        } else {
            throw ExitCode(64)
        }
        var probe = ConnectionProbe(configuration: configuration, username: username, password: password,
                                    authentication: auth, logger: logger)
        probe.signIn = signIn
        printOutput("Connecting to \(configuration.host):\(configuration.port) (\(configuration.security.rawValue))")
        let report: ConnectionProbe.Report
        do {
            report = try await probe.run()
            await tokenClient?.shutdown()
        } catch let failure as ConnectionProbe.Failure {
            await tokenClient?.shutdown()
            printError("test-connection: \(failure.step.rawValue) failed: \(failure.error)")
            throw ExitCode(Self.exitCode(for: failure.error))
        }
        printOutput("Greeting: \(report.greeting)")
        printOutput("Signed in as \(username) with \(report.mechanism)")
        printOutput("Capabilities: \(report.capabilities.map(\.rawValue).joined(separator: " "))")
        printOutput(Self.table(report.mailboxes))
    }

    static func exitCode(for error: any Error) -> Int32 {
        if let failure = error as? OAuthTokenSource.Failure {
            // No token: refused by the authorization server (77, like a refused password) or
            // not reachable (69).
            return failure.kind == .reauthorizationNeeded ? 77 : 69
        }
        guard let error = error as? IMAPClientError else { return 1 }
        switch error.code {
        case .authenticationFailed: return 77
        case .protocolViolation: return 76
        case .connectFailed, .tlsFailure, .startTLSUnavailable, .timeout, .connectionClosed, .insecureNotAllowed: return 69
        default: return 1
        }
    }

    static func table(_ mailboxes: [ConnectionProbe.MailboxReport]) -> String {
        let width = max(7, mailboxes.map(\.listing.name.count).max() ?? 0)
        func pad(_ text: String, _ count: Int, right: Bool = false) -> String {
            let padding = String(repeating: " ", count: max(0, count - text.count))
            return right ? padding + text : text + padding
        }
        let mailboxes = mailboxes.sorted { lhs, rhs in
            let (l, r) = (lhs.listing.name, rhs.listing.name)
            return l == "INBOX" ? r != "INBOX" : (r == "INBOX" ? false : l < r)
        }
        var lines = ["\(pad("MAILBOX", width))  \(pad("MESSAGES", 8, right: true))  \(pad("UNSEEN", 6, right: true))  \(pad("UIDVALIDITY", 11, right: true))  \(pad("UIDNEXT", 8, right: true))"]
        for mailbox in mailboxes {
            let name = pad(mailbox.listing.name, width)
            guard let status = mailbox.status else {
                lines.append("\(name)  \(mailbox.statusError.map { "(status failed: \($0))" } ?? "(not selectable)")")
                continue
            }
            func value(_ number: UInt64?) -> String { number.map(String.init) ?? "-" }
            lines.append("\(name)  \(pad(value(status.messages), 8, right: true))  \(pad(value(status.unseen), 6, right: true))  \(pad(value(status.uidValidity), 11, right: true))  \(pad(value(status.uidNext), 8, right: true))")
        }
        return lines.joined(separator: "\n")
    }
}

extension IMAPSecurity: ExpressibleByArgument {}
extension ConnectionProbe.Authentication: ExpressibleByArgument {}

/// Unbuffered, so progress and errors interleave correctly when piped to a log.
func printOutput(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
