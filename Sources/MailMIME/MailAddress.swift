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
        var value = value
        return value.withUTF8 { utf8 in
            var parser = AddressListParser(bytes: utf8)
            return parser.parse()
        }
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
