public import NIOCore

/// Encodes commands to wire bytes (RFC 3501 §4, §6; RFC 7888 LITERAL+/LITERAL-).
///
/// A command that carries a synchronising literal cannot be sent in one write: the client
/// must wait for the server's continuation request (`+`) after each `{N}` line. The encoder
/// therefore returns the command as ``EncodedCommand/segments``: send the first, and each
/// following one only after a continuation request. With LITERAL+ (or LITERAL- for literals up
/// to 4096 bytes) literals are non-synchronising (`{N+}`) and the command is one segment.
public struct CommandEncoder: Sendable {
    /// Which literal forms the server advertised.
    public var literalPlus: Bool
    public var literalMinus: Bool

    public init(literalPlus: Bool = false, literalMinus: Bool = false) {
        self.literalPlus = literalPlus
        self.literalMinus = literalMinus
    }

    /// Chooses the literal forms from a capability list.
    public init(capabilities: [Capability]) {
        self.literalPlus = capabilities.contains(.literalPlus)
        self.literalMinus = capabilities.contains(.literalMinus)
    }

    /// The bytes that end IDLE (RFC 2177 §3).
    public static let idleDone = ByteBuffer(string: "DONE\r\n")

    /// Encodes `tag SP command CRLF`. Throws ``IMAPCoreError/Code/unencodable`` for strings
    /// that cannot be sent at all (NUL bytes) or a tag that is not a valid tag.
    public func encode(tag: String, _ command: Command) throws -> EncodedCommand {
        guard !tag.isEmpty, tag.utf8.allSatisfy({ SegmentWriter.isSendableAtomChar($0) && $0 != UInt8(ascii: "+") }) else {
            throw IMAPCoreError(.unencodable, "invalid tag")
        }
        var writer = SegmentWriter(encoder: self)
        writer.raw(tag)
        writer.raw(" ")
        try writer.command(command)
        writer.raw("\r\n")
        return writer.finish()
    }
}

/// A command ready to send: one or more segments, split where a synchronising literal needs the
/// server's continuation request before the next segment may be sent.
public struct EncodedCommand: Hashable, Sendable {
    public var segments: [ByteBuffer]

    /// All segments joined (what a server finally receives).
    public var joined: ByteBuffer {
        var all = ByteBuffer()
        for var segment in segments { all.writeBuffer(&segment) }
        return all
    }
}

/// Builds the segments of one command.
struct SegmentWriter {
    let encoder: CommandEncoder
    var segments: [ByteBuffer] = []
    var current = ByteBuffer()

    init(encoder: CommandEncoder) { self.encoder = encoder }

    /// ATOM-CHAR as the client may send it: US-ASCII only (RFC 3501 §9 `CHAR`). The parser is
    /// more lenient with what servers send; 8-bit text must go in a literal.
    static func isSendableAtomChar(_ byte: UInt8) -> Bool { byte < 0x80 && FrameReader.isAtomChar(byte) }

    mutating func raw(_ text: String) { current.writeString(text) }

    mutating func finish() -> EncodedCommand {
        segments.append(current)
        return EncodedCommand(segments: segments)
    }

    /// A literal `{N}` / `{N+}` followed by its bytes.
    mutating func literal(_ bytes: ByteBuffer) {
        let nonSynchronising = encoder.literalPlus || (encoder.literalMinus && bytes.readableBytes <= 4096)
        current.writeString("{\(bytes.readableBytes)\(nonSynchronising ? "+" : "")}\r\n")
        if !nonSynchronising {
            segments.append(current)
            current = ByteBuffer()
        }
        var copy = bytes
        current.writeBuffer(&copy)
    }

