import NIOCore

extension FrameReader {
    /// msg-att = "(" (msg-att-dynamic / msg-att-static) *(SP ...) ")" (RFC 3501 §9).
    mutating func fetchResponse(sequenceNumber: UInt32) throws -> FetchResponse {
        // Strict about the spaces: the bytes after a literal longer than it announced (`{5}`,
        // then "Hello, world!") must not parse as one more attribute of the message.
        let attributes = try list(separated: true) { try $0.fetchAttribute() }
        return FetchResponse(sequenceNumber: sequenceNumber, attributes: attributes)
    }

    mutating func fetchAttribute() throws -> FetchAttribute {
        // `[` is an ATOM-CHAR, but here it starts a section (`BODY[HEADER]`), not part of the name.
        let name = try readWhile("fetch attribute") { Self.isAtomChar($0) && $0 != UInt8(ascii: "[") }.uppercased()
        switch name {
        case "UID":
            try expectSpace()
            return .uid(try number32())
        case "FLAGS":
            try expectSpace()
            return .flags(try list { try $0.flagAtom() }.map { Flag($0) })
        case "RFC822.SIZE":
            try expectSpace()
            return .rfc822Size(try number())
        case "INTERNALDATE":
            try expectSpace()
            return .internalDate(try internalDate())
        case "ENVELOPE":
            try expectSpace()
            return .envelope(try envelope())
        case "MODSEQ":
            try expectSpace()
            try expect(UInt8(ascii: "("), "opening parenthesis")
            let value = try number()
            try expect(UInt8(ascii: ")"), "closing parenthesis")
            return .modSeq(value)
        case "RFC822", "RFC822.HEADER", "RFC822.TEXT":
            try expectSpace()
            let section = name == "RFC822" ? "" : (name == "RFC822.HEADER" ? "HEADER" : "TEXT")
            return .body(BodyData(section: section, bytes: try nstring()))
        case "BODY", "BINARY", "BINARY.SIZE":
            guard peek() == UInt8(ascii: "[") else {
                // BODY without a section is the non-extensible BODYSTRUCTURE.
                try expectSpace()
                return .other(name, try value())
            }
            let section = try bracketed()
            var origin: UInt32?
            if skip(UInt8(ascii: "<")) {
                origin = try number32()
                try expect(UInt8(ascii: ">"), "closing angle bracket")
            }
            try expectSpace()
            if name == "BINARY.SIZE" { return .other("BINARY.SIZE[\(section)]", .number(try number())) }
            return .body(BodyData(section: section, origin: origin, bytes: try nstring()))
        default:
            try expectSpace()
            return .other(name, try value())
        }
    }

    /// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE.
    mutating func internalDate() throws -> InternalDate {
        let text = String(buffer: try quoted())
        guard let date = Self.parseDateTime(text) else {
            throw IMAPCoreError(.syntax, "bad INTERNALDATE \"\(text)\"")
        }
        return date
    }

    static func parseDateTime(_ text: String) -> InternalDate? {
        let parts = text.trimmingSpaces().split(separator: " ")
        guard parts.count == 3 else { return nil }
        let dateParts = parts[0].split(separator: "-")
        let timeParts = parts[1].split(separator: ":")
        guard dateParts.count == 3, timeParts.count == 3,
              let day = Int(dateParts[0]), let year = Int(dateParts[2]),
              let monthIndex = InternalDate.monthNames.firstIndex(where: { $0.lowercased() == dateParts[1].lowercased() }),
              let hour = Int(timeParts[0]), let minute = Int(timeParts[1]), let second = Int(timeParts[2]),
              parts[2].count == 5, let sign = parts[2].first, sign == "+" || sign == "-",
              let zone = Int(parts[2].dropFirst()),
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let minutes = (zone / 100) * 60 + zone % 100
        return InternalDate(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute,
                            second: second, zoneMinutes: sign == "-" ? -minutes : minutes)
    }

    /// envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP
    /// env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")".
    mutating func envelope() throws -> Envelope {
        try expect(UInt8(ascii: "("), "opening parenthesis")
        depth += 1
        defer { depth -= 1 }
        var envelope = Envelope()
        envelope.date = try nstringText()
        try expectSpace()
        envelope.subject = try nstringText()
        try expectSpace()
        envelope.from = try addresses()
        try expectSpace()
        envelope.sender = try addresses()
        try expectSpace()
        envelope.replyTo = try addresses()
        try expectSpace()
        envelope.to = try addresses()
        try expectSpace()
        envelope.cc = try addresses()
        try expectSpace()
        envelope.bcc = try addresses()
        try expectSpace()
        envelope.inReplyTo = try nstringText()
        try expectSpace()
        envelope.messageID = try nstringText()
        try expect(UInt8(ascii: ")"), "closing parenthesis of ENVELOPE")
        return envelope
    }

    mutating func addresses() throws -> [Envelope.Address] {
        if skipKeyword("NIL") { return [] }
        return try list { reader in
            try reader.expect(UInt8(ascii: "("), "address")
            let name = try reader.nstringText()
            try reader.expectSpace()
            let route = try reader.nstringText()
            try reader.expectSpace()
            let mailbox = try reader.nstringText()
            try reader.expectSpace()
            let host = try reader.nstringText()
            try reader.expect(UInt8(ascii: ")"), "closing parenthesis of address")
            return Envelope.Address(name: name, route: route, mailbox: mailbox, host: host)
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> Substring {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
