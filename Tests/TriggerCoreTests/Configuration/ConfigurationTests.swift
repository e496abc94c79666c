import Foundation
import IMAPClient
import Testing
@testable import TriggerCore

/// A minimal valid profile, as JSON text, with placeholders replaced per case.
let validProfile = """
{"name": "p", "server": {"host": "imap.example.org"}, "auth": {"username": "u", "password": "pw"},
 "flows": [{"name": "f", "match": {"subject": "x"}, "actions": [{"type": "webhook", "url": "https://h.example/x"}]}]}
"""

func load(_ json: String, checkEnvironment: Bool = false, environment: [String: String] = [:]) -> Configuration.Loaded {
    Configuration.parse(Array(json.utf8), checkEnvironment: checkEnvironment, environment: environment)
}

/// An `oauth2` auth object, with one key left out or one more added.
func oauth(removing: String? = nil, adding: String? = nil) -> String {
    var members = [#""method": "oauth2""#, #""username": "u@example.org""#, #""clientId": "client-1""#,
                   #""clientSecret": {"env": "MT_CLIENT_SECRET"}"#, #""tokenURL": "https://id.example/token""#,
                   #""refreshToken": {"file": "/etc/mailtrigger/refresh-token"}"#, #""scope": "https://mail.example/""#]
    if let removing { members.removeAll { $0.hasPrefix("\"\(removing)\"") } }
    if let adding { members.append(adding) }
    return "{" + members.joined(separator: ", ") + "}"
}

/// `{"profiles": [<profile with one key replaced>]}`.
func profileWith(_ key: String, _ value: String) -> String {
    var object = try! JSONSerialization.jsonObject(with: Data(validProfile.utf8)) as! [String: Any]
    object[key] = try! JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
    let data = try! JSONSerialization.data(withJSONObject: ["profiles": [object]])
    return String(decoding: data, as: UTF8.self)
}

struct InvalidConfig: CustomTestStringConvertible, Sendable {
    var name: String
    var json: String
    var path: String
    var fragment: String
    var testDescription: String { name }
}

@Suite("Configuration")
struct ConfigurationTests {
    static let invalid: [InvalidConfig] = [
        .init(name: "not JSON", json: "{\"profiles\": [", path: "", fragment: "not valid JSON: line 1"),
        .init(name: "root not an object", json: "[]", path: "", fragment: "expected an object, found an array"),
        .init(name: "no profiles", json: "{}", path: "profiles", fragment: "is required"),
        .init(name: "empty profiles", json: "{\"profiles\": []}", path: "profiles", fragment: "at least one profile"),
        .init(name: "unknown root key", json: "{\"profile\": [], \"profiles\": [\(validProfile)]}", path: "profile",
              fragment: "did you mean \"profiles\""),
        .init(name: "duplicate key", json: "{\"profiles\": [\(validProfile)], \"profiles\": []}", path: "profiles", fragment: "duplicate key"),
        .init(name: "profile without name", json: profileWith("name", "\"\""), path: "profiles[0].name", fragment: "must not be empty"),
        .init(name: "duplicate profile names", json: "{\"profiles\": [\(validProfile), \(validProfile)]}", path: "profiles[1].name",
              fragment: "duplicate profile name"),
        .init(name: "port out of range", json: profileWith("server", "{\"host\": \"h\", \"port\": 70000}"), path: "profiles[0].server.port",
              fragment: "between 1 and 65535"),
        .init(name: "port not a number", json: profileWith("server", "{\"host\": \"h\", \"port\": \"993\"}"), path: "profiles[0].server.port",
              fragment: "expected a whole number, found a string"),
        .init(name: "unknown security", json: profileWith("server", "{\"host\": \"h\", \"security\": \"ssl\"}"),
              path: "profiles[0].server.security", fragment: "\"ssl\" is not one of"),
        .init(name: "plain without permission", json: profileWith("server", "{\"host\": \"h\", \"security\": \"none\"}"),
              path: "profiles[0].server.security", fragment: "allowInsecure"),
        .init(name: "TLS max below min", json: profileWith("server", "{\"host\": \"h\", \"tls\": {\"minVersion\": \"1.3\", \"maxVersion\": \"1.2\"}}"),
              path: "profiles[0].server.tls.maxVersion", fragment: "lower than minVersion"),
        .init(name: "command timeout too short", json: profileWith("server", #"{"host": "h", "commandTimeout": "500ms"}"#),
              path: "profiles[0].server.commandTimeout", fragment: "at least 1s"),
        .init(name: "bad duration", json: profileWith("refreshInterval", "\"5 minutes please\""), path: "profiles[0].refreshInterval",
              fragment: "is not a duration"),
        .init(name: "duration without unit", json: profileWith("refreshInterval", "300"), path: "profiles[0].refreshInterval",
              fragment: "expected a string, found a number"),
        .init(name: "bad size", json: profileWith("maxMessageSize", "\"25 megs\""), path: "profiles[0].maxMessageSize", fragment: "is not a size"),
        .init(name: "unknown mode", json: profileWith("mode", "\"push\""), path: "profiles[0].mode", fragment: "\"push\" is not one of"),
        .init(name: "bad startFrom", json: profileWith("startFrom", "{\"since\": \"yesterday\"}"), path: "profiles[0].startFrom.since",
              fragment: "not a date"),
        .init(name: "startFrom last zero", json: profileWith("startFrom", "{\"last\": 0}"), path: "profiles[0].startFrom.last",
              fragment: "between 1 and"),
        .init(name: "unknown UIDVALIDITY policy", json: profileWith("onUIDValidityChange", "\"panic\""),
              path: "profiles[0].onUIDValidityChange", fragment: "is not one of"),
        .init(name: "empty mailboxes", json: profileWith("mailboxes", "[]"), path: "profiles[0].mailboxes", fragment: "at least one mailbox"),
        .init(name: "verification off by accident", json: profileWith("server", #"{"host": "h", "tls": {"verify": false}}"#),
              path: "profiles[0].server.tls.verify", fragment: "allowInsecure"),
        .init(name: "oauth2 without a refresh token", json: profileWith("auth", oauth(removing: "refreshToken")),
              path: "profiles[0].auth.refreshToken", fragment: "required"),
        .init(name: "oauth2 without an endpoint", json: profileWith("auth", oauth(removing: "tokenURL")),
              path: "profiles[0].auth.tokenURL", fragment: "discoveryURL"),
        .init(name: "oauth2 with both endpoints", json: profileWith("auth", oauth(adding: #""discoveryURL": "https://id.example/.well-known/openid-configuration""#)),
              path: "profiles[0].auth.discoveryURL", fragment: "not both"),
        .init(name: "oauth2 over plain http", json: profileWith("auth", oauth(removing: "tokenURL", adding: #""tokenURL": "http://id.example/token""#)),
              path: "profiles[0].auth.tokenURL", fragment: "must be https"),
        .init(name: "oauth2 with a password", json: profileWith("auth", oauth(adding: #""password": "pw""#)),
              path: "profiles[0].auth.password", fragment: "refreshToken"),
        .init(name: "oauth2 unknown mechanism", json: profileWith("auth", oauth(adding: #""mechanism": "plain""#)),
              path: "profiles[0].auth.mechanism", fragment: "is not one of"),
        .init(name: "secret with two sources", json: profileWith("auth", "{\"username\": \"u\", \"password\": {\"file\": \"/a\", \"env\": \"B\"}}"),
              path: "profiles[0].auth.password", fragment: "exactly one of"),
        .init(name: "invalid regex", json: profileWith("flows", "[{\"name\": \"f\", \"match\": {\"subject\": {\"regex\": \"([\"}}, \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}]}]"),
              path: "profiles[0].flows[0].match.subject.regex", fragment: "invalid regular expression"),
        .init(name: "two operators", json: profileWith("flows", "[{\"name\": \"f\", \"match\": {\"subject\": {\"contains\": \"a\", \"equals\": \"b\"}}, \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}]}]"),
              path: "profiles[0].flows[0].match.subject", fragment: "exactly one of"),
        .init(name: "typo in match", json: profileWith("flows", "[{\"name\": \"f\", \"match\": {\"subjet\": \"a\"}, \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}]}]"),
              path: "profiles[0].flows[0].match.subjet", fragment: "did you mean \"subject\""),
        .init(name: "unclosed glob", json: profileWith("flows", "[{\"name\": \"f\", \"match\": {\"from\": {\"glob\": \"*[abc\"}}, \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}]}]"),
              path: "profiles[0].flows[0].match.from.glob", fragment: "invalid glob"),
        .init(name: "no actions", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": []}]"), path: "profiles[0].flows[0].actions",
              fragment: "at least one action"),
        .init(name: "unknown action type", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"email\"}]}]"),
              path: "profiles[0].flows[0].actions[0].type", fragment: "\"email\" is not one of"),
        .init(name: "webhook URL not http", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"webhook\", \"url\": \"ftp://h/x\"}]}]"),
              path: "profiles[0].flows[0].actions[0].url", fragment: "not an http(s) URL"),
        .init(name: "exec relative program", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"exec\", \"command\": [\"notify-send\", \"x\"]}]}]"),
              path: "profiles[0].flows[0].actions[0].command[0]", fragment: "must be an absolute path"),
        .init(name: "exec as a user that does not exist", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"exec\", \"command\": [\"/bin/true\"], \"user\": \"mt-no-such-user\"}]}]"),
              path: "profiles[0].flows[0].actions[0].user", fragment: "no user \"mt-no-such-user\""),
        .init(name: "exec in a group that does not exist", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"exec\", \"command\": [\"/bin/true\"], \"group\": \"mt-no-such-group\"}]}]"),
              path: "profiles[0].flows[0].actions[0].group", fragment: "no group \"mt-no-such-group\""),
        .init(name: "exec user of the wrong type", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"exec\", \"command\": [\"/bin/true\"], \"user\": true}]}]"),
              path: "profiles[0].flows[0].actions[0].user", fragment: "a user name or number"),
        .init(name: "exec user on a webhook", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\", \"user\": \"nobody\"}]}]"),
              path: "profiles[0].flows[0].actions[0].user", fragment: "belongs to \"exec\""),
        .init(name: "exec key on webhook", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\", \"stdin\": \"raw\"}]}]"),
              path: "profiles[0].flows[0].actions[0].stdin", fragment: "belongs to \"exec\""),
        .init(name: "header injection", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\", \"headers\": {\"X-A\": \"a\\r\\nX-B: b\"}}]}]"),
              path: "profiles[0].flows[0].actions[0].headers.X-A", fragment: "line breaks"),
        .init(name: "move and delete", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}], \"onSuccess\": [{\"moveTo\": \"A\"}, \"delete\"]}]"),
              path: "profiles[0].flows[0].onSuccess", fragment: "contradict"),
        .init(name: "bad flag", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}], \"onFailure\": [{\"addFlags\": [\"has space\"]}]}]"),
              path: "profiles[0].flows[0].onFailure[0].addFlags[0]", fragment: "not a valid IMAP flag"),
        .init(name: "duplicate flow names", json: profileWith("flows", "[{\"name\": \"f\", \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}]}, {\"name\": \"f\", \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/y\"}]}]"),
              path: "profiles[0].flows[1].name", fragment: "duplicate flow name"),
        .init(name: "empty match", json: profileWith("flows", "[{\"name\": \"f\", \"match\": {}, \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}]}]"),
              path: "profiles[0].flows[0].match", fragment: "an empty match"),
        .init(name: "size min above max", json: profileWith("flows", "[{\"name\": \"f\", \"match\": {\"size\": {\"min\": \"2MB\", \"max\": \"1MB\"}}, \"actions\": [{\"type\": \"webhook\", \"url\": \"https://h/x\"}]}]"),
              path: "profiles[0].flows[0].match.size", fragment: "larger than"),
    ]

    @Test("each invalid configuration names its JSON path", arguments: invalid)
    func invalidConfiguration(_ config: InvalidConfig) {
        let loaded = load(config.json)
        #expect(loaded.configuration == nil)
        #expect(loaded.errors.contains { $0.path == config.path && $0.message.contains(config.fragment) },
                "\(loaded.errors.map(\.description))")
    }

    @Test func everyErrorIsReportedAtOnce() {
        let json = profileWith("server", "{\"host\": \"\", \"port\": 0, \"security\": \"ssl\", \"colour\": 1}")
        let loaded = load(json)
        #expect(Set(loaded.errors.map(\.path)) ==
                ["profiles[0].server.host", "profiles[0].server.port", "profiles[0].server.security", "profiles[0].server.colour"])
    }

    @Test func theExampleIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config.example.json")
        let loaded = Configuration.load(path: url.path, checkEnvironment: false)
        let configuration = try #require(loaded.configuration, "\(loaded.errors)")
        #expect(loaded.warnings.isEmpty)
        #expect(configuration.profiles.map(\.name) == ["support", "alerts", "gmail"])
        guard case let .oauth2(gmail) = configuration.profiles[2].auth else {
            Issue.record("the gmail profile signs in with oauth2")
            return
        }
        #expect(gmail.endpoint == .discovery("https://accounts.google.com/.well-known/openid-configuration"))
        #expect(gmail.refreshToken == .credential("gmail-refresh-token") && gmail.mechanism == .auto)
        let support = configuration.profiles[0]
        #expect(support.listen && support.mode == .auto && support.startFrom == .new)
        #expect(support.server.port == 993 && support.server.security == .tls)
        #expect(support.maxMessageSize == 25 * 1024 * 1024)
        #expect(support.refreshInterval == .seconds(300))
        #expect(support.auth == .password(username: "support@example.org", password: .credential("support-imap-password")))
        #expect(support.flows[0].match == .all([.subject(TextCondition(op: .regex, pattern: "order #?[0-9]+", caseSensitive: false)),
                                                .from(TextCondition(op: .glob, pattern: "*@customer.example", caseSensitive: false))]))
        #expect(support.flows[0].onSuccess == [.markSeen, .moveTo("Processed")])
        #expect(support.flows[1].actions == [.exec(ExecAction(command: ["/usr/local/bin/file-invoice", "--queue", "accounting"],
                                                                stdin: .json, timeout: .seconds(30), environment: ["LANG": "C.UTF-8"]))])
        let alerts = configuration.profiles[1]
        #expect(!alerts.listen && alerts.mode == .poll && alerts.startFrom == .last(20))
        #expect(alerts.server.security == .starttls && alerts.server.port == 143)
        #expect(alerts.flows[0].stop)
    }

    @Test("a file readable by others warns only when it holds inline secrets",
          arguments: [("pw", 0o644, true), ("pw", 0o600, false), (nil, 0o644, false)] as [(String?, Int, Bool)])
    func readableFileWithInlineSecrets(password: String?, mode: Int, warns: Bool) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mt-config-\(UUID().uuidString.prefix(8)).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secret = password.map { "\"\($0)\"" } ?? #"{"credential": "imap-password"}"#
        try profileWith("auth", #"{"username": "u", "password": \#(secret)}"#).write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode_t(mode))
        let loaded = Configuration.load(path: path, checkEnvironment: false)
        #expect(loaded.configuration != nil)
        #expect(loaded.warnings.contains { $0.message.contains("inline secrets") } == warns, "\(loaded.warnings)")
    }

    @Test func oauth2IsReadWithEverySetting() throws {
        let loaded = load(profileWith("auth", oauth(adding: #""mechanism": "OAUTHBEARER""#)))
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        let auth = try #require(loaded.configuration?.profiles.first?.auth)
        #expect(auth == .oauth2(OAuth2Settings(username: "u@example.org", clientID: "client-1", clientSecret: .environment("MT_CLIENT_SECRET"),
                                               endpoint: .token("https://id.example/token"),
                                               refreshToken: .file("/etc/mailtrigger/refresh-token"),
                                               scope: "https://mail.example/", mechanism: .oauthbearer)))
        let discovery = load(profileWith("auth", oauth(removing: "tokenURL", adding: #""discoveryURL": "http://127.0.0.1:9/.well-known/openid-configuration""#)))
        guard case let .oauth2(settings)? = discovery.configuration?.profiles.first?.auth else {
            Issue.record("\(discovery.errors)")
            return
        }
        #expect(settings.endpoint == .discovery("http://127.0.0.1:9/.well-known/openid-configuration"), "http is fine on loopback")
        #expect(settings.mechanism == .auto)
    }

    @Test func defaultsApply() throws {
        let configuration = try #require(load("{\"profiles\": [\(validProfile)]}").configuration)
        let profile = configuration.profiles[0]
        #expect(configuration.stateDirectory == "/var/lib/mailtrigger")
        #expect(profile.listen && profile.mailboxes == ["INBOX"] && profile.mode == .auto)
        #expect(profile.startFrom == .new && profile.onUIDValidityChange == .rebaseline)
        #expect(profile.server.port == 993 && profile.server.tls.verify)
        #expect(profile.server.connectTimeout == .seconds(30) && profile.server.commandTimeout == .seconds(60))
        #expect(profile.flows[0].match == .subject(TextCondition(op: .contains, pattern: "x", caseSensitive: false)))
        guard case let .webhook(webhook) = profile.flows[0].actions[0] else { Issue.record("no webhook"); return }
        #expect(webhook.timeout == .seconds(10) && webhook.signatureHeader == "X-Mailtrigger-Signature")
    }

    @Test func commandTimeoutIsItsOwnSetting() throws {
        let json = profileWith("server", #"{"host": "h", "timeout": "5s", "commandTimeout": "3s"}"#)
        let server = try #require(load(json).configuration).profiles[0].server
        #expect(server.connectTimeout == .seconds(5) && server.commandTimeout == .seconds(3))
        // Without it, commands get the connect timeout, but never less than a minute.
        let defaulted = try #require(load(profileWith("server", #"{"host": "h", "timeout": "90s"}"#)).configuration).profiles[0].server
        #expect(defaulted.commandTimeout == .seconds(90))
    }

    @Test func warningsDoNotFail() throws {
        let json = profileWith("flows", "[]")
        let loaded = load(json)
        #expect(loaded.configuration != nil)
        #expect(loaded.warnings.map(\.path) == ["profiles[0].flows"])
        // Verification off, explicitly allowed: valid, and still a warning.
        let unverified = load(profileWith("server", #"{"host": "h", "allowInsecure": true, "tls": {"verify": false}}"#))
        #expect(unverified.configuration?.profiles.first?.server.tls.verify == false)
        #expect(unverified.warnings.map(\.path) == ["profiles[0].server.tls.verify"])
    }

    @Test func anExecHookUserAndGroupAreResolvedFromTheSystem() throws {
        let nobody = try #require(getpwnam("nobody")?.pointee)
        let root = try #require(getgrgid(0)?.pointee)
        let flows = #"[{"name": "f", "actions": [{"type": "exec", "command": ["/bin/true"], "user": "nobody"}, "#
            + #"{"type": "exec", "command": ["/bin/true"], "user": 65534, "group": "\#(String(cString: root.gr_name))"}]}]"#
        let configuration = try #require(load(profileWith("flows", flows)).configuration)
        let actions = configuration.profiles[0].flows[0].actions
        guard case let .exec(byName) = actions[0], case let .exec(byNumber) = actions[1] else { Issue.record("\(actions)"); return }
        #expect(byName.runAs?.uid == nobody.pw_uid && byName.runAs?.gid == nobody.pw_gid)
        #expect(byName.runAs?.groups.contains(nobody.pw_gid) == true, "the user's groups, the primary one included")
        #expect(byNumber.runAs == ExecAction.RunAs(user: "65534", uid: 65534, gid: 0, groups: [0]), "a group given: that group only")
    }

    @Test(arguments: [("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("5m", .seconds(300)),
                      ("2h", .seconds(7200)), ("1d", .seconds(86_400)), ("1.5s", .milliseconds(1500))])
    func durations(text: String, expected: Duration) {
        #expect(ConfigUnits.duration(text) == expected)
    }

    @Test(arguments: [("1024", 1024), ("512KB", 512 * 1024), ("25MB", 25 * 1024 * 1024), ("1GB", 1 << 30), ("2MiB", 2 << 20)])
    func sizes(text: String, expected: Int) {
        #expect(ConfigUnits.size(text) == expected)
    }

    @Test(arguments: ["", "5", "5 parsecs", "-1s", "s"])
    func badDurations(text: String) {
        #expect(ConfigUnits.duration(text) == nil)
    }

    @Test func syntaxErrorsHaveLineAndColumn() {
        let loaded = load("{\n  \"profiles\": [\n    {\"name\": tru}\n  ]\n}")
        #expect(loaded.errors.first?.message.contains("line 3, column 14") == true, "\(loaded.errors)")
    }
}
