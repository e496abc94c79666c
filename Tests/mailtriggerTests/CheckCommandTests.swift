import Foundation
import Testing

/// The `mailtrigger check` binary: exit 0 for a valid file, 78 (EX_CONFIG) listing every error.
@Suite("check command")
struct CheckCommandTests {
    func run(_ arguments: [String]) throws -> MailtriggerProcess.Result {
        try MailtriggerProcess.run(arguments)
    }

    @Test func theExampleIsValidInStructure() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config.example.json").path
        let result = try run(["check", "--structure-only", "--config", example])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("valid — 3 profile(s), 1 listening, 4 flow(s)"))
    }

    @Test func anInvalidFileExits78WithEveryError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mt-bad-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        {"profiles": [{"name": "a", "server": {"host": "h", "port": 0}, "auth": {"username": "u", "password": {"env": "MT_UNSET_SECRET_VAR"}},
          "flows": [{"name": "f", "match": {"subjet": "x"}, "actions": [{"type": "webhook", "url": "ftp://x"}]}]}]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try run(["check", "--config", path])
        #expect(result.status == 78)
        for line in ["profiles[0].server.port: must be between 1 and 65535",
                     "profiles[0].auth.password: environment variable MT_UNSET_SECRET_VAR is not set",
                     "profiles[0].flows[0].match.subjet: unknown key (did you mean \"subject\"?)",
                     "profiles[0].flows[0].actions[0].url: \"ftp://x\" is not an http(s) URL",
                     "4 error(s)"] {
            #expect(result.error.contains(line), "missing: \(line)\n\(result.error)")
        }
    }

    @Test func aMissingFileExits78() throws {
        let result = try run(["check", "--config", "/nonexistent/mailtrigger.json"])
        #expect(result.status == 78)
        #expect(result.error.contains("does not exist"))
    }
}
