import Foundation

/// The `Retry-After` response header (RFC 9110 §10.2.3): `delay-seconds` or an `HTTP-date`.
enum RetryAfter {
    /// The delay `value` asks for, capped at `cap`; nil when it is not a valid field value
    /// (garbage is ignored rather than trusted). A date in the past means "now" (zero).
    static func parse(_ value: String, now: Date, cap: Duration) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // delay-seconds = 1*DIGIT; a number too large for Int is simply "very long".
            guard let seconds = Int64(text) else { return cap }
            return min(.seconds(seconds), cap)
        }
        guard let date = httpDate(text) else { return nil }
        let seconds = date.timeIntervalSince(now)
        guard seconds > 0 else { return .zero }
        return min(.seconds(seconds.rounded(.up)), cap)
    }

    /// An HTTP-date in any of the three formats recipients must accept (RFC 9110 §5.6.7):
    /// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37
    /// GMT`, and asctime `Sun Nov  6 08:49:37 1994`. Parsed by hand: date formatters are lenient
    /// in ways that let garbage through (a missing zone, for one).
    static func httpDate(_ text: String) -> Date? {
        let tokens = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let day, month, year: Int?
        let time: String
        switch tokens.count {
        case 6 where tokens[0].hasSuffix(",") && tokens[5] == "GMT" && tokens[1].count == 2 && tokens[3].count == 4:
            (day, month, year, time) = (Int(tokens[1]), monthNumber(tokens[2]), Int(tokens[3]), tokens[4])
        case 4 where tokens[0].hasSuffix(",") && tokens[3] == "GMT":
            let parts = tokens[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, parts[0].count == 2, parts[2].count == 2, let short = Int(parts[2]) else { return nil }
            // A two-digit year more than 50 years ahead is in the past century (RFC 9110 §5.6.7).
            let thisYear = Calendar(identifier: .gregorian).component(.year, from: Date())
            var full = thisYear / 100 * 100 + short
            if full > thisYear + 50 { full -= 100 }
            (day, month, year, time) = (Int(parts[0]), monthNumber(parts[1]), full, tokens[2])
        case 5 where tokens[4].count == 4:
            (day, month, year, time) = (Int(tokens[2]), monthNumber(tokens[1]), Int(tokens[4]), tokens[3])
        default:
            return nil
        }
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard let day, let month, let year, clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else {
            return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }

    private static func monthNumber(_ name: String) -> Int? {
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].firstIndex(of: name).map { $0 + 1 }
    }
}
