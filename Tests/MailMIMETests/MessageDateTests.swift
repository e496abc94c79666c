@testable import MailMIME
import Testing

/// Date header values (RFC 5322 §3.3 and the obsolete forms of §4.3) to RFC 3339.
@Suite("MessageDate")
struct MessageDateTests {
    /// The dates of RFC 5322 Appendix A, as RFC 3339.
    static let rfcExamples: [(String, String)] = [
        ("Fri, 21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00"),
        ("Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00"),
        ("Fri, 21 Nov 1997 10:01:10 -0600", "1997-11-21T10:01:10-06:00"),
        ("Fri, 21 Nov 1997 11:00:00 -0600", "1997-11-21T11:00:00-06:00"),
        ("Mon, 24 Nov 1997 14:22:01 -0800", "1997-11-24T14:22:01-08:00"),
        ("Thu, 13 Feb 1969 23:32:54 -0330", "1969-02-13T23:32:54-03:30"),
        // A.6.2, obsolete: folded, no seconds, a comment after the zone.
        ("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)",
         "1969-02-13T23:32:00-03:30"),
        ("21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06+00:00"),
        // RFC 2046's sample message.
        ("Sun, 21 Mar 1993 23:56:48 -0800 (PST)", "1993-03-21T23:56:48-08:00"),
    ]

    @Test("RFC 5322 examples", arguments: rfcExamples)
    func rfcDates(_ value: String, _ expected: String) {
        #expect(MessageDate(parsing: value)?.rfc3339 == expected)
    }

    static let obsolete: [(String, String)] = [
        // Two-digit years: 00–49 are 20xx, 50–99 are 19xx; three digits add 1900 (§4.3).
        ("Sat, 1 Jan 00 00:00:00 +0000", "2000-01-01T00:00:00+00:00"),
        ("Fri, 1 Jan 49 12:00:00 +0000", "2049-01-01T12:00:00+00:00"),
        ("Sun, 1 Jan 50 12:00:00 +0000", "1950-01-01T12:00:00+00:00"),
        ("1 Jan 99 12:00:00 +0000", "1999-01-01T12:00:00+00:00"),
        ("1 Jan 103 12:00:00 +0000", "2003-01-01T12:00:00+00:00"),
        ("1 Jan 999 12:00:00 +0000", "2899-01-01T12:00:00+00:00"),
        // Named zones (§4.3): UT and GMT are +0000; the US zones have fixed offsets.
        ("1 Jan 2024 12:00:00 UT", "2024-01-01T12:00:00+00:00"),
        ("1 Jan 2024 12:00:00 GMT", "2024-01-01T12:00:00+00:00"),
        ("1 Jan 2024 12:00:00 EST", "2024-01-01T12:00:00-05:00"),
        ("1 Jan 2024 12:00:00 EDT", "2024-01-01T12:00:00-04:00"),
        ("1 Jan 2024 12:00:00 CST", "2024-01-01T12:00:00-06:00"),
        ("1 Jan 2024 12:00:00 CDT", "2024-01-01T12:00:00-05:00"),
        ("1 Jan 2024 12:00:00 MST", "2024-01-01T12:00:00-07:00"),
        ("1 Jan 2024 12:00:00 MDT", "2024-01-01T12:00:00-06:00"),
        ("1 Jan 2024 12:00:00 PST", "2024-01-01T12:00:00-08:00"),
        ("1 Jan 2024 12:00:00 PDT", "2024-01-01T12:00:00-07:00"),
        ("1 Jan 2024 12:00:00 gmt", "2024-01-01T12:00:00+00:00"),
        // Military zones: "SHOULD all be considered equivalent to -0000" (§4.3). Z is zero
        // whichever sign convention is used, so it stays +00:00 (as Python reads it).
        ("1 Jan 2024 12:00:00 A", "2024-01-01T12:00:00-00:00"),
        ("1 Jan 2024 12:00:00 M", "2024-01-01T12:00:00-00:00"),
        ("1 Jan 2024 12:00:00 N", "2024-01-01T12:00:00-00:00"),
        ("1 Jan 2024 12:00:00 Y", "2024-01-01T12:00:00-00:00"),
        ("1 Jan 2024 12:00:00 Z", "2024-01-01T12:00:00+00:00"),
        // -0000: local time, offset unknown (§3.3) → RFC 3339 §4.3's -00:00. +0000 is UTC.
        ("Mon, 1 Jan 2024 12:00:00 -0000", "2024-01-01T12:00:00-00:00"),
        ("Mon, 1 Jan 2024 12:00:00 +0000", "2024-01-01T12:00:00+00:00"),
        // No zone at all: unknown.
        ("Mon, 1 Jan 2024 12:00:00", "2024-01-01T12:00:00-00:00"),
        // Offsets with minutes and beyond 12 hours.
        ("1 Jan 2024 12:00:00 +0530", "2024-01-01T12:00:00+05:30"),
        ("1 Jan 2024 12:00:00 +1345", "2024-01-01T12:00:00+13:45"),
        ("1 Jan 2024 12:00:00 -0930", "2024-01-01T12:00:00-09:30"),
        // No day name, no seconds.
        ("21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00"),
        ("Fri, 21 Nov 1997 09:55 -0600", "1997-11-21T09:55:00-06:00"),
        // Comments.
        ("Tue, 1 Jul 2003 10:52:37 +0000 (UTC)", "2003-07-01T10:52:37+00:00"),
        ("(sent) Tue, 1 Jul 2003 (today) 10:52:37 +0200 (CEST)", "2003-07-01T10:52:37+02:00"),
        // Extra spaces, commas and dots; full day and month names; lower case.
        ("Fri,  21   Nov  1997   09:55:06   -0600  ", "1997-11-21T09:55:06-06:00"),
        ("Fri, 21 Nov, 1997, 09:55:06, -0600", "1997-11-21T09:55:06-06:00"),
        ("Fri. 21 Nov. 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00"),
        ("Friday, 21 November 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00"),
        ("fri, 21 nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00"),
        ("Fri 21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00"),
        // Single-digit fields.
        ("Mon, 5 Feb 2024 1:2:3 +0000", "2024-02-05T01:02:03+00:00"),
        // Leap days.
        ("Thu, 29 Feb 2024 12:00:00 +0000", "2024-02-29T12:00:00+00:00"),
        ("Tue, 29 Feb 2000 12:00:00 +0000", "2000-02-29T12:00:00+00:00"),
        ("31 Dec 2023 23:59:59 +0000", "2023-12-31T23:59:59+00:00"),
    ]

