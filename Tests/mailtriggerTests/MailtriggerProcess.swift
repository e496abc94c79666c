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

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try run(program: binary, arguments, environment: environment)
    }

    /// Runs any program and collects its output.
    static func run(program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
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
