import Foundation
import IMAPTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `mailtrigger oauth login` against the OAuth 2.0 test server: the test plays the user
/// (approving the device code, or following the browser's redirects), then signs in to Dovecot
/// with what the command stored.
@Suite("oauth login command", .enabled(if: DovecotEnvironment.shouldRun), .serialized)
struct OAuthLoginCommandTests {
    struct Setup {
        let env: DovecotEnvironment
        let oauth: OAuthTestServer
        let directory: String
        let configPath: String
        let refreshFile: String

        /// A configuration with one oauth2 profile `o` for `user`, its refresh token in a file
        /// that does not exist yet.
        init(user: String, endpoint: String) throws {
            env = try DovecotEnvironment.require()
            oauth = try #require(OAuthTestServer(env), "MT_IMAP_OAUTH_URL is not set")
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("mt-login-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            configPath = directory + "/config.json"
            refreshFile = directory + "/refresh-token"
            let profile = DaemonHarness.profile(env, name: "o", user: user, mailboxes: ["INBOX"],
                                                flows: #"[{"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}]"#,
                                                auth: #"""
                {"method": "oauth2", "username": "\#(user)", "clientId": "\#(OAuthTestServer.clientID)",
                 "clientSecret": "\#(OAuthTestServer.clientSecret)", \#(endpoint), "refreshToken": {"file": "\#(refreshFile)"}, "scope": "imap"}
                """#)
            try #"{"stateDirectory": "\#(directory)/state", "profiles": [\#(profile)]}"#.write(toFile: configPath, atomically: true, encoding: .utf8)
        }

        /// Starts `mailtrigger oauth login`; its output goes to a file the test reads as it grows.
        func launch(_ arguments: [String]) throws -> (Process, String) {
            let outputPath = directory + "/output.txt"
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: MailtriggerProcess.binary)
            process.arguments = ["oauth", "login", "--profile", "o", "--config", configPath] + arguments
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            process.standardOutput = output
            process.standardError = output
            try process.run()
            return (process, outputPath)
        }

        /// The first match of `pattern` in the output, waiting for it.
        func await(_ pattern: String, in path: String, timeout: Duration = .seconds(15)) async throws -> String {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                if let range = text.range(of: pattern, options: .regularExpression) { return String(text[range]) }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw DaemonHarness.HarnessError(description: "no \(pattern) in: \((try? String(contentsOfFile: path, encoding: .utf8)) ?? "")")
        }

        func exit(_ process: Process, timeout: Duration = .seconds(20)) async throws -> Int32 {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning {
                process.terminate()
                throw DaemonHarness.HarnessError(description: "oauth login did not finish")
            }
            return process.terminationStatus
        }

        /// The stored refresh token: a file of mode 0600 that signs in to Dovecot.
        func checkStoredToken(output: String) throws {
            let token = try String(contentsOfFile: refreshFile, encoding: .utf8).trimmingCharacters(in: .newlines)
            #expect(token.hasPrefix("rt-"))
            var info = stat()
            #expect(stat(refreshFile, &info) == 0 && info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8))")
            #expect(!output.contains(token), "a token written to a file is not printed")
            let probe = try MailtriggerProcess.run(["test-connection", "--profile", "o", "--config", configPath])
            #expect(probe.status == 0, "\(probe.error)")
            #expect(probe.output.contains("with AUTHENTICATE OAUTHBEARER"), "\(probe.output)")
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test("Dovecot: oauth login with the device flow stores a refresh token that signs in")
    func deviceFlow() async throws {
        let setup = try Setup(user: "mt8", endpoint: #""discoveryURL": "\#(try DovecotEnvironment.require().oauthURL ?? "")/.well-known/openid-configuration""#)
        let (process, output) = try setup.launch([])
        let line = try await setup.await("enter the code [0-9]{4}-[0-9]{4}", in: output)
        // The user, on another device, types the code and approves.
        try setup.oauth.approve(userCode: String(line.suffix(9)), user: "mt8")
        #expect(try await setup.exit(process) == 0, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        try setup.checkStoredToken(output: try String(contentsOfFile: output, encoding: .utf8))
    }

    @Test("Dovecot: oauth login in a browser uses PKCE and a loopback redirect")
    func browserFlow() async throws {
        let env = try DovecotEnvironment.require()
        let base = env.oauthURL ?? ""
        let setup = try Setup(user: "mt8", endpoint: #""tokenURL": "\#(base)/token""#)
        let (process, output) = try setup.launch(["--authorize-url", base + "/authorize"])
        let address = try await setup.await(#"http://127\.0\.0\.1:[0-9]+/authorize\?[^\s]+"#, in: output)
        #expect(address.contains("code_challenge_method=S256") && address.contains("code_challenge="))
        // The browser: the provider signs the user in and redirects to the command's listener.
        let authorization = try OAuthTestServer.get(address)
        #expect(authorization.status == 302)
        let callback = try #require(authorization.headers["location"])
        #expect(callback.hasPrefix("http://127.0.0.1:") && callback.contains("/callback?code="))
        let page = try OAuthTestServer.get(callback)
        #expect(page.status == 200 && String(decoding: page.body, as: UTF8.self).contains("Signed in"))
        #expect(try await setup.exit(process) == 0, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        try setup.checkStoredToken(output: try String(contentsOfFile: output, encoding: .utf8))
    }

    @Test("oauth login refuses a password profile")
    func passwordProfile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mt-login-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/config.json"
        try #"{"profiles": [{"name": "p", "server": {"host": "imap.example.org"}, "auth": {"username": "u", "password": "pw"}}]}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try MailtriggerProcess.run(["oauth", "login", "--profile", "p", "--config", config])
        #expect(result.status == 64)
        #expect(result.error.contains("not oauth2"))
    }
}
