import ArgumentParser
import Foundation
import TriggerCore

/// `mailtrigger outbox list|retry|drop`: dead letters, kept until replayed or dropped.
struct Outbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, replay or drop dead letters (jobs that failed for good).",
        subcommands: [List.self, Retry.self, Drop.self]
    )

    static func store(_ options: ConfigOption, command: String) throws -> StateStore {
        let configuration = try options.load(command: command, checkEnvironment: false)
        guard FileManager.default.fileExists(atPath: StateStore.path(for: configuration)) else {
            printError("\(command): no state yet in \(configuration.stateDirectory): the daemon has not run with this configuration")
            throw ExitCode(73)
        }
        do {
            return try StateStore(path: StateStore.path(for: configuration))
        } catch {
            printError("\(command): cannot open the state store: \(error)")
            throw ExitCode(73)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters: id, key, attempts, last error.")
        @OptionGroup var options: ConfigOption

        func run() throws {
            let jobs = try Outbox.store(options, command: "outbox list").deadJobs()
            guard !jobs.isEmpty else {
                printOutput("no dead letters")
                return
            }
            for job in jobs {
                let kind = job.kind == .post ? "post-actions" : "action \(job.actionIndex)"
                printOutput("\(job.id)  \(job.messageKey)  \(kind)  attempts=\(job.attempts)  error: \(job.lastError ?? "-")")
            }
        }
    }

    /// Which dead letters `retry` and `drop` act on.
    struct Selection: ParsableArguments {
        @Argument(help: "The job id (from `outbox list`).") var id: Int64?
        @Flag(help: "Every dead letter.") var all = false

        func validate() throws {
            guard (id != nil) != all else { throw ValidationError("give a job id or --all") }
        }

        /// Runs `change` on the store and reports the count; exit 1 when the id named nothing.
        func apply(_ options: ConfigOption, command: String, done: String, _ change: (StateStore, Int64?) throws -> Int) throws {
            let count = try change(Outbox.store(options, command: command), id)
            printOutput("\(count) job(s) \(done)")
            if count == 0, id != nil { throw ExitCode(1) }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue dead letters again with fresh attempts (the running daemon picks them up).")
        @OptionGroup var options: ConfigOption
        @OptionGroup var selection: Selection

        func run() throws {
            try selection.apply(options, command: "outbox retry", done: "queued again") { try $0.retryDead(id: $1) }
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead letters for good.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var selection: Selection

        func run() throws {
            try selection.apply(options, command: "outbox drop", done: "dropped") { try $0.dropDead(id: $1) }
        }
    }
}
