import ArgumentParser
import TriggerCore

/// `mailtrigger check`: validate the configuration; exit 78 (EX_CONFIG) listing every error.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the configuration file; list every problem with its JSON path.",
        discussion: "Exit status: 0 valid (warnings may be printed); 78 invalid (EX_CONFIG)."
    )

    @OptionGroup var options: ConfigOption

    @Flag(help: "Check the structure only: do not read secrets or look for CA files and programs.")
    var structureOnly = false

    func run() throws {
        let configuration = try options.load(command: "check", checkEnvironment: !structureOnly)
        let listening = configuration.profiles.filter(\.listen)
        let flows = configuration.profiles.reduce(0) { $0 + $1.flows.count }
        printOutput("\(options.config): valid — \(configuration.profiles.count) profile(s), \(listening.count) listening, \(flows) flow(s)")
    }
}
