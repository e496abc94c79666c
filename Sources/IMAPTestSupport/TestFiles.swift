import Foundation
import Glibc

/// Temporary directories for tests, all under one root per test process
/// (`$TMPDIR/mailtrigger-tests.<pid>`) that is removed when the process exits: fixtures no
/// longer each have to clean up, and a developer's `/tmp` does not fill with state databases.
/// `MT_KEEP_TEST_FILES=1` keeps the root (its path is printed) to look at after a failure.
public enum TestFiles {
    /// The process's root, created (and its removal at exit registered) on first use.
    public static let root: String = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mailtrigger-tests.\(getpid())").path
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["MT_KEEP_TEST_FILES"] == "1" {
            print("test files kept in \(root)")
        } else {
            // atexit takes a C function: it cannot capture, so it recomputes the path.
            atexit {
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("mailtrigger-tests.\(getpid())").path
                try? FileManager.default.removeItem(atPath: root)
            }
        }
        return root
    }()

    /// A new, empty directory `<prefix>-<random>` under ``root``.
    public static func directory(_ prefix: String) throws -> String {
        let path = root + "/\(prefix)-\(UUID().uuidString.prefix(12))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
