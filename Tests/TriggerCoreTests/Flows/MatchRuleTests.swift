import MailMIME
import Testing
import TriggerCore

/// Match rules against facts of real parsed messages.
@Suite("Match rules")
struct MatchRuleTests {
    static let message = """
    From: "Order Desk" <orders@shop.example>\r
    To: Support <support@example.org>, =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\r
    Cc: audit@example.org\r
    Subject: =?utf-8?q?Order_#4711_=E2=80=93_paid?=\r
    X-Priority: 1\r
    Content-Type: multipart/mixed; boundary=b\r
    \r
    --b\r
    Content-Type: text/plain\r
    \r
    Thanks.\r
    --b\r
    Content-Type: application/pdf; name=invoice.pdf\r
    Content-Transfer-Encoding: base64\r
    \r
    JVBERi0=\r
    --b--\r

    """

    static let facts: MessageFacts = {
        let parsed = MIMEMessage(bytes: Array(message.utf8))
        return MessageFacts(message: parsed, payload: Payload(message: parsed))
    }()

    static func text(_ op: TextCondition.Operator, _ pattern: String, caseSensitive: Bool = false) -> TextCondition {
        TextCondition(op: op, pattern: pattern, caseSensitive: caseSensitive)
    }

    static let cases: [(String, MatchRule, Bool)] = [
        ("always", .always, true),
        ("subject contains, decoded, case-insensitive", .subject(text(.contains, "ORDER #4711 – PAID")), true),
        ("subject contains, case-sensitive miss", .subject(text(.contains, "ORDER", caseSensitive: true)), false),
        ("subject equals", .subject(text(.equals, "order #4711 – paid")), true),
        ("subject prefix", .subject(text(.prefix, "Order #")), true),
        ("subject suffix miss", .subject(text(.suffix, "unpaid")), false),
        ("subject glob", .subject(text(.glob, "order #[0-9]*")), true),
        ("subject glob whole text", .subject(text(.glob, "order")), false),
        ("subject glob class negation", .subject(text(.glob, "[!x]rder*paid")), true),
        ("subject regex", .subject(text(.regex, "order #\\d{4}")), true),
        ("subject regex miss", .subject(text(.regex, "^paid")), false),
        ("from address glob", .from(text(.glob, "*@shop.example")), true),
        ("from display name", .from(text(.equals, "order desk")), true),
        ("from name and address form", .from(text(.equals, "Order Desk <orders@shop.example>")), true),
        ("to decoded name", .to(text(.contains, "jörg")), true),
        ("to any address", .to(text(.equals, "joerg@example.org")), true),
        ("cc", .cc(text(.prefix, "audit@")), true),
        ("cc miss", .cc(text(.prefix, "support@")), false),
        ("header", .header(name: "x-priority", text(.equals, "1")), true),
        ("header missing", .header(name: "X-Spam", text(.contains, "")), false),
        ("header value decoded (RFC 2047)", .header(name: "SUBJECT", text(.contains, "#4711 – paid")), true),
        ("header raw encoded word does not match", .header(name: "subject", text(.contains, "=?utf-8?q?")), false),
        ("has attachment", .hasAttachment(true), true),
        ("no attachment", .hasAttachment(false), false),
        ("size bounds", .size(min: 100, max: 100_000), true),
        ("size too small a maximum", .size(min: nil, max: 10), false),
        ("all", .all([.hasAttachment(true), .subject(text(.contains, "paid"))]), true),
        ("all with a miss", .all([.hasAttachment(true), .subject(text(.contains, "refund"))]), false),
        ("any", .any([.subject(text(.contains, "refund")), .cc(text(.contains, "audit"))]), true),
        ("not", .not(.subject(text(.contains, "refund"))), true),
    ]

    @Test(arguments: cases)
    func rule(name: String, rule: MatchRule, expected: Bool) {
        #expect(rule.matches(Self.facts) == expected, "\(name)")
    }

    @Test func headersAreDecodedWhenAskedFor() {
        #expect(Self.facts.headers.first { $0.name == "Subject" }?.value == "Order #4711 – paid")
        #expect(Array(Self.facts.values(of: "x-PRIORITY")) == ["1"])
    }

    @Test func everyMatchingFlowFiresUntilStop() {
        func flow(_ name: String, _ match: MatchRule, stop: Bool = false) -> Flow {
            Flow(name: name, match: match, stop: stop, actions: [], onSuccess: [], onFailure: [])
        }
        let flows = [
            flow("orders", .subject(Self.text(.contains, "order"))),
            flow("refunds", .subject(Self.text(.contains, "refund"))),
            flow("invoices", .hasAttachment(true), stop: true),
            flow("everything", .always),
        ]
        #expect(Flow.firing(flows, for: Self.facts).map(\.name) == ["orders", "invoices"])
        #expect(Flow.firing(Array(flows.prefix(2)) + [flows[3]], for: Self.facts).map(\.name) == ["orders", "everything"])
    }

    @Test func hostileSubjectsAreData() {
        let rule = MatchRule.subject(Self.text(.contains, "$(touch"))
        let facts = MessageFacts(subject: "$(touch /tmp/x); rm -rf ~", from: [], to: [], cc: [], headers: [],
                                 hasAttachment: false, size: 1)
        #expect(rule.matches(facts))
        #expect(!MatchRule.subject(Self.text(.regex, "^rm")).matches(facts))
    }

    /// Threat model M10: a pattern that backtracks exponentially on a sender's subject stops at
    /// the message's budget, counts as not matching, and says so; the flows after it are still
    /// evaluated, and a regular expression after the budget is spent is not run at all.
    @Test func aCatastrophicRegexStopsAtTheBudgetAndSaysSo() {
        func flow(_ name: String, _ match: MatchRule) -> Flow {
            Flow(name: name, match: match, stop: false, actions: [], onSuccess: [], onFailure: [])
        }
        // 2^40 ways to split 40 "a"s before the "b" fails the match: hours, unbounded.
        let facts = MessageFacts(subject: String(repeating: "a", count: 40) + "b", from: [], to: [], cc: [], headers: [],
                                 hasAttachment: false, size: 1)
        let flows = [
            flow("fast", .subject(Self.text(.regex, "^a+b$"))),
            flow("catastrophic", .subject(Self.text(.regex, "^(a+)+$"))),
            flow("plain", .subject(Self.text(.contains, "aab"))),
            flow("late-regex", .subject(Self.text(.regex, "b$"))),
        ]
        var budget = MatchBudget(time: .milliseconds(200))
        let started = ContinuousClock.now
        let fired = Flow.firing(flows, for: facts, budget: &budget)
        let elapsed = ContinuousClock.now - started
        #expect(fired.map(\.name) == ["fast", "plain"])
        #expect(elapsed < .seconds(2), "bounded by the budget, not by the pattern: \(elapsed)")
        #expect(budget.remaining <= .zero)
        #expect(budget.notes.count == 2, "\(budget.notes)")
        #expect(budget.notes.first?.hasPrefix("flow catastrophic: the regular expression ^(a+)+$ ran out of time") == true)
        #expect(budget.notes.last?.hasPrefix("flow late-regex: the regular expression b$ ran out of time") == true)

        // With time left, the same sane patterns match as before.
        var fresh = MatchBudget()
        #expect(Flow.firing([flows[0], flows[3]], for: facts, budget: &fresh).map(\.name) == ["fast", "late-regex"])
        #expect(fresh.notes.isEmpty && fresh.remaining > .zero)
    }
}