    @Test("obsolete and real-world forms", arguments: obsolete)
    func obsoleteDates(_ value: String, _ expected: String) {
        #expect(MessageDate(parsing: value)?.rfc3339 == expected)
    }

    static let invalid: [String] = [
        "",
        "garbage",
        "not a date at all, really",
        "Fri, 30 Feb 2024 12:00:00 +0000",
        "29 Feb 2023 12:00:00 +0000",
        "29 Feb 1900 12:00:00 +0000",
        "31 Apr 2024 12:00:00 +0000",
        "32 Jan 2024 12:00:00 +0000",
        "0 Jan 2024 12:00:00 +0000",
        "1 Jan 2024 25:00:00 +0000",
        "1 Jan 2024 24:00:00 +0000",
        "1 Jan 2024 12:60:00 +0000",
        "1 Jan 2024 12:00:61 +0000",
        "1 Jan 2024 12:xx:00 +0000",
        "1 Jan 2024 12:00:00:00 +0000",
        "1 Foo 2024 12:00:00 +0000",
        "Jan 2024 12:00:00 +0000",
        "1 Jan 12:00:00 +0000",
        "(only a comment)",
        "2024-01-01T12:00:00Z",
    ]

    @Test("invalid dates give nil", arguments: invalid)
    func invalidDates(_ value: String) {
        #expect(MessageDate(parsing: value) == nil)
    }

    @Test("fields of a parsed date")
    func fields() throws {
        let date = try #require(MessageDate(parsing: "Thu, 13 Feb 1969 23:32:54 -0330"))
        #expect(date.year == 1969)
        #expect(date.month == 2)
        #expect(date.day == 13)
        #expect(date.hour == 23)
        #expect(date.minute == 32)
        #expect(date.second == 54)
        #expect(date.offsetMinutes == -210)
        #expect(MessageDate(parsing: "1 Jan 2024 12:00:00 -0000")?.offsetMinutes == nil)
    }