    /// A string as a quoted string when possible, else a literal (RFC 3501 §4.3).
    mutating func string(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard !bytes.contains(0) else { throw IMAPCoreError(.unencodable, "string contains NUL") }
        if bytes.count <= 1024, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            current.writeInteger(UInt8(ascii: "\""))
            for byte in bytes {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { current.writeInteger(UInt8(ascii: "\\")) }
                current.writeInteger(byte)
            }
            current.writeInteger(UInt8(ascii: "\""))
        } else {
            literal(ByteBuffer(bytes: bytes))
        }
    }

    /// An astring: a bare atom when every byte is an ASTRING-CHAR, else a string.
    mutating func astring(_ text: String) throws {
        let bytes = Array(text.utf8)
        if !bytes.isEmpty, bytes.count <= 1024, bytes.allSatisfy({ Self.isSendableAtomChar($0) || $0 == UInt8(ascii: "]") }) {
            current.writeBytes(bytes)
        } else {
            try string(text)
        }
    }

    /// A mailbox name: modified UTF-7 (RFC 3501 §5.1.3), INBOX case-insensitive.
    mutating func mailbox(_ name: String) throws {
        guard !name.isEmpty else { throw IMAPCoreError(.unencodable, "empty mailbox name") }
        try astring(name.uppercased() == "INBOX" ? "INBOX" : ModifiedUTF7.encode(name))
    }

    /// A LIST pattern: like a mailbox, but `%` and `*` stay wildcards.
    mutating func listPattern(_ pattern: String) throws {
        let encoded = ModifiedUTF7.encode(pattern)
        let bytes = Array(encoded.utf8)
        if !bytes.isEmpty, bytes.allSatisfy({ FrameReader.isAtomChar($0) || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "]") }) {
            current.writeBytes(bytes)
        } else {
            try string(encoded)
        }
    }

    mutating func flags(_ flags: [Flag]) throws {
        for flag in flags {
            let atom = flag.rawValue.utf8.dropFirst(flag.rawValue.hasPrefix("\\") ? 1 : 0)
            guard !atom.isEmpty, atom.allSatisfy(Self.isSendableAtomChar) else {
                throw IMAPCoreError(.unencodable, "invalid flag \(flag.rawValue)")
            }
        }
        raw("(" + flags.map(\.rawValue).joined(separator: " ") + ")")
    }

    mutating func command(_ command: Command) throws {
        switch command {
        case .capability: raw("CAPABILITY")
        case .noop: raw("NOOP")
        case .logout: raw("LOGOUT")
        case .startTLS: raw("STARTTLS")
        case .idle: raw("IDLE")
        case .expunge: raw("EXPUNGE")
        case .close: raw("CLOSE")
        case .unselect: raw("UNSELECT")
        case let .login(username, password):
            raw("LOGIN ")
            try astring(username)
            raw(" ")
            try astring(password)
        case let .authenticate(mechanism, initial):
            try atoms([mechanism], "SASL mechanism")
            raw("AUTHENTICATE \(mechanism)")
            if let initial {
                raw(" " + (initial.isEmpty ? "=" : Base64.encode(initial)))
            }
        case let .id(fields):
            raw("ID ")
            guard let fields else { raw("NIL"); return }
            raw("(")
            for (index, field) in fields.enumerated() {
                if index > 0 { raw(" ") }
                try string(field.key)
                raw(" ")
                if let value = field.value { try string(value) } else { raw("NIL") }
            }
            raw(")")
        case let .enable(capabilities):
            try atoms(capabilities.map(\.rawValue), "capability")
            raw("ENABLE " + capabilities.map(\.rawValue).joined(separator: " "))
        case let .select(mailbox, condStore), let .examine(mailbox, condStore):
            if case .select = command { raw("SELECT ") } else { raw("EXAMINE ") }
            try self.mailbox(mailbox)
            if condStore { raw(" (CONDSTORE)") }
        case let .create(mailbox):
            raw("CREATE ")
            try self.mailbox(mailbox)
        case let .delete(mailbox):
            raw("DELETE ")
            try self.mailbox(mailbox)
        case let .status(mailbox, items):
            raw("STATUS ")
            try self.mailbox(mailbox)
            try atoms(items, "STATUS item")
            raw(" (" + items.joined(separator: " ") + ")")
        case let .list(reference, pattern):
            raw("LIST ")
            if reference.isEmpty { raw("\"\"") } else { try self.mailbox(reference) }
            raw(" ")
            try listPattern(pattern)
        case let .uidSearch(key, returnOptions):
            raw("UID SEARCH ")
            if let returnOptions {
                try atoms(returnOptions, "RETURN option")
                raw("RETURN (" + returnOptions.joined(separator: " ") + ") ")
            }
            if key.needsUTF8 { raw("CHARSET UTF-8 ") }
            try searchKey(key)
        case let .uidFetch(set, items, changedSince):
            try requireNonEmpty(set)
            raw("UID FETCH \(set) (" + items.map(\.wire).joined(separator: " ") + ")")
            if let changedSince { raw(" (CHANGEDSINCE \(changedSince))") }
        case let .uidStore(set, operation, flags, silent):
            try requireNonEmpty(set)
            raw("UID STORE \(set) \(operation.rawValue)\(silent ? ".SILENT" : "") ")
            try self.flags(flags)
        case let .uidCopy(set, mailbox), let .uidMove(set, mailbox):
            try requireNonEmpty(set)
            if case .uidCopy = command { raw("UID COPY \(set) ") } else { raw("UID MOVE \(set) ") }
            try self.mailbox(mailbox)
        case let .uidExpunge(set):
            try requireNonEmpty(set)
            raw("UID EXPUNGE \(set)")
        case let .append(mailbox, flags, date, message):
            raw("APPEND ")
            try self.mailbox(mailbox)
            if !flags.isEmpty {
                raw(" ")
                try self.flags(flags)
            }
            if let date {
                guard date.isValid else { throw IMAPCoreError(.unencodable, "invalid APPEND date") }
                raw(" \"\(date)\"")
            }
            raw(" ")
            literal(message)
        }
    }

    /// Words sent bare (mechanism names, capabilities, item names) must be ASCII atoms: a CR or
    /// LF there would end the command early and let the rest be read as another command.
    func atoms(_ words: [String], _ what: String) throws {
        for word in words where word.isEmpty || !word.utf8.allSatisfy(SegmentWriter.isSendableAtomChar) {
            throw IMAPCoreError(.unencodable, "invalid \(what)")
        }
    }

    func requireNonEmpty(_ set: UIDSet) throws {
        guard !set.isEmpty else { throw IMAPCoreError(.unencodable, "empty UID set") }
    }

    mutating func searchKey(_ key: SearchKey) throws {
        switch key {
        case .all: raw("ALL")
        case let .uid(set):
            try requireNonEmpty(set)
            raw("UID \(set)")
        case let .since(y, m, d): raw("SINCE \(SearchKey.date(y, m, d))")
        case let .before(y, m, d): raw("BEFORE \(SearchKey.date(y, m, d))")
        case .seen: raw("SEEN")
        case .unseen: raw("UNSEEN")
        case .deleted: raw("DELETED")
        case .undeleted: raw("UNDELETED")
        case let .larger(size): raw("LARGER \(size)")
        case let .header(name, value):
            raw("HEADER ")
            try astring(name)
            raw(" ")
            try string(value)
        case let .subject(value):
            raw("SUBJECT ")
            try string(value)
        case let .from(value):
            raw("FROM ")
            try string(value)
        case let .not(inner):
            raw("NOT ")
            try searchKeyGrouped(inner)
        case let .or(a, b):
            raw("OR ")
            try searchKeyGrouped(a)
            raw(" ")
            try searchKeyGrouped(b)
        case let .and(keys):
            guard !keys.isEmpty else { raw("ALL"); return }
            for (index, inner) in keys.enumerated() {
                if index > 0 { raw(" ") }
                try searchKey(inner)
            }
        }
    }

    /// A key that must read as one search-key: several criteria are parenthesised.
    mutating func searchKeyGrouped(_ key: SearchKey) throws {
        if case let .and(keys) = key, keys.count == 1 {
            // A one-element AND is its element, which may itself be several criteria.
            try searchKeyGrouped(keys[0])
        } else if case let .and(keys) = key, keys.count > 1 {
            raw("(")
            try searchKey(key)
            raw(")")
        } else {
            try searchKey(key)
        }
    }
}
