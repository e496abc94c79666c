import ArgumentParser
import Foundation
import IMAPClient
import Logging
import TriggerCore

/// `mailtrigger dry-run`: which flows the latest messages would fire, and their payloads.
struct DryRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Show which flows the most recent messages would fire, with their payloads.",
        discussion: """
        Read-only: the mailbox is opened with EXAMINE and messages are fetched with BODY.PEEK, so no \
        flag changes; nothing is sent, queued or recorded. Exit status: 0; 64 unknown profile or \
        mailbox; 69 cannot connect; 77 sign-in refused; 78 invalid configuration.
        """
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "The profile to evaluate.")
    var profile: String

    @Option(help: "The mailbox (default: the profile's first).")
    var mailbox: String?

    @Option(help: "How many of the most recent messages.")
    var last = 10

    @Flag(help: "Print the payload each firing flow would receive.")
    var payload = false

    func run() async throws {
        let configuration = try options.load(command: "dry-run")
        let profile = try ConfigOption.profile(self.profile, in: configuration, command: "dry-run")
        let mailbox = self.mailbox ?? profile.mailboxes[0]
        var logger = Logger(label: "mailtrigger")
        logger.logLevel = .warning
        let planner = IngestPlanner(profile: profile, mailbox: mailbox)
        let session: IMAPSession
        // An OAuth 2.0 profile gets its token from the refresh-token grant; nothing is stored.
        let tokenClient = WebhookClient(maxIdlePerEndpoint: 1)
        let tokens = OAuthTokenSources(client: tokenClient, store: nil, logger: logger)
        do {
            session = try await tokens.connector(for: profile, logger: logger).open()
            await tokenClient.shutdown()
        } catch {
            await tokenClient.shutdown()
            printError("dry-run: \(profile.name): \(error)")
            throw ExitCode(TestConnection.exitCode(for: error))
        }
        do {
            let selected = try await session.select(mailbox, readOnly: true)
            let uids = Array(try await session.uidSearch(.all).suffix(max(0, last)))
            printOutput("\(profile.name)/\(mailbox): UIDVALIDITY \(selected.uidValidity), \(selected.exists) message(s); evaluating the last \(uids.count)")
            try await session.fetchMessages(uids: uids, maxBodySize: UInt32(clamping: profile.maxMessageSize)) { message in
                let plan = planner.plan(message, uidValidity: selected.uidValidity)
                let subject = plan.payload.subject ?? "(no subject)"
                let fired = plan.flows.isEmpty ? "no flow fires" : "fires: " + plan.flows.joined(separator: ", ")
                printOutput("UID \(message.uid)  \(subject.debugDescription)  → \(fired)")
                for note in plan.matchNotes { printOutput("  warning: \(note)") }
                if payload, !plan.flows.isEmpty {
                    printOutput(plan.payload.json(pretty: true))
                }
            }
            await session.logout()
        } catch {
            await session.close()
            printError("dry-run: \(profile.name)/\(mailbox): \(error)")
            throw ExitCode((error as? IMAPClientError)?.code == .commandFailed ? 64 : TestConnection.exitCode(for: error))
        }
    }
}
