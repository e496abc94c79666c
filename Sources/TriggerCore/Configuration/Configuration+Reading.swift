import Foundation
import IMAPClient
import NIOCore

extension Configuration {
    /// The result of reading a configuration: the configuration when there is no error, and every
    /// issue found (errors and warnings), each with its JSON path.
    public struct Loaded: Sendable {
        public var configuration: Configuration?
        public var issues: [ConfigurationIssue]
        public var errors: [ConfigurationIssue] { issues.filter { $0.severity == .error } }
        public var warnings: [ConfigurationIssue] { issues.filter { $0.severity == .warning } }
    }

    /// Reads and validates the file at `path`. With `checkEnvironment`, also reads every secret
    /// and checks that CA files exist, as `mailtrigger check` and start-up do.
    public static func load(path: String, checkEnvironment: Bool = true,
                            environment: [String: String]? = nil) -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permissions?)" : "does not exist"
            return Loaded(configuration: nil, issues: [ConfigurationIssue("", "configuration file \(path) \(reason)")])
        }
        var loaded = parse([UInt8](data), checkEnvironment: checkEnvironment, environment: environment)
        if let configuration = loaded.configuration, configuration.hasInlineSecrets,
           let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o044 != 0 {
            loaded.issues.append(ConfigurationIssue("", """
                configuration file \(path) holds inline secrets and is readable by other users (mode \(String(mode, radix: 8))); \
                chmod 600 it, or move the secrets to files or credentials
                """, severity: .warning))
        }
        return loaded
    }

    /// Reads and validates configuration JSON.
    public static func parse(_ bytes: [UInt8], checkEnvironment: Bool = false,
                             environment: [String: String]? = nil) -> Loaded {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            return Loaded(configuration: nil, issues: [ConfigurationIssue("", "not valid JSON: \(error)")])
        }
        let reader = ConfigurationReader(checkEnvironment: checkEnvironment,
                                         environment: environment ?? ProcessInfo.processInfo.environment)
        let configuration = reader.configuration(ConfigNode(value: json, path: "", issues: reader.issues))
        let issues = reader.issues.issues
        return Loaded(configuration: issues.contains { $0.severity == .error } ? nil : configuration, issues: issues)
    }
}

/// Walks the JSON, building the model and collecting every issue.
struct ConfigurationReader {
    let issues = IssueCollector()
    let checkEnvironment: Bool
    let environment: [String: String]

    init(checkEnvironment: Bool, environment: [String: String]) {
        self.checkEnvironment = checkEnvironment
        self.environment = environment
    }

    func configuration(_ node: ConfigNode) -> Configuration? {
        guard let root = node.object(allowed: ["$schema", "stateDirectory", "delivery", "profiles"]) else { return nil }
        let stateDirectory = root["stateDirectory"]?.text ?? "/var/lib/mailtrigger"
        let delivery = root["delivery"].flatMap(delivery) ?? DeliverySettings()
        var profiles: [Profile] = []
        if let list = root.required("profiles")?.array {
            if list.isEmpty { issues.error("profiles", "at least one profile is required") }
            profiles = uniquelyNamed(list, "profile name", name: \.name, read: profile)
        }
        return Configuration(stateDirectory: stateDirectory, delivery: delivery, profiles: profiles)
    }

    func delivery(_ node: ConfigNode) -> DeliverySettings? {
        guard let object = node.object(allowed: ["concurrency", "maxAttempts", "initialRetryDelay", "maxRetryDelay",
                                                 "maxAge", "drainTimeout"]) else { return nil }
        var settings = DeliverySettings()
        if let value = object["concurrency"]?.integer(1...256) { settings.concurrency = value }
        if let value = object["maxAttempts"]?.integer(1...1000) { settings.retry.maxAttempts = value }
        func duration(_ key: String, atLeast seconds: Int64, _ apply: (Duration) -> Void) {
            guard let node = object[key], let value = node.duration else { return }
            if value < .seconds(seconds) { issues.error(node.path, "must be at least \(seconds)s") } else { apply(value) }
        }
        duration("initialRetryDelay", atLeast: 1) { settings.retry.initialDelay = $0 }
        duration("maxRetryDelay", atLeast: 1) { settings.retry.maxDelay = $0 }
        duration("maxAge", atLeast: 60) { settings.retry.maxAge = $0 }
        duration("drainTimeout", atLeast: 0) { settings.drainTimeout = $0 }
        if settings.retry.maxDelay < settings.retry.initialDelay, let node = object["maxRetryDelay"] {
            issues.error(node.path, "is shorter than initialRetryDelay")
        }
        return settings
    }