    @Test("the payload has the RFC 3339 date and the raw value")
    func throughPayload() {
        let built = payload("Date: Fri, 21 Nov 1997 09:55:06 -0600 (CST)\n\n")
        #expect(built.date == "1997-11-21T09:55:06-06:00")
        #expect(built.dateRaw == "Fri, 21 Nov 1997 09:55:06 -0600 (CST)")
        let bad = payload("Date: someday\n\n")
        #expect(bad.date == nil)
        #expect(bad.dateRaw == "someday")
        let none = payload("Subject: x\n\n")
        #expect(none.date == nil)
        #expect(none.dateRaw == nil)
    }

    @Test("a folded Date header (RFC 5322 A.6.2) through the header parser")
    func foldedHeader() {
        let built = payload("Date: Thu,\n      13\n        Feb\n          1969\n      23:32\n               -0330 (Newfoundland Time)\n\n")
        #expect(built.date == "1969-02-13T23:32:00-03:30")
    }
}

/// The direct reading of RFC 5322's own form against the token-by-token reading.
extension MessageDateTests {
    static func sameFields(_ lhs: MessageDate.Fields?, _ rhs: MessageDate.Fields?) -> Bool {
        guard let lhs, let rhs else { return lhs == nil && rhs == nil }
        return lhs.day == rhs.day && lhs.month == rhs.month && lhs.year == rhs.year
            && lhs.time?.0 == rhs.time?.0 && lhs.time?.1 == rhs.time?.1 && lhs.time?.2 == rhs.time?.2
            && lhs.offset.map { $0 ?? -9999 } == rhs.offset.map { $0 ?? -9999 }
    }

    @Test("RFC 5322's form: both readings give the same fields", arguments: [
        "Thu, 01 Jan 2026 00:00:37 +0000", "Mon, 1 Jan 2024 12:00:00 -0000", "1 Jan 2024 12:00:00 +0530",
        "SUN, 31 DEC 1999 23:59:60 -1200", "Sat, 29 Feb 2025 10:00:00 +0100", "Tue, 07 Jul 0020 25:61:00 +9999",
        "wed, 15 may 2024 08:09:10 -0500",
    ])
    func canonicalAgrees(_ value: String) throws {
        let direct = try #require(MessageDate.canonicalFields(of: value))
        #expect(Self.sameFields(direct, MessageDate.fields(of: MessageDate.tokens(of: value))))
    }

    @Test("other forms are left to the token-by-token reading", arguments: [
        "Thu, 01 Jan 2026 00:00:37 +0000 (UTC)", "Thu,  01 Jan 2026 00:00:37 +0000", "01 Jan 26 00:00:37 +0000",
        "Thu, 32 Jan 2026 00:00:37 +0000", "Thu, 00 Jan 2026 00:00:37 +0000", "Thx, 01 Jan 2026 00:00:37 +0000",
        "1 Jan 2026 00:00 +0000", "01 Jan 2026 00:00:37 GMT", "Thu 01 Jan 2026 00:00:37 +0000", "01 January 2026 00:00:37 +0000",
        "01 Jan 2026 00:00:37 +00000", "01 Jan 2026 00:00:37 +000", "001 Jan 2026 00:00:37 +0000", "", "Thu,",
        "01 Jan 2026 00:00:37 +0000 ", "01 Jän 2026 00:00:37 +0000",
    ])
    func otherForms(_ value: String) {
        #expect(MessageDate.canonicalFields(of: value) == nil)
    }

    @Test("RFC 3339 as bytes equals the interpolated form", arguments: [
        MessageDate(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 37, offsetMinutes: 0),
        MessageDate(year: 5, month: 12, day: 31, hour: 23, minute: 59, second: 59, offsetMinutes: -330),
        MessageDate(year: 9999, month: 2, day: 29, hour: 1, minute: 2, second: 3, offsetMinutes: nil),
        MessageDate(year: 2024, month: 6, day: 1, hour: 12, minute: 0, second: 0, offsetMinutes: 6039),
        MessageDate(year: -1000, month: 6, day: 1, hour: 12, minute: 0, second: 0, offsetMinutes: 60),
        MessageDate(year: 123_456_789, month: 100, day: 1, hour: 12, minute: 0, second: 0, offsetMinutes: -59),
    ])
    func rfc3339(_ date: MessageDate) {
        #expect(date.rfc3339 == date.formattedRFC3339)
    }
}
