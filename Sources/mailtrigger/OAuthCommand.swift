public import ArgumentParser
import Foundation
public import TriggerCore

/// `mailtrigger oauth login`: the first refresh token of an OAuth 2.0 profile (docs/oauth2.md).
struct OAuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth",
        abstract: "Sign in an OAuth 2.0 profile.",
        subcommands: [Login.self]
    )

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Obtain a profile's refresh token and store it where its refreshToken points.",
            discussion: """
            Uses the device authorization grant (RFC 8628) when the provider has a device endpoint: \
            open the page shown and enter the code, on any device. Otherwise the authorization-code \
            grant with PKCE: open the address shown in a browser on this machine, which returns to a \
            listener on 127.0.0.1. A refreshToken of {"file": PATH} is written there (mode 0600), as is \
            --output FILE; for {"env"}, {"credential"} or an inline value the token is printed with \
            what to do with it. \
            Exit status: 0 signed in; 77 refused or expired; 69 the provider is unreachable; 64 the \
            profile is not oauth2 or the flow has no endpoint; 73 the file cannot be written.
            """
        )

        @OptionGroup var options: ConfigOption

        @Option(help: "The profile to sign in.")
        var profile: String

        @Option(help: "auto (device when offered, else browser), device, or browser.")
        var flow: OAuthLogin.Flow = .auto

        @Option(help: "The device authorization endpoint, when the profile has a tokenURL and no discoveryURL.")
        var deviceURL: String?

        @Option(help: "The authorization endpoint, when the profile has a tokenURL and no discoveryURL.")
        var authorizeURL: String?

        @Option(help: "The loopback port of the browser flow's redirect (0: any free port).")
        var port: Int = 0

        @Option(help: "Seconds to wait for the sign-in.")
        var timeout: Int = 600

        @Option(help: """
            Write the refresh token to this file (mode 0600) whatever the profile's refreshToken \
            names: say, the source of the unit's LoadCredential= for a {"credential": …} token.
            """)
        var output: String?

        func run() async throws {
            // The refresh token may not exist yet: that is what this command is for.
            let configuration = try options.load(command: "oauth login", checkEnvironment: false)
            let profile = try ConfigOption.profile(self.profile, in: configuration, command: "oauth login")
            guard case let .oauth2(settings) = profile.auth else {
                printError("oauth login: profile \(profile.name) signs in with a password, not oauth2")
                throw ExitCode(64)
            }
            let client = WebhookClient(maxIdlePerEndpoint: 1)
            var login = OAuthLogin(profile: profile.name, settings: settings, client: client, say: { printOutput($0) })
            login.deviceURL = deviceURL
            login.authorizeURL = authorizeURL
            login.port = port
            login.timeout = .seconds(timeout)
            let refreshToken: String
            do {
                refreshToken = try await login.run(flow)
            } catch let failure as OAuthLogin.Failure {
                await client.shutdown()
                printError("oauth login: \(failure)")
                throw ExitCode(failure.kind == .denied ? 77 : failure.kind == .unusable ? 64 : 69)
            } catch let failure as OAuthTokenSource.Failure {
                await client.shutdown()
                printError("oauth login: \(failure)")
                throw ExitCode(69)
            }
            await client.shutdown()
            try store(refreshToken, at: output.map(SecretReference.file) ?? settings.refreshToken, profile: profile.name)
        }

        /// Puts the token where the profile reads it, or prints it with what to do.
        func store(_ token: String, at reference: SecretReference, profile: String) throws {
            switch reference {
            case let .file(path):
                do {
                    try SecretFile.write(token, to: path)
                } catch {
                    printError("oauth login: cannot write \(path): \(error)")
                    throw ExitCode(73)
                }
                printOutput("Signed in. The refresh token is in \(path); the daemon uses it at its next sign-in (or: systemctl reload mailtrigger).")
            case let .environment(name):
                printOutput("Signed in. Set the environment variable \(name) of the service to this refresh token:")
                printOutput(token)
            case let .credential(name):
                printOutput("Signed in. Store this refresh token as the credential \(name), for example with")
                printOutput("  systemd-creds encrypt --name=\(name) - /etc/mailtrigger/\(name).cred   (then LoadCredentialEncrypted=\(name):/etc/mailtrigger/\(name).cred)")
                printOutput(token)
            case .inline:
                printOutput("Signed in. Put this refresh token in the profile's refreshToken (better: {\"file\": …} or {\"credential\": …}):")
                printOutput(token)
            }
        }
    }
}

extension OAuthLogin.Flow: ExpressibleByArgument {}
