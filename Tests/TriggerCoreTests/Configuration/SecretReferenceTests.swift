import Foundation
import Testing
@testable import TriggerCore

@Suite("Secrets")
struct SecretReferenceTests {
    func temporaryFile(_ content: String, mode: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mt-secret-\(UUID().uuidString)").path
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test func everySourceResolves() throws {
        let file = try temporaryFile("from-file\n", mode: 0o600)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let directory = (file as NSString).deletingLastPathComponent
        let name = (file as NSString).lastPathComponent
        #expect(try SecretReference.inline("x").resolve(environment: [:]) == "x")
        #expect(try SecretReference.file(file).resolve(environment: [:]) == "from-file")
        #expect(try SecretReference.environment("MT_S").resolve(environment: ["MT_S": "from-env"]) == "from-env")
        #expect(try SecretReference.credential(name).resolve(environment: ["CREDENTIALS_DIRECTORY": directory]) == "from-file")
        #expect(SecretReference.file(file).permissionWarning() == nil)
    }

    @Test func failuresNameTheSourceNotTheSecret() throws {
        #expect(throws: SecretReference.ResolveError.self) { try SecretReference.environment("MT_MISSING").resolve(environment: [:]) }
        #expect(throws: SecretReference.ResolveError.self) { try SecretReference.credential("x").resolve(environment: [:]) }
        #expect(throws: SecretReference.ResolveError.self) {
            try SecretReference.credential("../etc/passwd").resolve(environment: ["CREDENTIALS_DIRECTORY": "/tmp"])
        }
        #expect("\(SecretReference.inline("hunter2"))" == "inline secret")
    }

    @Test func worldReadableSecretFileWarns() throws {
        let file = try temporaryFile("pw\n", mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(SecretReference.file(file).permissionWarning()?.contains("readable by other users") == true)
        let json = profileWith("auth", "{\"username\": \"u\", \"password\": {\"file\": \"\(file)\"}}")
        let loaded = load(json, checkEnvironment: true)
        #expect(loaded.configuration != nil)
        #expect(loaded.warnings.contains { $0.path == "profiles[0].auth.password" })
    }

    @Test func checkingTheEnvironmentReportsMissingSecrets() {
        let json = profileWith("auth", "{\"username\": \"u\", \"password\": {\"env\": \"MT_NOT_SET\"}}")
        #expect(load(json, checkEnvironment: false).configuration != nil)
        let loaded = load(json, checkEnvironment: true, environment: [:])
        #expect(loaded.errors.map(\.path) == ["profiles[0].auth.password"])
        #expect(loaded.errors.first?.message.contains("MT_NOT_SET") == true)
    }

    /// Threat model U3: a receiver's token or a hook's key need not be written in the file.
    @Test func headerAndHookEnvironmentValuesMayBeSecrets() throws {
        let file = try temporaryFile("Bearer t\n", mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: file) }
        func flows(bad: Bool) -> String {
            """
            [{"name": "f", "actions": [
              {"type": "webhook", "url": "https://example.org/hook",
               "headers": {"Authorization": {"file": "\(file)"}, "X-Key": {"env": "MT_KEY"}, "X-Plain": ""\(bad ? #", "X-Bad": 7"# : "")}},
              {"type": "exec", "command": ["/bin/true"],
               "env": {"TOKEN": {"credential": "hook-token"}, "MODE": "fast"\(bad ? #", "BAD": {"env": ""}"# : "")}}]}]
            """
        }
        let loaded = load(profileWith("flows", flows(bad: true)), checkEnvironment: true, environment: ["MT_KEY": "k"])
        #expect(loaded.errors.map(\.path).sorted() == ["profiles[0].flows[0].actions[0].headers.X-Bad",
                                                       "profiles[0].flows[0].actions[1].env.BAD.env",
                                                       "profiles[0].flows[0].actions[1].env.TOKEN"], "\(loaded.errors)")
        #expect(loaded.errors.contains { $0.message.contains("CREDENTIALS_DIRECTORY") })
        #expect(loaded.warnings.map(\.path) == ["profiles[0].flows[0].actions[0].headers.Authorization"], "a readable secret file warns")

        let fixed = profileWith("flows", flows(bad: false))
        let good = try #require(load(fixed, checkEnvironment: false).configuration, "\(load(fixed).errors)")
        guard case let .webhook(webhook) = good.profiles[0].flows[0].actions[0],
              case let .exec(exec) = good.profiles[0].flows[0].actions[1] else { Issue.record("actions"); return }
        #expect(webhook.headers == ["Authorization": .file(file), "X-Key": .environment("MT_KEY"), "X-Plain": ""])
        #expect(exec.environment == ["TOKEN": .credential("hook-token"), "MODE": "fast"])
    }

    /// U3: an inline value under a credential's name (`Authorization`, `API_TOKEN`) makes a
    /// configuration readable by others worth a warning; a plain header does not.
    @Test(arguments: [("headers", "Authorization", true), ("headers", "X-Source", false), ("env", "API_TOKEN", true), ("env", "MODE", false)])
    func inlineCredentialHeadersAndVariablesMakeTheFileSensitive(key: String, name: String, warns: Bool) throws {
        let action = key == "headers" ? #"{"type": "webhook", "url": "https://example.org/h", "headers": {"\#(name)": "value-1"}}"#
                                      : #"{"type": "exec", "command": ["/bin/true"], "env": {"\#(name)": "value-1"}}"#
        let auth = #"{"username": "u", "password": {"env": "MT_PW"}}"#
        var object = try #require(try JSONSerialization.jsonObject(with: Data(profileWith("auth", auth).utf8)) as? [String: Any])
        var profile = try #require((object["profiles"] as? [[String: Any]])?.first)
        profile["flows"] = try JSONSerialization.jsonObject(with: Data(#"[{"name": "f", "actions": [\#(action)]}]"#.utf8))
        object["profiles"] = [profile]
        let file = try temporaryFile(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self), mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let loaded = Configuration.load(path: file, checkEnvironment: false)
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        #expect(loaded.warnings.contains { $0.message.contains("inline secrets") } == warns, "\(loaded.warnings)")
    }
}

