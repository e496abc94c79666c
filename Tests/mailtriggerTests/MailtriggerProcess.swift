import Foundation

/// Runs the built `mailtrigger` binary: `MT_CLI_BINARY` (set by scripts/test.sh) or the default
/// debug path.
enum MailtriggerProcess {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["MT_CLI_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/mailtrigger").path
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                      error: String(decoding: error, as: UTF8.self))
    }
}