    func profile(_ node: ConfigNode) -> Profile? {
        guard let object = node.object(allowed: [
            "name", "description", "listen", "server", "auth", "mailboxes", "mode", "refreshInterval", "startFrom",
            "onUIDValidityChange", "maxMessageSize", "flows",
        ]) else { return nil }
        let name = object.required("name")?.text
        if let name, name.contains(where: { $0 == "/" || $0.isNewline }) {
            issues.error("\(node.path).name", "must not contain '/' or line breaks")
        }
        let description = object["description"]?.string
        let listen = object["listen"]?.bool ?? true
        let server = object.required("server").flatMap(server)
        let auth = object.required("auth").flatMap(authentication)
        var mailboxes = ["INBOX"]
        if let list = object["mailboxes"]?.array {
            mailboxes = list.compactMap(\.text)
            if list.isEmpty { issues.error("\(node.path).mailboxes", "at least one mailbox is required") }
            if Set(mailboxes).count != mailboxes.count { issues.error("\(node.path).mailboxes", "a mailbox is listed twice") }
        }
        let mode = object["mode"].map { $0.choice(WatchMode.self) } ?? .auto
        var refresh = Duration.seconds(300)
        if let node = object["refreshInterval"], let value = node.duration {
            refresh = value
            if value < .seconds(1) { issues.error(node.path, "must be at least 1s") }
        }
        let startFrom = object["startFrom"].map(startFrom) ?? .new
        let uidValidity = object["onUIDValidityChange"].map { $0.choice(UIDValidityPolicy.self) } ?? .rebaseline
        var maxSize = 25 * 1024 * 1024
        if let node = object["maxMessageSize"], let value = node.size {
            maxSize = value
            if value < 1024 { issues.error(node.path, "must be at least 1KB") }
        }
        var flows: [Flow] = []
        var declaredFlows = 0
        if let list = object["flows"]?.array {
            declaredFlows = list.count
            flows = uniquelyNamed(list, "flow name in this profile", name: \.name, read: flow)
        }
        if listen, declaredFlows == 0 {
            issues.warning(node.path + ".flows", "the profile listens but has no flows: mail will be tracked but nothing fires")
        }
        guard let name, let server, let auth, let mode, let startFrom, let uidValidity else { return nil }
        return Profile(name: name, description: description, listen: listen, server: server, auth: auth, mailboxes: mailboxes,
                       mode: mode, refreshInterval: refresh, startFrom: startFrom, onUIDValidityChange: uidValidity,
                       maxMessageSize: maxSize, flows: flows)
    }

    /// Reads each item; a name used twice is an error at the second item's `name`.
    func uniquelyNamed<T>(_ list: [ConfigNode], _ what: String, name: (T) -> String,
                          read: (ConfigNode) -> T?) -> [T] {
        var names = Set<String>()
        var result: [T] = []
        for item in list {
            guard let value = read(item) else { continue }
            if !names.insert(name(value)).inserted {
                issues.error("\(item.path).name", "duplicate \(what) \"\(name(value))\"")
            }
            result.append(value)
        }
        return result
    }

