import ArgumentParser
import TriggerCore

/// `mailtrigger check`: validate the configuration; exit 78 (EX_CONFIG) listing every error.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the configuration file; list every problem with its JSON path.",
        discussion: "Exit status: 0 valid (warnings may be printed); 78 invalid (EX_CONFIG)."
    )

    @Option(help: "The configuration file.")
    var config: String = Configuration.defaultPath

    @Flag(help: "Check the structure only: do not read secrets or look for CA files and programs.")
    var structureOnly = false

    func run() throws {
        let loaded = Configuration.load(path: config, checkEnvironment: !structureOnly)
        for warning in loaded.warnings { printError(warning.description) }
        guard let configuration = loaded.configuration else {
            for error in loaded.errors { printError(error.description) }
            printError("check: \(config): \(loaded.errors.count) error(s)")
            throw ExitCode(78)
        }
        let listening = configuration.profiles.filter(\.listen)
        let flows = configuration.profiles.reduce(0) { $0 + $1.flows.count }
        printOutput("\(config): valid — \(configuration.profiles.count) profile(s), \(listening.count) listening, \(flows) flow(s)")
    }
}
