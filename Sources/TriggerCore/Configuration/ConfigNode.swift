/// Collects issues while the configuration is read.
final class IssueCollector {
    var issues: [ConfigurationIssue] = []

    func error(_ path: String, _ message: String) { issues.append(ConfigurationIssue(path, message)) }
    func warning(_ path: String, _ message: String) {
        issues.append(ConfigurationIssue(path, message, severity: .warning))
    }
}

/// A JSON value at a path. Every accessor reports a type mismatch at its path and returns nil,
/// so reading goes on and every error is found in one pass.
struct ConfigNode {
    let value: JSONValue
    let path: String
    let issues: IssueCollector

    func child(_ key: String, _ value: JSONValue) -> ConfigNode {
        ConfigNode(value: value, path: path.isEmpty ? key : "\(path).\(key)", issues: issues)
    }

    func mismatch(_ expected: String) {
        issues.error(path, "expected \(expected), found \(value.kind)")
    }

    /// An object whose keys must all be in `allowed`: an unknown key is an error (a typo must
    /// not pass silently), and so is a duplicate.
    func object(allowed: [String]) -> ConfigObject? {
        guard case let .object(members) = value else { mismatch("an object"); return nil }
        var seen = Set<String>()
        var unknown = false
        for member in members {
            if !seen.insert(member.key).inserted {
                issues.error(child(member.key, member.value).path, "duplicate key")
            } else if !allowed.contains(member.key) {
                unknown = true
                let close = allowed.min { editDistance($0.lowercased(), member.key.lowercased()) < editDistance($1.lowercased(), member.key.lowercased()) }
                let hint = close.flatMap { editDistance($0.lowercased(), member.key.lowercased()) <= 2 ? $0 : nil }
                    .map { " (did you mean \"\($0)\"?)" } ?? " (allowed: \(allowed.joined(separator: ", ")))"
                issues.error(child(member.key, member.value).path, "unknown key\(hint)")
            }
        }
        return ConfigObject(node: self, members: members, hasUnknownKeys: unknown)
    }

    var string: String? {
        guard case let .string(text) = value else { mismatch("a string"); return nil }
        return text
    }

    /// A non-empty string.
    var text: String? {
        guard let text = string else { return nil }
        guard !text.trimmingCharacters(in: " \t").isEmpty else { issues.error(path, "must not be empty"); return nil }
        return text
    }

    var bool: Bool? {
        guard case let .bool(flag) = value else { mismatch("true or false"); return nil }
        return flag
    }

    func integer(_ range: ClosedRange<Int>) -> Int? {
        guard case let .number(number, _) = value else { mismatch("a whole number"); return nil }
        guard number.rounded() == number, let integer = Int(exactly: number) else {
            issues.error(path, "expected a whole number, found \(number)")
            return nil
        }
        guard range.contains(integer) else {
            issues.error(path, "must be between \(range.lowerBound) and \(range.upperBound), found \(integer)")
            return nil
        }
        return integer
    }

    var array: [ConfigNode]? {
        guard case let .array(values) = value else { mismatch("an array"); return nil }
        return values.enumerated().map { ConfigNode(value: $1, path: "\(path)[\($0)]", issues: issues) }
    }

    /// One of the listed words.
    func choice<T: RawRepresentable>(_ type: T.Type) -> T? where T.RawValue == String, T: CaseIterable {
        guard let text = string else { return nil }
        guard let choice = T(rawValue: text) else {
            issues.error(path, "\"\(text)\" is not one of \(T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            return nil
        }
        return choice
    }

    /// A duration with a unit: `500ms`, `30s`, `5m`, `2h`, `1d`.
    var duration: Duration? {
        guard let text = string else { return nil }
        guard let duration = ConfigUnits.duration(text) else {
            issues.error(path, "\"\(text)\" is not a duration; write a number and a unit: \"500ms\", \"30s\", \"5m\", \"2h\", \"1d\"")
            return nil
        }
        return duration
    }

    /// A size in bytes: a number, or a string such as `25MB` (units are powers of 1024).
    var size: Int? {
        if case .number = value { return integer(0...Int.max) }
        guard let text = string else { return nil }
        guard let size = ConfigUnits.size(text) else {
            issues.error(path, "\"\(text)\" is not a size; write bytes or a number and a unit: \"512KB\", \"25MB\", \"1GB\"")
            return nil
        }
        return size
    }

    /// A secret: a string, or `{"file": …}`, `{"env": …}`, `{"credential": …}`.
    var secret: SecretReference? {
        if case let .string(text) = value {
            guard !text.isEmpty else { issues.error(path, "must not be empty"); return nil }
            return .inline(text)
        }
        guard let object = object(allowed: ["file", "env", "credential"]) else { return nil }
        let sources = object.members.map(\.key).filter { ["file", "env", "credential"].contains($0) }
        guard sources.count == 1 else {
            issues.error(path, "a secret names exactly one of \"file\", \"env\", \"credential\"")
            return nil
        }
        guard let name = object.required(sources[0])?.text else { return nil }
        switch sources[0] {
        case "file": return .file(name)
        case "env": return .environment(name)
        default: return .credential(name)
        }
    }
}

/// An object's members, read by key.
struct ConfigObject {
    let node: ConfigNode
    let members: [(key: String, value: JSONValue)]
    /// Whether an unknown key was reported: errors that follow from it are not repeated.
    let hasUnknownKeys: Bool

    subscript(key: String) -> ConfigNode? {
        members.first { $0.key == key }.map { node.child(key, $0.value) }
    }

    /// A member that must be present.
    func required(_ key: String) -> ConfigNode? {
        guard let member = self[key] else {
            node.issues.error(node.path.isEmpty ? key : "\(node.path).\(key)", "is required")
            return nil
        }
        return member
    }
}

/// Levenshtein distance, for "did you mean" hints on unknown keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// Units of durations and sizes.
enum ConfigUnits {
    static func duration(_ text: String) -> Duration? {
        guard let (number, unit) = numberAndUnit(text) else { return nil }
        let seconds: Double
        switch unit {
        case "ms": seconds = number / 1000
        case "s", "sec", "second", "seconds": seconds = number
        case "m", "min", "minute", "minutes": seconds = number * 60
        case "h", "hour", "hours": seconds = number * 3600
        case "d", "day", "days": seconds = number * 86_400
        default: return nil
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static func size(_ text: String) -> Int? {
        guard let (number, unit) = numberAndUnit(text) else { return nil }
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k", "kb", "kib": scale = 1024
        case "m", "mb", "mib": scale = 1024 * 1024
        case "g", "gb", "gib": scale = 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = number * scale
        guard bytes < Double(Int.max) else { return nil }
        return Int(bytes.rounded())
    }

    /// `"25 MB"` → (25, "mb"): a non-negative number and a lower-cased unit (possibly empty).
    static func numberAndUnit(_ text: String) -> (Double, String)? {
        let trimmed = text.trimmingCharacters(in: " ")
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let number = Double(digits), number >= 0 else { return nil }
        return (number, trimmed.dropFirst(digits.count).trimmingCharacters(in: " ").lowercased())
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
