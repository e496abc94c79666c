import ArgumentParser
import TriggerCore

/// `--config`, shared by every command that reads the configuration.
struct ConfigOption: ParsableArguments {
    @Option(help: "The configuration file.")
    var config: String = Configuration.defaultPath

    /// Loads and validates the file, printing warnings; on errors prints them all and exits 78
    /// (EX_CONFIG) before anything starts.
    func load(command: String, checkEnvironment: Bool = true) throws -> Configuration {
        let loaded = Configuration.load(path: config, checkEnvironment: checkEnvironment)
        for warning in loaded.warnings { printError(warning.description) }
        guard let configuration = loaded.configuration else {
            for error in loaded.errors { printError(error.description) }
            printError("\(command): \(config): \(loaded.errors.count) error(s)")
            throw ExitCode(78)
        }
        return configuration
    }

    /// The named profile, or exit 64 listing the names.
    static func profile(_ name: String, in configuration: Configuration, command: String) throws -> Profile {
        guard let profile = configuration.profiles.first(where: { $0.name == name }) else {
            printError("\(command): no profile \"\(name)\"; profiles: \(configuration.profiles.map(\.name).joined(separator: ", "))")
            throw ExitCode(64)
        }
        return profile
    }
}
