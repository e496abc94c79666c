import NIOCore

extension FrameReader {
    /// response = continue-req / response-data / response-tagged (RFC 3501 §9).
    mutating func readResponse() throws -> Response {
        if skip(UInt8(ascii: "+")) {
            _ = skip(0x20)
            let text = restOfLine()
            try expectLineEnd()
            return .continuation(text)
        }
        if skip(UInt8(ascii: "*")) {
            try expectSpace()
            let untagged = try untaggedResponse()
            try expectLineEnd()
            return .untagged(untagged)
        }
        let tag = try readWhile("tag") { Self.isAtomChar($0) && $0 != UInt8(ascii: "+") }
        try expectSpace()
        let status = try statusResponse(allowed: [.ok, .no, .bad])
        try expectLineEnd()
        return .tagged(TaggedResponse(tag: tag, status: status))
    }

    /// `OK|NO|BAD|BYE|PREAUTH [SP resp-text]`.
    mutating func statusResponse(allowed: Set<StatusKind>) throws -> StatusResponse {
        let keyword = try atom().uppercased()
        guard let kind = StatusKind(rawValue: keyword), allowed.contains(kind) else {
            throw IMAPCoreError(.syntax, "unexpected status \(keyword) at offset \(position)")
        }
        return try responseText(kind)
    }

    /// resp-text = ["[" resp-text-code "]" SP] text. Servers often omit the text, or the
    /// space; both are accepted.
    mutating func responseText(_ kind: StatusKind) throws -> StatusResponse {
        while peek() == 0x20 { position += 1 }
        var code: ResponseCode?
        if peek() == UInt8(ascii: "[") {
            position += 1
            code = try responseCode()
            try expect(UInt8(ascii: "]"), "closing bracket of response code")
            while peek() == 0x20 { position += 1 }
        }
        return StatusResponse(kind: kind, code: code, text: restOfLine())
    }

    mutating func responseCode() throws -> ResponseCode {
        let name = try atom().uppercased()
        switch name {
        case "ALERT": return .alert
        case "PARSE": return .parse
        case "READ-ONLY": return .readOnly
        case "READ-WRITE": return .readWrite
        case "TRYCREATE": return .tryCreate
        case "NOMODSEQ": return .noModSeq
        case "UIDNEXT": try expectSpace(); return .uidNext(try number32())
        case "UIDVALIDITY": try expectSpace(); return .uidValidity(try number32())
        case "UNSEEN": try expectSpace(); return .unseen(try number32())
        case "HIGHESTMODSEQ": try expectSpace(); return .highestModSeq(try number())
        case "CAPABILITY":
            return .capability(try capabilities(until: UInt8(ascii: "]")))
        case "PERMANENTFLAGS":
            try expectSpace()
            return .permanentFlags(try list { try $0.flagAtom() }.map { Flag($0) })
        case "APPENDUID":
            try expectSpace()
            let validity = try number32()
            try expectSpace()
            return .appendUID(uidValidity: validity, uids: try uidSet())
        case "COPYUID":
            try expectSpace()
            let validity = try number32()
            try expectSpace()
            let source = try uidSet()
            try expectSpace()
            return .copyUID(uidValidity: validity, source: source, destination: try uidSet())
        default:
            // Unknown code: keep the raw text up to the closing bracket.
            guard peek() == 0x20 else { return .other(name, nil) }
            position += 1
            let start = position
            while let byte = peek(), byte != UInt8(ascii: "]"), byte != 0x0D, byte != 0x0A { position += 1 }
            let raw = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            return .other(name, raw)
        }
    }

    /// `*(SP capability)` up to the line end or `terminator`.
    mutating func capabilities(until terminator: UInt8? = nil) throws -> [Capability] {
        var result: [Capability] = []
        while peek() == 0x20 {
            while peek() == 0x20 { position += 1 }
            if atLineEnd || peek() == terminator { break }
            result.append(Capability(try atom()))
            guard result.count <= limits.maxElements else {
                throw IMAPCoreError(.tooManyElements, "more than \(limits.maxElements) capabilities")
            }
        }
        return result
    }