    func server(_ node: ConfigNode) -> IMAPClientConfiguration? {
        guard let object = node.object(allowed: ["host", "port", "security", "allowInsecure", "timeout", "commandTimeout", "tls"]) else {
            return nil
        }
        let host = object.required("host")?.text
        let security = object["security"].map { $0.choice(IMAPSecurity.self) } ?? .tls
        let port = object["port"].map { $0.integer(1...65535) } ?? security?.defaultPort
        let allowInsecure = object["allowInsecure"]?.bool ?? false
        if security == IMAPSecurity.none, !allowInsecure {
            issues.error("\(node.path).security", "\"none\" sends the password in clear; set \"allowInsecure\": true to permit it")
        }
        func timeAmount(_ key: String) -> TimeAmount? {
            guard let node = object[key], let value = node.duration else { return nil }
            if value < .seconds(1) { issues.error(node.path, "must be at least 1s") }
            return .milliseconds(Int64(value.components.seconds * 1000 + value.components.attoseconds / 1_000_000_000_000_000))
        }
        let timeout = timeAmount("timeout") ?? .seconds(30)
        // Silence, not duration: a large message still downloading is never cut off. It also
        // bounds how long a half-open connection goes unnoticed (the DONE of an IDLE re-issue).
        let commandTimeout = timeAmount("commandTimeout") ?? max(timeout, .seconds(60))
        var tls = IMAPClientConfiguration.TLSOptions()
        if let tlsNode = object["tls"], let tlsObject = tlsNode.object(allowed: ["caFile", "verify", "minVersion", "maxVersion"]) {
            if let caNode = tlsObject["caFile"], let path = caNode.text {
                tls.caFile = path
                if checkEnvironment, !FileManager.default.isReadableFile(atPath: path) {
                    issues.error(caNode.path, "CA file \(path) does not exist or cannot be read")
                }
            }
            tls.verify = tlsObject["verify"]?.bool ?? true
            if tlsObject["verify"]?.bool == false {
                if allowInsecure {
                    issues.warning("\(tlsNode.path).verify", "certificate verification is off: anyone on the path can read the mail")
                } else {
                    issues.error("\(tlsNode.path).verify",
                                 "turning certificate verification off needs \"allowInsecure\": true in server (anyone on the path could read the mail and the password)")
                }
            }
            if let value = tlsObject["minVersion"].map({ $0.choice(IMAPClientConfiguration.TLSVersionOption.self) }) {
                tls.minimumVersion = value ?? .tls12
            }
            if let value = tlsObject["maxVersion"].map({ $0.choice(IMAPClientConfiguration.TLSVersionOption.self) }) {
                tls.maximumVersion = value
            }
            if let maximum = tls.maximumVersion, maximum == .tls12, tls.minimumVersion == .tls13 {
                issues.error("\(tlsNode.path).maxVersion", "is lower than minVersion")
            }
        }
        guard let host, let security, let port else { return nil }
        return IMAPClientConfiguration(host: host, port: port, security: security, allowInsecure: allowInsecure, tls: tls,
                                       connectTimeout: timeout, commandTimeout: commandTimeout)
    }

    func authentication(_ node: ConfigNode) -> Authentication? {
        let oauthKeys = ["clientId", "clientSecret", "tokenURL", "discoveryURL", "refreshToken", "scope", "mechanism"]
        guard let object = node.object(allowed: ["method", "username", "password"] + oauthKeys) else { return nil }
        let method = object["method"]?.string ?? "password"
        switch method {
        case "password":
            for key in oauthKeys where object[key] != nil {
                issues.error("\(node.path).\(key)", "belongs to method \"oauth2\", not \"password\"")
            }
            let username = object.required("username")?.text
            let password = object.required("password").flatMap { secret($0) }
            guard let username, let password else { return nil }
            return .password(username: username, password: password)
        case "oauth2":
            if object["password"] != nil {
                issues.error("\(node.path).password", "belongs to method \"password\"; oauth2 signs in with a refreshToken")
            }
            return oauth2(object, path: node.path).map(Authentication.oauth2)
        default:
            issues.error("\(node.path).method", "\"\(method)\" is not one of \"password\", \"oauth2\"")
            return nil
        }
    }

