import ArgumentParser

/// The `mailtrigger` command line: wiring only; the work lives in TriggerCore.
@main
struct Mailtrigger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailtrigger",
        abstract: "Watch IMAP mailboxes and fire flows for every new message.",
        version: "0.1.0",
        subcommands: [Run.self, Check.self, TestConnection.self, DryRun.self, Status.self, Outbox.self, Inspect.self, OAuthCommand.self]
    )
}
