import Foundation
import MailMIME

extension MatchRule {
    /// Whether the rule holds for a message.
    public func matches(_ facts: MessageFacts) -> Bool {
        var budget = MatchBudget()
        return matches(facts, budget: &budget)
    }

    /// Whether the rule holds, with regular expressions drawing on `budget`.
    public func matches(_ facts: MessageFacts, budget: inout MatchBudget) -> Bool {
        switch self {
        case .always: return true
        case let .all(rules): return rules.allSatisfy { $0.matches(facts, budget: &budget) }
        case let .any(rules): return rules.contains { $0.matches(facts, budget: &budget) }
        case let .not(rule): return !rule.matches(facts, budget: &budget)
        case let .subject(condition): return condition.matches(facts.subject, budget: &budget)
        case let .from(condition): return condition.matchesAny(facts.from, budget: &budget)
        case let .to(condition): return condition.matchesAny(facts.to, budget: &budget)
        case let .cc(condition): return condition.matchesAny(facts.cc, budget: &budget)
        case let .header(name, condition):
            return facts.values(of: name).contains { condition.matches($0, budget: &budget) }
        case let .hasAttachment(expected): return facts.hasAttachment == expected
        case let .size(min, max): return facts.size >= (min ?? 0) && facts.size <= (max ?? Int.max)
        }
    }
}

extension Flow {
    /// The flows that fire for a message, in order: every matching flow, up to and including the
    /// first matching one with `stop`.
    public static func firing(_ flows: [Flow], for facts: MessageFacts) -> [Flow] {
        var budget = MatchBudget()
        return firing(flows, for: facts, budget: &budget)
    }

    /// The flows that fire; `budget` bounds the time regular expressions take on this message
    /// and collects what ran out of it.
    public static func firing(_ flows: [Flow], for facts: MessageFacts, budget: inout MatchBudget) -> [Flow] {
        var fired: [Flow] = []
        for flow in flows {
            budget.flow = flow.name
            guard flow.match.matches(facts, budget: &budget) else { continue }
            fired.append(flow)
            if flow.stop { break }
        }
        return fired
    }
}

extension TextCondition {
    /// Whether `text` satisfies the condition (case-insensitive unless `caseSensitive`).
    public func matches(_ text: String) -> Bool {
        var budget = MatchBudget()
        return matches(text, budget: &budget)
    }

    /// Whether `text` satisfies the condition; a regular expression draws on `budget`.
    public func matches(_ text: String, budget: inout MatchBudget) -> Bool {
        // ICU folds case itself; the other operators compare lowercased copies.
        let subject = op == .regex || caseSensitive ? text : text.lowercased()
        let pattern = op == .regex || caseSensitive ? self.pattern : self.pattern.lowercased()
        switch op {
        case .equals: return subject == pattern
        case .contains: return pattern.isEmpty || subject.contains(pattern)
        case .prefix: return subject.hasPrefix(pattern)
        case .suffix: return subject.hasSuffix(pattern)
        case .glob: return GlobPattern.matches(Array(pattern), Array(subject))
        case .regex:
            // Validated when the configuration was read; an invalid one never matches.
            guard let expression = try? NSRegularExpression(pattern: pattern,
                                                            options: caseSensitive ? [] : [.caseInsensitive]) else { return false }
            return budget.firstMatch(expression, in: subject)
        }
    }

    /// For address fields: any address whose address, display name, or `Name <address>` form matches.
    func matchesAny(_ addresses: [MailAddress], budget: inout MatchBudget) -> Bool {
        addresses.contains { address in
            matches(address.address, budget: &budget)
                || address.name.map { matches($0, budget: &budget) || matches("\($0) <\(address.address)>", budget: &budget) } == true
        }
    }
}

extension GlobPattern {
    /// `*` any run, `?` one character, `[abc]`/`[a-z]`/`[!abc]` a class, `\` escapes; the whole
    /// text must match.
    static func matches(_ pattern: [Character], _ text: [Character]) -> Bool {
        var p = 0, t = 0
        var starP: Int?, starT = 0
        while t < text.count {
            if p < pattern.count {
                switch pattern[p] {
                case "*":
                    starP = p
                    starT = t
                    p += 1
                    continue
                case "?":
                    p += 1
                    t += 1
                    continue
                case "[":
                    if let (matched, next) = matchClass(pattern, p, text[t]), matched {
                        p = next
                        t += 1
                        continue
                    }
                case "\\" where p + 1 < pattern.count:
                    if pattern[p + 1] == text[t] {
                        p += 2
                        t += 1
                        continue
                    }
                default:
                    if pattern[p] == text[t] {
                        p += 1
                        t += 1
                        continue
                    }
                }
            }
            // Backtrack: let the last `*` take one more character.
            guard let star = starP else { return false }
            p = star + 1
            starT += 1
            t = starT
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// Matches `character` against the class starting at `start` (`[`); returns the result and
    /// the index after the class.
    private static func matchClass(_ pattern: [Character], _ start: Int, _ character: Character) -> (Bool, Int)? {
        var index = start + 1
        var negate = false
        if index < pattern.count, pattern[index] == "!" || pattern[index] == "^" {
            negate = true
            index += 1
        }
        var matched = false
        var first = true
        while index < pattern.count, pattern[index] != "]" || first {
            first = false
            let low = pattern[index]
            if index + 2 < pattern.count, pattern[index + 1] == "-", pattern[index + 2] != "]" {
                if low <= character && character <= pattern[index + 2] { matched = true }
                index += 3
            } else {
                if low == character { matched = true }
                index += 1
            }
        }
        guard index < pattern.count else { return nil }
        return (matched != negate, index + 1)
    }
}