    func oauth2(_ object: ConfigObject, path: String) -> OAuth2Settings? {
        let username = object.required("username")?.text
        let clientID = object.required("clientId")?.text
        let clientSecret = object["clientSecret"].flatMap { secret($0) }
        let refreshToken = object.required("refreshToken").flatMap { secret($0) }
        let scope = object["scope"]?.text
        var endpoint: OAuth2Settings.Endpoint?
        switch (object["tokenURL"], object["discoveryURL"]) {
        case let (token?, nil): endpoint = endpointURL(token).map(OAuth2Settings.Endpoint.token)
        case let (nil, discovery?): endpoint = endpointURL(discovery).map(OAuth2Settings.Endpoint.discovery)
        case (nil, nil): issues.error("\(path).tokenURL", "required: the token endpoint, or discoveryURL (OpenID discovery)")
        default: issues.error("\(path).discoveryURL", "give tokenURL or discoveryURL, not both")
        }
        var mechanism = OAuth2Settings.Mechanism.auto
        if let node = object["mechanism"], let text = node.string {
            if let chosen = OAuth2Settings.Mechanism(rawValue: text.lowercased()) {
                mechanism = chosen
            } else {
                issues.error(node.path, "\"\(text)\" is not one of \"auto\", \"xoauth2\", \"oauthbearer\"")
            }
        }
        guard let username, let clientID, let refreshToken, let endpoint else { return nil }
        return OAuth2Settings(username: username, clientID: clientID, clientSecret: clientSecret, endpoint: endpoint,
                              refreshToken: refreshToken, scope: scope, mechanism: mechanism)
    }

    /// An authorization server's URL: https, or http to a loopback address (a local test server).
    func endpointURL(_ node: ConfigNode) -> String? {
        guard let text = node.text else { return nil }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            issues.error(node.path, "not a URL")
            return nil
        }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else {
            issues.error(node.path, "must be https (tokens and secrets travel on it); http only to a loopback address")
            return nil
        }
        return text
    }

    /// A header or variable value: a string as written (empty allowed), or a secret reference
    /// object read like any secret, so a receiver's token need not sit in the file.
    func valueOrSecret(_ node: ConfigNode) -> SecretReference? {
        if case let .string(text) = node.value { return .inline(text) }
        guard case .object = node.value else {
            node.mismatch("a string or {\"file\"}, {\"env\"}, {\"credential\"}")
            return nil
        }
        return secret(node)
    }

    /// A secret, read now when checking the environment so a missing one is found before start.
    func secret(_ node: ConfigNode) -> SecretReference? {
        guard let reference = node.secret else { return nil }
        if checkEnvironment {
            do {
                _ = try reference.resolve(environment: environment)
            } catch {
                issues.error(node.path, "\(error)")
            }
            if let warning = reference.permissionWarning() { issues.warning(node.path, warning) }
        }
        return reference
    }

    func startFrom(_ node: ConfigNode) -> StartFrom? {
        if case let .string(text) = node.value {
            switch text {
            case "new": return .new
            case "all": return .all
            default:
                issues.error(node.path, "\"\(text)\" is not one of \"new\", \"all\", {\"since\": \"YYYY-MM-DD\"}, {\"last\": N}")
                return nil
            }
        }
        guard let object = node.object(allowed: ["since", "last"]) else { return nil }
        if object["since"] != nil, object["last"] != nil {
            issues.error(node.path, "give either \"since\" or \"last\", not both")
            return nil
        }
        if let since = object["since"] {
            guard let text = since.string else { return nil }
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]), parts[0] >= 1970 else {
                issues.error(since.path, "\"\(text)\" is not a date YYYY-MM-DD")
                return nil
            }
            return .since(year: parts[0], month: parts[1], day: parts[2])
        }
        if let last = object["last"] {
            return last.integer(1...1_000_000).map { .last($0) }
        }
        issues.error(node.path, "give \"since\" or \"last\"")
        return nil
    }
}
