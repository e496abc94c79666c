/// A `Date:` header value (RFC 5322 §3.3), with the obsolete forms of §4.3 and what real mail
/// does: no day name, no seconds, two- and three-digit years, named zones (UT, GMT, EST…,
/// military letters), a missing zone, comments such as `(UTC)`, dots and extra commas.
public struct MessageDate: Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Offset from UTC in minutes; nil when unknown (`-0000`, military zones, no zone).
    public var offsetMinutes: Int?

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, offsetMinutes: Int?) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second) = (hour, minute, second)
        self.offsetMinutes = offsetMinutes
    }

    /// RFC 3339, for example `2026-11-21T10:00:00+01:00`; an unknown offset is written `-00:00`
    /// (RFC 3339 §4.3).
    public var rfc3339: String {
        func pad(_ value: Int, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let zone: String
        if let offset = offsetMinutes {
            zone = (offset < 0 ? "-" : "+") + pad(abs(offset) / 60) + ":" + pad(abs(offset) % 60)
        } else {
            zone = "-00:00"
        }
        return "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second))\(zone)"
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zones: [String: Int?] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0,
        "edt": -240, "est": -300, "cdt": -300, "cst": -360, "mdt": -360, "mst": -420, "pdt": -420, "pst": -480,
    ]

    /// Parses a header value; nil when no date can be recognised.
    public init?(parsing value: String) {
        var tokens = Self.tokens(of: value)
        // A leading day name ("mon", "monday", "mon.").
        if let first = tokens.first, first.first?.isLetter == true,
           !Self.months.contains(where: { first.hasPrefix($0) }) {
            tokens.removeFirst()
        }
        var day: Int?, month: Int?, year: Int?
        var time: (Int, Int, Int)?
        var offset: Int??
        for token in tokens {
            let trimmed = token.trimmingCharacters(in: ".")
            if time == nil, trimmed.contains(":") {
                let parts = trimmed.split(separator: ":").map { Int($0) }
                guard parts.count >= 2, parts.count <= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
                time = (parts[0]!, parts[1]!, parts.count == 3 ? parts[2]! : 0)
            } else if month == nil, let found = Self.months.firstIndex(where: { trimmed.hasPrefix($0) }), trimmed.count >= 3 {
                month = found + 1
            } else if let sign = trimmed.first, (sign == "+" || sign == "-"), trimmed.count == 5, let number = Int(trimmed.dropFirst()) {
                let minutes = (number / 100) * 60 + number % 100
                offset = trimmed == "-0000" ? .some(nil) : .some(sign == "-" ? -minutes : minutes)
            } else if let number = Int(trimmed) {
                if day == nil, number >= 1, number <= 31, trimmed.count <= 2 {
                    day = number
                } else if year == nil {
                    year = number
                } else if day == nil, number >= 1, number <= 31 {
                    day = number
                }
            } else if let zone = Self.zones[trimmed] {
                offset = .some(zone)
            } else if trimmed.count == 1, trimmed.first!.isLetter {
                offset = .some(nil)  // military zone: unknown (RFC 5322 §4.3)
            }
        }
        guard let day, let month, var year else { return nil }
        // Obsolete years (RFC 5322 §4.3): 2 digits 00–49 → 20xx, 50–99 → 19xx; 3 digits + 1900.
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let (hour, minute, second) = time ?? (0, 0, 0)
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second), year <= 9999 else { return nil }
        let daysInMonth = [31, (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= daysInMonth[month - 1] else { return nil }
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = min(second, 59)
        self.offsetMinutes = offset ?? nil
    }

    /// The value's words, lower-cased: comments dropped, split on white space and commas.
    static func tokens(of value: String) -> [String] {
        var contiguous = value
        return contiguous.withUTF8 { utf8 in HeaderBytes.isASCII(utf8) ? asciiTokens(utf8) : nil } ?? scalarTokens(of: value)
    }

    /// ``tokens(of:)`` for any text: comments dropped scalar by scalar, then split into
    /// Characters (CR LF is one Character, so it is listed as well as CR and LF).
    static func scalarTokens(of value: String) -> [String] {
        let scalars = Array(value.unicodeScalars)
        var cleaned = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if scalars[index] == "(" { MIMEParameters.skipComment(scalars, &index); continue }
            cleaned.append(scalars[index] == "," ? " " : scalars[index])
            index += 1
        }
        return String(cleaned).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
            .map { String($0).lowercased() }
    }

    /// ``tokens(of:)`` for ASCII text, on its bytes: there a Character is a byte, or CR LF,
    /// which separates words just as its two bytes do.
    static func asciiTokens(_ bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        var tokens: [String] = []
        var token: [UInt8] = []
        func endToken() {
            if !token.isEmpty { tokens.append(HeaderBytes.string(token)) }
            token.removeAll(keepingCapacity: true)
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "(") { HeaderBytes.skipComment(bytes, &index); continue }
            if byte == UInt8(ascii: ",") || HeaderBytes.isWhiteSpace(byte) {
                endToken()
            } else {
                token.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            }
            index += 1
        }
        endToken()
        return tokens
    }
}