    /// A sequence-set as sent in response codes and ESEARCH.
    mutating func uidSet() throws -> UIDSet {
        let text = try readWhile("sequence set") {
            ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "*")
        }
        guard let set = UIDSet(parsing: text) else { throw IMAPCoreError(.syntax, "bad sequence set \(text)") }
        return set
    }

    mutating func untaggedResponse() throws -> UntaggedResponse {
        if let byte = peek(), byte >= 0x30 && byte <= 0x39 {
            let number = try number32()
            try expectSpace()
            let keyword = try atom().uppercased()
            switch keyword {
            case "EXISTS": return .exists(number)
            case "RECENT": return .recent(number)
            case "EXPUNGE": return .expunge(number)
            case "FETCH":
                try expectSpace()
                return .fetch(try fetchResponse(sequenceNumber: number))
            default:
                let rest = restOfRawResponse()
                return .other(keyword, rest.isEmpty ? "\(number)" : "\(number) \(rest)")
            }
        }
        let keyword = try atom().uppercased()
        switch keyword {
        case "OK", "NO", "BAD", "BYE", "PREAUTH":
            return .condition(try responseText(StatusKind(rawValue: keyword)!))
        case "CAPABILITY":
            return .capability(try capabilities())
        case "ENABLED":
            return .enabled(try capabilities())
        case "LIST", "XLIST":
            try expectSpace()
            return .list(try mailboxListing())
        case "LSUB":
            try expectSpace()
            return .lsub(try mailboxListing())
        case "STATUS":
            try expectSpace()
            return .status(try mailboxStatus())
        case "FLAGS":
            try expectSpace()
            return .flags(try list { try $0.flagAtom() }.map { Flag($0) })
        case "SEARCH":
            return try search()
        case "ESEARCH":
            return .esearch(try esearch())
        case "ID":
            try expectSpace()
            return .id(try idFields())
        default:
            return .other(keyword, restOfRawResponse())
        }
    }

    /// Everything up to the end of the response (literals included) as text, for responses the
    /// client keeps raw.
    mutating func restOfRawResponse() -> String {
        while peek() == 0x20 { position += 1 }
        var end = bytes.count
        if end > position && bytes[end - 1] == 0x0A { end -= 1 }
        if end > position && bytes[end - 1] == 0x0D { end -= 1 }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end
        return text
    }

    /// mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
    /// [SP mbox-list-extended] (RFC 3501 §9, RFC 5258 §9).
    mutating func mailboxListing() throws -> MailboxListing {
        let attributes = try list { try $0.flagAtom() }
        try expectSpace()
        var delimiter: Character?
        if skipKeyword("NIL") {
            delimiter = nil
        } else {
            let text = String(buffer: try quoted())
            guard text.count == 1 else { throw IMAPCoreError(.syntax, "hierarchy delimiter must be one character") }
            delimiter = text.first
        }
        try expectSpace()
        let name = try astring()
        if peek() == 0x20 {
            // RFC 5258 extended data, for example ("CHILDINFO" ("SUBSCRIBED")): not used.
            position += 1
            if !atLineEnd { _ = try value() }
        }
        return MailboxListing(attributes: attributes, delimiter: delimiter, wireName: name)
    }

    mutating func mailboxStatus() throws -> MailboxStatus {
        let name = try astring()
        try expectSpace()
        var values: [String: UInt64] = [:]
        try expect(UInt8(ascii: "("), "opening parenthesis")
        while true {
            while peek() == 0x20 { position += 1 }
            if skip(UInt8(ascii: ")")) { break }
            let key = try atom().uppercased()
            try expectSpace()
            values[key] = try number()
            guard values.count <= limits.maxElements else {
                throw IMAPCoreError(.tooManyElements, "STATUS has more than \(limits.maxElements) items")
            }
        }
        return MailboxStatus(wireName: name, values: values)
    }

    mutating func search() throws -> UntaggedResponse {
        var numbers: [UInt32] = []
        var modSeq: UInt64?
        while peek() == 0x20 {
            while peek() == 0x20 { position += 1 }
            if atLineEnd { break }
            if peek() == UInt8(ascii: "(") {
                // (MODSEQ n) from CONDSTORE.
                position += 1
                guard skipKeyword("MODSEQ") else { throw syntax("MODSEQ") }
                try expectSpace()
                modSeq = try number()
                try expect(UInt8(ascii: ")"), "closing parenthesis")
                continue
            }
            numbers.append(try number32())
            guard numbers.count <= limits.maxElements else {
                throw IMAPCoreError(.tooManyElements, "SEARCH returned more than \(limits.maxElements) numbers")
            }
        }
        return .search(numbers, modSeq: modSeq)
    }

    /// esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data).
    mutating func esearch() throws -> ESearchResponse {
        var result = ESearchResponse()
        while peek() == 0x20 {
            while peek() == 0x20 { position += 1 }
            if atLineEnd { break }
            if peek() == UInt8(ascii: "(") {
                position += 1
                guard skipKeyword("TAG") else { throw syntax("TAG") }
                try expectSpace()
                result.tag = try astring()
                try expect(UInt8(ascii: ")"), "closing parenthesis")
                continue
            }
            let key = try atom().uppercased()
            if key == "UID" { result.uid = true; continue }
            try expectSpace()
            switch key {
            case "MIN": result.min = try number32()
            case "MAX": result.max = try number32()
            case "COUNT": result.count = try number32()
            case "ALL": result.all = try uidSet()
            case "MODSEQ": result.modSeq = try number()
            default: _ = try value()
            }
        }
        return result
    }

    mutating func idFields() throws -> [IDField] {
        if skipKeyword("NIL") { return [] }
        var fields: [IDField] = []
        try expect(UInt8(ascii: "("), "opening parenthesis")
        while true {
            while peek() == 0x20 { position += 1 }
            if skip(UInt8(ascii: ")")) { return fields }
            let key = String(buffer: try string())
            try expectSpace()
            fields.append(IDField(key: key, value: try nstringText()))
            guard fields.count <= limits.maxElements else {
                throw IMAPCoreError(.tooManyElements, "ID has more than \(limits.maxElements) fields")
            }
        }
    }
}
