/// One mailbox from an address header: display name (decoded) and address.
public struct MailAddress: Hashable, Sendable {
    /// The display name, RFC 2047-decoded; nil when there is none.
    public var name: String?
    /// The addr-spec, `local@domain` (the local part keeps its quotes when it needs them).
    public var address: String

    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }
}

extension MailAddress {
    /// Parses an address-list header value (RFC 5322 §3.4): mailboxes and groups (whose members
    /// are flattened; an empty group yields nothing), quoted and encoded display names, comments
    /// (ignored), obsolete routes (`<@a,@b:user@host>`, dropped), a missing `>`, white space
    /// around `@`, and UTF-8 (RFC 6532). Never fails: unparseable pieces are kept as addresses.
    public static func parseList(_ value: String) -> [MailAddress] {
        var parser = AddressListParser(scalars: Array(value.unicodeScalars))
        return parser.parse()
    }
}

/// The scanner behind ``MailAddress/parseList(_:)``.
struct AddressListParser {
    let scalars: [Unicode.Scalar]
    var index = 0
    var result: [MailAddress] = []

    /// The pieces of the mailbox being read.
    var phrase = String.UnicodeScalarView()     // display-name words, quoted strings unquoted
    var bare = String.UnicodeScalarView()       // text outside <...>, without white space
    var angle: String.UnicodeScalarView?        // the contents of <...>
    var trailing = String.UnicodeScalarView()   // words after <...>: the next mailbox's name if a "," is missing

    init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    mutating func parse() -> [MailAddress] {
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "\"":
                let text = quoted()
                if angle != nil {
                    if !trailing.isEmpty, trailing.last != " " { trailing.append(" ") }
                    trailing.appendInPlace(text.unicodeScalars)
                } else {
                    if !phrase.isEmpty, phrase.last != " " { phrase.append(" ") }
                    phrase.appendInPlace(text.unicodeScalars)
                    bare.append("\"")
                    bare.appendInPlace(requote(text).unicodeScalars)
                    bare.append("\"")
                }
            case "(":
                MIMEParameters.skipComment(scalars, &index)
            case "<":
                if angle != nil {
                    // A second <...> without a comma before it: a new mailbox whose name is
                    // what came after the first one.
                    let name = trailing
                    finishMailbox()
                    phrase = name
                }
                index += 1
                var inside = String.UnicodeScalarView()
                while index < scalars.count, scalars[index] != ">" {
                    if scalars[index] == "(" { MIMEParameters.skipComment(scalars, &index); continue }
                    if scalars[index] == "\"" {
                        inside.append("\"")
                        inside.appendInPlace(requote(quoted()).unicodeScalars)
                        inside.append("\"")
                        continue
                    }
                    if scalars[index] != " " && scalars[index] != "\t" && scalars[index] != "\r" && scalars[index] != "\n" {
                        inside.append(scalars[index])
                    }
                    index += 1
                }
                index += 1
                angle = inside
            case ",":
                finishMailbox()
                index += 1
            case ":" where angle == nil:
                // A group's display name ends here; its members follow.
                resetMailbox()
                index += 1
            case ";":
                finishMailbox()
                index += 1
            case " ", "\t", "\r", "\n":
                if angle == nil, !phrase.isEmpty, phrase.last != " " { phrase.append(" ") }
                if angle != nil, !trailing.isEmpty, trailing.last != " " { trailing.append(" ") }
                index += 1
            default:
                if angle == nil {
                    phrase.append(scalar)
                    bare.append(scalar)
                } else {
                    trailing.append(scalar)
                }
                index += 1
            }
        }
        finishMailbox()
        return result
    }

    /// The contents of a quoted string, with quoted pairs resolved.
    mutating func quoted() -> String {
        index += 1
        var text = String.UnicodeScalarView()
        while index < scalars.count, scalars[index] != "\"" {
            if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
            text.append(scalars[index])
            index += 1
        }
        index += 1
        return String(text)
    }

    func requote(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    mutating func resetMailbox() {
        phrase = String.UnicodeScalarView()
        bare = String.UnicodeScalarView()
        angle = nil
        trailing = String.UnicodeScalarView()
    }

    mutating func finishMailbox() {
        defer { resetMailbox() }
        if let angle {
            var address = String(angle)
            // Obsolete route: "@a,@b:user@host".
            if address.hasPrefix("@"), let colon = address.firstIndex(of: ":") {
                address = String(address[address.index(after: colon)...])
            }
            guard !address.isEmpty else { return }
            let name = EncodedWords.decode(String(phrase)).trimmingCharacters(in: " \t")
            result.append(MailAddress(name: name.isEmpty ? nil : name, address: address))
            return
        }
        let address = String(bare)
        guard !address.isEmpty else { return }
        result.append(MailAddress(name: nil, address: address))
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard let first = target.first else { return nil }
        var start = startIndex
        while let found = self[start...].firstIndex(of: first) {
            if self[found...].hasPrefix(target) { return found..<index(found, offsetBy: target.count) }
            start = index(after: found)
        }
        return nil
    }
}
