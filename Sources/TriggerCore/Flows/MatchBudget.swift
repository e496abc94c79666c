import Foundation

/// The time the regular expressions of a profile's flows may take on one message (threat model
/// M10). ICU, behind `NSRegularExpression`, backtracks: a pattern such as `^(a+)+$` takes
/// exponential time on a crafted subject, and a sender chooses the subject. Time beyond the
/// budget is not spent: the expression that runs out, and every one after it on the same
/// message, counts as not matching, and ``notes`` say which flow was cut short, for the log and
/// the payload's `warnings`.
public struct MatchBudget: Sendable {
    /// The default: far above what a sane pattern needs on a 1 MiB header, far below what would
    /// stall a mailbox.
    public static let defaultTime: Duration = .milliseconds(250)

    /// The whole budget, and what is left of it.
    public let time: Duration
    public private(set) var remaining: Duration
    /// One line per regular expression that ran out of time.
    public private(set) var notes: [String] = []
    /// The flow being evaluated, for the notes.
    var flow = ""

    public init(time: Duration = MatchBudget.defaultTime) {
        self.time = time
        remaining = time
    }

    /// Whether `expression` matches somewhere in `text`, within what is left. ICU calls back
    /// about every few thousand steps while matching (`reportProgress`): that is where the
    /// deadline is checked, so an expression stops within about a millisecond of it.
    mutating func firstMatch(_ expression: NSRegularExpression, in text: String) -> Bool {
        guard remaining > .zero else {
            note(expression.pattern)
            return false
        }
        let started = ContinuousClock.now
        let deadline = started + remaining
        var found = false
        var outOfTime = false
        expression.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(text.startIndex..., in: text)) { result, _, stop in
            if result != nil {
                found = true
                stop.pointee = true
            } else if ContinuousClock.now >= deadline {
                outOfTime = true
                stop.pointee = true
            }
        }
        remaining -= ContinuousClock.now - started
        if outOfTime { note(expression.pattern) }
        return found
    }

    private mutating func note(_ pattern: String) {
        let line = "flow \(flow): the regular expression \(pattern) ran out of time on this message "
            + "(\(time.shortDescription) for all regular expressions) and counts as not matching"
        if !notes.contains(line) { notes.append(line) }
    }
}
