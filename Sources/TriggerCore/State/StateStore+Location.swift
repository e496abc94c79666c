import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension StateStore {
    /// The database file under the configured state directory.
    public static func path(for configuration: Configuration) -> String {
        (configuration.stateDirectory as NSString).appendingPathComponent("state.sqlite")
    }

    /// Opens the configuration's store, creating the state directory (mode 0700) if needed.
    /// A directory the daemon cannot write to (a read-only file system, wrong ownership) is
    /// named with the system's reason, rather than left to SQLite's "unable to open database
    /// file" on the first statement.
    public static func open(for configuration: Configuration) throws -> StateStore {
        let directory = configuration.stateDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // SQLite writes the `-wal` and `-shm` files next to the database: the directory itself
        // must be writable, not only the file.
        if access(directory, W_OK) != 0 {
            throw StateError(description: "the state directory \(directory) is not writable: \(String(cString: strerror(errno)))")
        }
        return try StateStore(path: path(for: configuration))
    }
}
