import Foundation

extension ConfigurationReader {
    func flow(_ node: ConfigNode) -> Flow? {
        guard let object = node.object(allowed: ["name", "match", "stop", "actions", "onSuccess", "onFailure"]) else { return nil }
        let name = object.required("name")?.text
        let match = object["match"].map(matchRule) ?? .always
        let stop = object["stop"]?.bool ?? false
        let actions = object["actions"]?.array?.compactMap(action) ?? []
        let onSuccess = object["onSuccess"].map(postActions) ?? []
        let onFailure = object["onFailure"].map(postActions) ?? []
        // A flow may only act on the server (say, move matching mail), but a flow that does
        // nothing at all is surely a mistake.
        if object["actions"]?.array?.count ?? 0 == 0, onSuccess.isEmpty {
            issues.error("\(node.path).actions", "a flow needs at least one action, or onSuccess post-actions to run on every match")
        }
        guard let name, let match else { return nil }
        return Flow(name: name, match: match, stop: stop, actions: actions, onSuccess: onSuccess, onFailure: onFailure)
    }

    static let textOperators = TextCondition.Operator.allCases.map(\.rawValue)

    /// A match object: every key present must hold (`all` of them).
    func matchRule(_ node: ConfigNode) -> MatchRule? {
        guard let object = node.object(allowed: ["subject", "from", "to", "cc", "header", "hasAttachment", "size",
                                                 "all", "any", "not"]) else { return nil }
        var rules: [MatchRule] = []
        var failed = false
        func add(_ rule: MatchRule?) { if let rule { rules.append(rule) } else { failed = true } }
        if let item = object["subject"] { add(textCondition(item).map(MatchRule.subject)) }
        if let item = object["from"] { add(textCondition(item).map(MatchRule.from)) }
        if let item = object["to"] { add(textCondition(item).map(MatchRule.to)) }
        if let item = object["cc"] { add(textCondition(item).map(MatchRule.cc)) }
        if let item = object["header"] { add(header(item)) }
        if let item = object["hasAttachment"] { add(item.bool.map(MatchRule.hasAttachment)) }
        if let item = object["size"] { add(sizeRule(item)) }
        for key in ["all", "any"] {
            guard let item = object[key] else { continue }
            guard let list = item.array else { failed = true; continue }
            if list.isEmpty { issues.error(item.path, "must list at least one rule") }
            let inner = list.map(matchRule)
            if inner.contains(where: { $0 == nil }) { failed = true; continue }
            rules.append(key == "all" ? .all(inner.compactMap { $0 }) : .any(inner.compactMap { $0 }))
        }
        if let item = object["not"] { add(matchRule(item).map(MatchRule.not)) }
        guard !failed else { return nil }
        if rules.isEmpty {
            if !object.hasUnknownKeys {
                issues.error(node.path, "an empty match; leave \"match\" out to fire for every message")
            }
            return nil
        }
        return rules.count == 1 ? rules[0] : .all(rules)
    }

    /// A string (shorthand for `contains`) or `{"<operator>": pattern, "caseSensitive": bool}`.
    func textCondition(_ node: ConfigNode) -> TextCondition? {
        if case let .string(text) = node.value {
            return TextCondition(op: .contains, pattern: text, caseSensitive: false)
        }
        guard let object = node.object(allowed: Self.textOperators + ["caseSensitive"]) else { return nil }
        return condition(object, node: node)
    }

