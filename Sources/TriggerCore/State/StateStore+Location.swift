import Foundation

extension StateStore {
    /// The database file under the configured state directory.
    public static func path(for configuration: Configuration) -> String {
        (configuration.stateDirectory as NSString).appendingPathComponent("state.sqlite")
    }

    /// Opens the configuration's store, creating the state directory (mode 0700) if needed.
    public static func open(for configuration: Configuration) throws -> StateStore {
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return try StateStore(path: path(for: configuration))
    }
}
