import Foundation
import Testing

/// `mailtrigger run` refuses every invalid configuration before starting anything.
@Suite("run command")
struct RunCommandTests {
    static let profile = #"{"name": "p", "server": {"host": "127.0.0.1"}, "auth": {"username": "u", "password": "pw"}, "flows": [FLOW]}"#
    static let flow = #"{"name": "f", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}"#

    /// (what is wrong, the profile or root JSON, a JSON path the error must name)
    static let cases: [(String, String, String)] = [
        ("syntax error", #"{"profiles": [}"#, "not valid JSON"),
        ("no profiles", #"{}"#, "profiles"),
        ("unknown root key", #"{"profils": []}"#, "profils"),
        ("unknown profile key", p(#""hots": 1"#), "profiles[0].hots"),
        ("missing server host", p(#""server": {"port": 993}"#, replacing: #""server": {"host": "127.0.0.1"}"#), "profiles[0].server.host"),
        ("port out of range", p(#""server": {"host": "h", "port": 0}"#, replacing: #""server": {"host": "127.0.0.1"}"#), "profiles[0].server.port"),
        ("security none without allowInsecure", p(#""server": {"host": "h", "security": "none"}"#, replacing: #""server": {"host": "127.0.0.1"}"#), "profiles[0].server.security"),
        ("unknown auth method", p(#""auth": {"method": "kerberos", "username": "u"}"#, replacing: #""auth": {"username": "u", "password": "pw"}"#), "profiles[0].auth.method"),
        ("missing password", p(#""auth": {"username": "u"}"#, replacing: #""auth": {"username": "u", "password": "pw"}"#), "profiles[0].auth.password"),
        ("password file missing", p(#""auth": {"username": "u", "password": {"file": "/nonexistent/pw"}}"#, replacing: #""auth": {"username": "u", "password": "pw"}"#), "profiles[0].auth.password"),
        ("password env unset", p(#""auth": {"username": "u", "password": {"env": "MT_SURELY_UNSET_VARIABLE"}}"#, replacing: #""auth": {"username": "u", "password": "pw"}"#), "profiles[0].auth.password"),
        ("bad mode", p(#""mode": "push""#), "profiles[0].mode"),
        ("bad refreshInterval", p(#""refreshInterval": "soon""#), "profiles[0].refreshInterval"),
        ("bad maxMessageSize", p(#""maxMessageSize": "huge""#), "profiles[0].maxMessageSize"),
        ("bad startFrom", p(#""startFrom": "yesterday""#), "profiles[0].startFrom"),
        ("bad regex", p(#""flows": [{"name": "f", "match": {"subject": {"regex": "(["}}, "actions": [{"type": "webhook", "url": "http://h/x"}]}]"#, replacing: #""flows": [FLOW]"#), "profiles[0].flows[0].match.subject.regex"),
        ("unknown match key", p(#""flows": [{"name": "f", "match": {"subjcet": "x"}, "actions": [{"type": "webhook", "url": "http://h/x"}]}]"#, replacing: #""flows": [FLOW]"#), "profiles[0].flows[0].match.subjcet"),
        ("unknown action type", p(#""flows": [{"name": "f", "actions": [{"type": "email"}]}]"#, replacing: #""flows": [FLOW]"#), "profiles[0].flows[0].actions[0].type"),
        ("webhook URL not http", p(#""flows": [{"name": "f", "actions": [{"type": "webhook", "url": "ftp://h/x"}]}]"#, replacing: #""flows": [FLOW]"#), "profiles[0].flows[0].actions[0].url"),
        ("exec program relative", p(#""flows": [{"name": "f", "actions": [{"type": "exec", "command": ["hook.sh"]}]}]"#, replacing: #""flows": [FLOW]"#), "profiles[0].flows[0].actions[0].command"),
        ("bad post-action", p(#""flows": [{"name": "f", "actions": [{"type": "webhook", "url": "http://h/x"}], "onSuccess": ["archive"]}]"#, replacing: #""flows": [FLOW]"#), "profiles[0].flows[0].onSuccess[0]"),
        ("duplicate flow names", p(#""flows": [FLOW, FLOW]"#, replacing: #""flows": [FLOW]"#), "profiles[0].flows[1].name"),
        ("bad delivery concurrency", #"{"delivery": {"concurrency": 0}, "profiles": [\#(complete(profile))]}"#, "delivery.concurrency"),
    ]

    static func complete(_ json: String) -> String { json.replacingOccurrences(of: "FLOW", with: flow) }

    /// The valid profile with `extra` added (or replacing `replacing`), wrapped as a file.
    static func p(_ extra: String, replacing: String? = nil) -> String {
        let profile = replacing.map { Self.profile.replacingOccurrences(of: $0, with: extra) }
            ?? Self.profile.replacingOccurrences(of: #""name": "p","#, with: #""name": "p", \#(extra),"#)
        return #"{"profiles": [\#(complete(profile))]}"#
    }

    @Test("an invalid configuration exits 78 naming the path and starts nothing", arguments: cases.map { $0 })
    func invalid(name: String, json: String, path: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mt-run-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The state directory is set last so a root-level error still leaves it unset.
        var text = json
        if text.hasPrefix("{\"profiles\"") || text.hasPrefix("{\"delivery\"") {
            text = "{\"stateDirectory\": \"\(directory)/state\", " + text.dropFirst()
        }
        try text.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        let result = try MailtriggerProcess.run(["run", "--config", directory + "/config.json"])
        #expect(result.status == 78, "\(name): \(result.error)")
        #expect(result.error.contains(path), "\(name): the error names \(path): \(result.error)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/state"), "\(name): nothing started")
    }
}