    func condition(_ object: ConfigObject, node: ConfigNode) -> TextCondition? {
        let present = Self.textOperators.filter { object[$0] != nil }
        guard present.count == 1, let op = TextCondition.Operator(rawValue: present[0]),
              let patternNode = object[present[0]] else {
            issues.error(node.path, "give exactly one of \(Self.textOperators.map { "\"\($0)\"" }.joined(separator: ", "))")
            return nil
        }
        guard let pattern = patternNode.string else { return nil }
        let caseSensitive = object["caseSensitive"]?.bool ?? false
        switch op {
        case .regex:
            do {
                _ = try NSRegularExpression(pattern: pattern)
            } catch {
                issues.error(patternNode.path, "invalid regular expression \"\(pattern)\"")
                return nil
            }
        case .glob:
            guard GlobPattern.isValid(pattern) else {
                issues.error(patternNode.path, "invalid glob \"\(pattern)\" (an unclosed '[')")
                return nil
            }
        default:
            if pattern.isEmpty, op != .equals { issues.warning(patternNode.path, "an empty pattern matches every message") }
        }
        return TextCondition(op: op, pattern: pattern, caseSensitive: caseSensitive)
    }

    func header(_ node: ConfigNode) -> MatchRule? {
        guard let object = node.object(allowed: ["name"] + Self.textOperators + ["caseSensitive"]) else { return nil }
        let name = object.required("name")?.text
        if let name, !name.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != ":" }) {
            issues.error("\(node.path).name", "\"\(name)\" is not a header field name")
        }
        guard let condition = condition(object, node: node), let name else { return nil }
        return .header(name: name, condition)
    }

    func sizeRule(_ node: ConfigNode) -> MatchRule? {
        guard let object = node.object(allowed: ["min", "max"]) else { return nil }
        let min = object["min"]?.size
        let max = object["max"]?.size
        if object["min"] == nil, object["max"] == nil { issues.error(node.path, "give \"min\", \"max\" or both"); return nil }
        if let min, let max, min > max { issues.error(node.path, "\"min\" is larger than \"max\"") }
        if (object["min"] != nil && min == nil) || (object["max"] != nil && max == nil) { return nil }
        return .size(min: min, max: max)
    }

    func action(_ node: ConfigNode) -> Action? {
        guard let object = node.object(allowed: ["type", "url", "headers", "timeout", "secret", "signatureHeader",
                                                 "command", "stdin", "env", "user", "group"]) else { return nil }
        guard let type = object.required("type")?.string else { return nil }
        let webhookKeys = ["url", "headers", "secret", "signatureHeader"], execKeys = ["command", "stdin", "env", "user", "group"]
        switch type {
        case "webhook":
            for key in execKeys where object[key] != nil { issues.error("\(node.path).\(key)", "belongs to \"exec\" actions") }
            let url = object.required("url")?.text
            if let url, let urlNode = object["url"] {
                let parsed = URL(string: url)
                if parsed?.host == nil || !["http", "https"].contains(parsed?.scheme?.lowercased() ?? "") {
                    issues.error(urlNode.path, "\"\(url)\" is not an http(s) URL")
                }
            }
            var headers: [String: SecretReference] = [:]
            if let headersNode = object["headers"], case let .object(members) = headersNode.value {
                for member in members {
                    let child = headersNode.child(member.key, member.value)
                    if member.key.isEmpty || member.key.contains(where: { $0 == ":" || $0.isWhitespace || !$0.isASCII }) {
                        issues.error(child.path, "not a valid header name")
                    }
                    if let value = valueOrSecret(child) {
                        if value.inlineValue?.contains(where: \.isNewline) == true { issues.error(child.path, "must not contain line breaks") }
                        headers[member.key] = value
                    }
                }
            } else if let headersNode = object["headers"] {
                headersNode.mismatch("an object of header names and values (strings or {\"file\"}, {\"env\"}, {\"credential\"})")
            }
            let timeout = object["timeout"].flatMap(\.duration) ?? .seconds(10)
            let secret = object["secret"].flatMap { self.secret($0) }
            let signatureHeader = object["signatureHeader"]?.text ?? "X-Mailtrigger-Signature"
            guard let url else { return nil }
            return .webhook(WebhookAction(url: url, headers: headers, timeout: timeout, secret: secret,
                                          signatureHeader: signatureHeader))
        case "exec":
            for key in webhookKeys where object[key] != nil { issues.error("\(node.path).\(key)", "belongs to \"webhook\" actions") }
            var command: [String]?
            if let commandNode = object.required("command"), let list = commandNode.array {
                let words = list.compactMap(\.string)
                if words.isEmpty {
                    issues.error(commandNode.path, "must name a program (an argv array; no shell is used)")
                } else if !words[0].hasPrefix("/") {
                    issues.error("\(commandNode.path)[0]", "\"\(words[0])\" must be an absolute path (no PATH lookup, no shell)")
                } else if checkEnvironment, !FileManager.default.isExecutableFile(atPath: words[0]) {
                    issues.error("\(commandNode.path)[0]", "\(words[0]) is not an executable file")
                }
                if words.count == list.count { command = words }
            }
            let stdin = object["stdin"].map { $0.choice(ExecAction.Stdin.self) } ?? .json
            let timeout = object["timeout"].flatMap(\.duration) ?? .seconds(30)
            var environment: [String: SecretReference] = [:]
            if let envNode = object["env"], case let .object(members) = envNode.value {
                for member in members {
                    let child = envNode.child(member.key, member.value)
                    if member.key.hasPrefix("MAILTRIGGER_") { issues.error(child.path, "MAILTRIGGER_* variables are set by mailtrigger") }
                    if let value = valueOrSecret(child) { environment[member.key] = value }
                }
            } else if let envNode = object["env"] {
                envNode.mismatch("an object of variable names and values (strings or {\"file\"}, {\"env\"}, {\"credential\"})")
            }
            let runAs = self.runAs(user: object["user"], group: object["group"])
            guard let command, let stdin else { return nil }
            return .exec(ExecAction(command: command, stdin: stdin, timeout: timeout, environment: environment, runAs: runAs))
        default:
            issues.error("\(node.path).type", "\"\(type)\" is not one of \"webhook\", \"exec\"")
            return nil
        }
    }

    /// `"markSeen"`, `"delete"`, or one-key objects such as `{"moveTo": "Done"}`.
    func postActions(_ node: ConfigNode) -> [PostAction] {
        guard let list = node.array else { return [] }
        var result: [PostAction] = []
        for item in list {
            if case let .string(word) = item.value {
                switch word {
                case "markSeen": result.append(.markSeen)
                case "delete": result.append(.delete)
                default: issues.error(item.path, "\"\(word)\" is not \"markSeen\" or \"delete\"; other post-actions take a value, e.g. {\"moveTo\": \"Done\"}")
                }
                continue
            }
            let keys = ["markSeen", "addFlags", "removeFlags", "copyTo", "moveTo", "delete"]
            guard let object = item.object(allowed: keys) else { continue }
            guard object.members.count == 1, let member = object.members.first, let child = object[member.key] else {
                issues.error(item.path, "each post-action is an object with exactly one key")
                continue
            }
            switch member.key {
            case "markSeen", "delete":
                if child.bool == true { result.append(member.key == "delete" ? .delete : .markSeen) }
            case "addFlags", "removeFlags":
                guard let flags = child.array?.compactMap(\.text) else { continue }
                for (index, flag) in flags.enumerated() where flag.contains(where: { $0.isWhitespace || "(){%*\"]".contains($0) }) {
                    issues.error("\(child.path)[\(index)]", "\"\(flag)\" is not a valid IMAP flag")
                }
                if flags.isEmpty { issues.error(child.path, "must list at least one flag") }
                result.append(member.key == "addFlags" ? .addFlags(flags) : .removeFlags(flags))
            default:
                guard let mailbox = child.text else { continue }
                result.append(member.key == "copyTo" ? .copyTo(mailbox) : .moveTo(mailbox))
            }
        }
        let moves = result.filter { if case .moveTo = $0 { true } else { false } }.count
        if moves > 1 { issues.error(node.path, "a message can be moved only once") }
        if moves > 0, result.contains(.delete) { issues.error(node.path, "\"moveTo\" and \"delete\" contradict each other") }
        return result
    }
}

/// Glob patterns (`*`, `?`, `[abc]`, `[!abc]`), matched case-insensitively by default.
enum GlobPattern {
    static func isValid(_ pattern: String) -> Bool {
        var inBracket = false
        var escaped = false
        for char in pattern {
            if escaped { escaped = false; continue }
            if char == "\\" { escaped = true; continue }
            if char == "[" { inBracket = true } else if char == "]" { inBracket = false }
        }
        return !inBracket
    }
}
