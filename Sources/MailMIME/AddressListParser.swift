/// The scanner behind ``MailAddress/parseList(_:)``. It reads the value's UTF-8 bytes (see
/// ``HeaderBytes`` for why that finds what a scan of Unicode scalars finds) and builds each
/// string once, when a mailbox is finished.
struct AddressListParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var result: [MailAddress] = []

    /// The pieces of the mailbox being read.
    var phrase: [UInt8] = []     // display-name words, quoted strings unquoted
    var bare: [UInt8] = []       // text outside <...>, without white space
    var angle: [UInt8]?          // the contents of <...>
    var trailing: [UInt8] = []   // words after <...>: the next mailbox's name if a "," is missing

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func parse() -> [MailAddress] {
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let text = quoted()
                if angle != nil {
                    Self.appendWord(text, to: &trailing)
                } else {
                    Self.appendWord(text, to: &phrase)
                    bare.append(UInt8(ascii: "\""))
                    bare.append(contentsOf: Self.requoted(text))
                    bare.append(UInt8(ascii: "\""))
                }
            case UInt8(ascii: "("):
                HeaderBytes.skipComment(bytes, &index)
            case UInt8(ascii: "<"):
                if angle != nil {
                    // A second <...> without a comma before it: a new mailbox whose name is
                    // what came after the first one.
                    let name = trailing
                    finishMailbox()
                    phrase = name
                }
                index += 1
                angle = angleContents()
            case UInt8(ascii: ","), UInt8(ascii: ";"):
                finishMailbox()
                index += 1
            case UInt8(ascii: ":") where angle == nil:
                // A group's display name ends here; its members follow.
                resetMailbox()
                index += 1
            case 0x20, 0x09, 0x0D, 0x0A:
                if angle == nil, !phrase.isEmpty, phrase.last != 0x20 { phrase.append(0x20) }
                if angle != nil, !trailing.isEmpty, trailing.last != 0x20 { trailing.append(0x20) }
                index += 1
            default:
                if angle == nil {
                    phrase.append(byte)
                    bare.append(byte)
                } else {
                    trailing.append(byte)
                }
                index += 1
            }
        }
        finishMailbox()
        return result
    }

    /// Appends a quoted word to a phrase, a space before it unless there is one.
    static func appendWord(_ word: [UInt8], to phrase: inout [UInt8]) {
        if !phrase.isEmpty, phrase.last != 0x20 { phrase.append(0x20) }
        phrase.append(contentsOf: word)
    }

    /// The contents of `<...>` from `index` (after the `<`) to the `>` or the end, without white
    /// space and comments; `index` ends after the `>`.
    mutating func angleContents() -> [UInt8] {
        var inside: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: ">") {
            let byte = bytes[index]
            if byte == UInt8(ascii: "(") { HeaderBytes.skipComment(bytes, &index); continue }
            if byte == UInt8(ascii: "\"") {
                inside.append(UInt8(ascii: "\""))
                inside.append(contentsOf: Self.requoted(quoted()))
                inside.append(UInt8(ascii: "\""))
                continue
            }
            if !HeaderBytes.isWhiteSpace(byte) { inside.append(byte) }
            index += 1
        }
        index += 1
        return inside
    }

    /// The contents of a quoted string, with quoted pairs resolved. A quoted pair takes the
    /// next byte; when that starts a longer character, its other bytes follow unchanged, as the
    /// whole scalar did in a scan of scalars.
    mutating func quoted() -> [UInt8] {
        index += 1
        var text: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
            text.append(bytes[index])
            index += 1
        }
        index += 1
        return text
    }

    /// `text` with `\` and `"` escaped again, for an address that keeps its quotes. Text with
    /// neither (the usual case) is returned as it is; otherwise the string replacement decides,
    /// because it matches whole Characters: a `\` or `"` followed by a combining mark is not
    /// replaced, and the output stays as it always was.
    static func requoted(_ text: [UInt8]) -> [UInt8] {
        guard text.contains(UInt8(ascii: "\\")) || text.contains(UInt8(ascii: "\"")) else { return text }
        let string = HeaderBytes.string(text)
        return Array(string.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").utf8)
    }

    mutating func resetMailbox() {
        phrase.removeAll(keepingCapacity: true)
        bare.removeAll(keepingCapacity: true)
        angle = nil
        trailing.removeAll(keepingCapacity: true)
    }

    mutating func finishMailbox() {
        defer { resetMailbox() }
        if let angle {
            guard let address = Self.withoutRoute(angle) else { return }
            let name = phrase.withUnsafeBufferPointer(Self.displayName)
            result.append(MailAddress(name: name.isEmpty ? nil : name, address: address))
            return
        }
        guard !bare.isEmpty else { return }
        result.append(MailAddress(name: nil, address: HeaderBytes.string(bare)))
    }

    /// The display name of a phrase: encoded words decoded, spaces and tabs trimmed. A phrase
    /// without "=?" (most) is trimmed in its bytes and becomes a string once.
    static func displayName(_ phrase: UnsafeBufferPointer<UInt8>) -> String {
        guard !HeaderBytes.containsEncodedWordStart(phrase) else {
            return EncodedWords.decode(HeaderBytes.string(phrase)).trimmingCharacters(in: " \t")
        }
        var start = 0
        var end = phrase.count
        while start < end, phrase[start] == 0x20 || phrase[start] == 0x09 { start += 1 }
        while end > start, phrase[end - 1] == 0x20 || phrase[end - 1] == 0x09 { end -= 1 }
        return HeaderBytes.string(UnsafeBufferPointer(rebasing: phrase[start..<end]))
    }

    /// The address in `<...>` without an obsolete route (`@a,@b:user@host`); nil when empty.
    /// Only an address starting with `@` can have a route; whether it has one is decided on the
    /// string, as ever (`hasPrefix` and `firstIndex(of:)` compare Characters).
    static func withoutRoute(_ angle: [UInt8]) -> String? {
        guard !angle.isEmpty else { return nil }
        var address = HeaderBytes.string(angle)
        if angle[0] == UInt8(ascii: "@"), address.hasPrefix("@"), let colon = address.firstIndex(of: ":") {
            address = String(address[address.index(after: colon)...])
        }
        return address.isEmpty ? nil : address
    }
}
