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
        // Parsed dates are always in range; anything else (a year below 0, fields built by
        // hand) takes the general formatting.
        func inRange(_ value: Int) -> Bool { value >= 0 && value < 1_000_000 }
        guard inRange(year), inRange(month), inRange(day), inRange(hour), inRange(minute), inRange(second),
              offsetMinutes.map({ $0 > -1_000_000 && $0 < 1_000_000 }) ?? true else { return formattedRFC3339 }
        // The usual case, written as bytes: the same digits as the interpolation does.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        /// `value` (not negative) in decimal, zero-padded to `width` digits.
        func pad(_ value: Int, _ width: Int = 2) {
            var digits = 1
            var power = 10
            while power <= value { digits += 1; power &*= 10 }
            for _ in digits..<max(digits, width) { bytes.append(0x30) }
            var divisor = power / 10
            while divisor > 0 {
                bytes.append(0x30 + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        pad(year, 4)
        bytes.append(UInt8(ascii: "-"))
        pad(month)
        bytes.append(UInt8(ascii: "-"))
        pad(day)
        bytes.append(UInt8(ascii: "T"))
        pad(hour)
        bytes.append(UInt8(ascii: ":"))
        pad(minute)
        bytes.append(UInt8(ascii: ":"))
        pad(second)
        if let offset = offsetMinutes {
            bytes.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            pad(abs(offset) / 60)
            bytes.append(UInt8(ascii: ":"))
            pad(abs(offset) % 60)
        } else {
            bytes += [0x2D, 0x30, 0x30, 0x3A, 0x30, 0x30]  // "-00:00"
        }
        return HeaderBytes.string(bytes)
    }

    /// ``rfc3339`` by string interpolation, for any year.
    var formattedRFC3339: String {
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
        guard let fields = Self.canonicalFields(of: value) ?? Self.fields(of: Self.tokens(of: value)),
              let day = fields.day, let month = fields.month, var year = fields.year else { return nil }
        // Obsolete years (RFC 5322 §4.3): 2 digits 00–49 → 20xx, 50–99 → 19xx; 3 digits + 1900.
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let (hour, minute, second) = fields.time ?? (0, 0, 0)
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second), year <= 9999 else { return nil }
        let daysInMonth = [31, (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= daysInMonth[month - 1] else { return nil }
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = min(second, 59)
        self.offsetMinutes = fields.offset ?? nil
    }

    /// What a value says, before the checks and the obsolete-year rules.
    struct Fields {
        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        /// nil: no zone; .some(nil): a zone whose offset is unknown.
        var offset: Int??
    }

    /// The fields of a value's tokens (see ``tokens(of:)``); nil for a malformed time.
    static func fields(of tokens: [String]) -> Fields? {
        var tokens = tokens
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
        return Fields(day: day, month: month, year: year, time: time, offset: offset)
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

    static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// The fields of a value in RFC 5322's own form, `[Ddd, ]D[D] Mon YYYY HH:MM:SS ±HHMM` with
    /// single spaces (nearly every Date header), read straight from its bytes; nil for any
    /// other form, which ``fields(of:)`` then reads token by token. For this form both give
    /// the same fields: the day name is dropped, the day is 1–31, the year has four digits.
    static func canonicalFields(of value: String) -> Fields? {
        var contiguous = value
        return contiguous.withUTF8 { bytes -> Fields? in
            var index = 0
            /// The next `count` bytes as a lower-cased ASCII word, if they are letters.
            func word(_ count: Int) -> String? {
                guard index + count <= bytes.count else { return nil }
                var letters: [UInt8] = []
                for byte in bytes[index..<(index + count)] {
                    let lower = byte | 0x20
                    guard lower >= 0x61, lower <= 0x7A else { return nil }
                    letters.append(lower)
                }
                index += count
                return HeaderBytes.string(letters)
            }
            /// The next `count` bytes as a decimal number, if they are digits.
            func number(_ count: Int) -> Int? {
                guard index + count <= bytes.count else { return nil }
                var value = 0
                for byte in bytes[index..<(index + count)] {
                    guard byte >= 0x30, byte <= 0x39 else { return nil }
                    value = value * 10 + Int(byte - 0x30)
                }
                index += count
                return value
            }
            func skip(_ byte: UInt8) -> Bool {
                guard index < bytes.count, bytes[index] == byte else { return false }
                index += 1
                return true
            }
            if bytes.count > 4, bytes[3] == UInt8(ascii: ",") {
                guard let name = word(3), dayNames.contains(name), skip(UInt8(ascii: ",")), skip(0x20) else { return nil }
            }
            let dayDigits = index + 1 < bytes.count && bytes[index + 1] != 0x20 ? 2 : 1
            guard let day = number(dayDigits), (1...31).contains(day), skip(0x20),
                  let monthName = word(3), let month = months.firstIndex(of: monthName), skip(0x20),
                  let year = number(4), skip(0x20),
                  let hour = number(2), skip(UInt8(ascii: ":")), let minute = number(2), skip(UInt8(ascii: ":")),
                  let second = number(2), skip(0x20),
                  index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")
            else { return nil }
            let negative = bytes[index] == UInt8(ascii: "-")
            index += 1
            guard let zone = number(4), index == bytes.count else { return nil }
            let minutes = (zone / 100) * 60 + zone % 100
            let offset: Int? = negative && zone == 0 ? nil : (negative ? -minutes : minutes)
            return Fields(day: day, month: month + 1, year: year, time: (hour, minute, second), offset: .some(offset))
        }
    }
}
