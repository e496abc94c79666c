extension Payload {
    /// The payload as JSON (RFC 8259), keys in schema order. `pretty` indents by two spaces for
    /// people; webhooks get the compact form.
    public func json(pretty: Bool = false) -> String {
        String(decoding: jsonBytes(pretty: pretty), as: UTF8.self)
    }

    /// ``json(pretty:)`` as its UTF-8 bytes, for callers that store or send bytes: no string is
    /// built and validated on the way (the writer only ever writes valid UTF-8).
    public func jsonBytes(pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        writer.object {
            $0.field("schemaVersion") { $0.number(Self.schemaVersion) }
            $0.field("profile") { $0.string(context.profile) }
            $0.field("flow") { $0.string(context.flow) }
            $0.field("mailbox") { $0.string(context.mailbox) }
            $0.field("uidValidity") { $0.number(context.uidValidity.map(Int.init)) }
            $0.field("uid") { $0.number(context.uid.map(Int.init)) }
            $0.field("internalDate") { $0.string(context.internalDate) }
            $0.field("flags") { writer in writer.array(context.flags) { $0.string($1) } }
            $0.field("size") { $0.number(size) }
            $0.field("messageId") { $0.string(messageId) }
            $0.field("inReplyTo") { $0.string(inReplyTo) }
            $0.field("references") { writer in writer.array(references) { $0.string($1) } }
            $0.field("subject") { $0.string(subject) }
            $0.field("date") { $0.string(date) }
            $0.field("dateRaw") { $0.string(dateRaw) }
            for (key, list) in [("from", from), ("sender", sender), ("replyTo", replyTo), ("to", to), ("cc", cc), ("bcc", bcc)] {
                $0.field(key) { writer in
                    writer.array(list) { writer, address in
                        writer.object {
                            $0.field("name") { $0.string(address.name) }
                            $0.field("address") { $0.string(address.address) }
                        }
                    }
                }
            }
            $0.field("text") { $0.string(text) }
            $0.field("textTruncated") { $0.bool(textTruncated) }
            $0.field("html") { $0.string(html) }
            $0.field("htmlTruncated") { $0.bool(htmlTruncated) }
            $0.field("attachments") { writer in
                writer.array(attachments) { writer, attachment in
                    writer.object {
                        $0.field("filename") { $0.string(attachment.filename) }
                        $0.field("contentType") { $0.string(attachment.contentType) }
                        $0.field("size") { $0.number(attachment.size) }
                        $0.field("contentId") { $0.string(attachment.contentId) }
                        $0.field("disposition") { $0.string(attachment.disposition) }
                        $0.field("content") { $0.string(attachment.content) }
                    }
                }
            }
            if let headers {
                $0.field("headers") { writer in
                    writer.array(headers) { writer, header in
                        writer.object {
                            $0.field("name") { $0.string(header.name) }
                            $0.field("value") { $0.string(header.value) }
                        }
                    }
                }
            }
            if let raw { $0.field("raw") { $0.string(raw) } }
            $0.field("truncated") { $0.bool(truncated) }
            $0.field("warnings") { writer in writer.array(warnings) { $0.string($1) } }
        }
        return writer.bytes
    }
}

/// A small streaming JSON writer: strings escaped per RFC 8259 §7 (quote, backslash and
/// control characters; everything else as UTF-8). It writes UTF-8 bytes and copies each run of
/// characters that need no escape in one go.
struct JSONWriter {
    let pretty: Bool
    var bytes: [UInt8] = []
    var depth = 0
    var needsComma = false

    init(pretty: Bool) { self.pretty = pretty }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func newline() {
        guard pretty else { return }
        bytes.append(0x0A)
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        depth += 1
        needsComma = false
        body(&self)
        depth -= 1
        if needsComma { newline() }
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<S: Sequence>(_ items: S, _ element: (inout JSONWriter, S.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        depth += 1
        needsComma = false
        var any = false
        for item in items {
            if needsComma { bytes.append(UInt8(ascii: ",")) }
            newline()
            element(&self, item)
            needsComma = true
            any = true
        }
        depth -= 1
        if any { newline() }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func field(_ key: String, _ value: (inout JSONWriter) -> Void) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        newline()
        string(key)
        if pretty { append(": ") } else { bytes.append(UInt8(ascii: ":")) }
        needsComma = false
        value(&self)
        needsComma = true
    }

    /// Escapes `"`, `\\`, `\n`, `\r`, `\t` by name, the other C0 controls and DEL as `\u00xx`
    /// (lower-case hex), U+2028 and U+2029 as `\u2028`, `\u2029`; everything else is copied as
    /// UTF-8.
    mutating func string(_ value: String?) {
        guard var value else { append("null"); return }
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8 { utf8 in
            bytes.reserveCapacity(bytes.count + utf8.count + 1)
            var runStart = 0
            var index = 0
            while index < utf8.count {
                let byte = utf8[index]
                let escapeLength: Int
                if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F {
                    escapeLength = 1
                } else if byte == 0xE2, index + 2 < utf8.count, utf8[index + 1] == 0x80,
                          utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9 {
                    escapeLength = 3  // U+2028, U+2029: valid JSON, but not valid JavaScript
                } else {
                    index += 1
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                switch byte {
                case 0x22: append("\\\"")
                case 0x5C: append("\\\\")
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                case 0xE2: append(utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029")
                default:
                    append("\\u00")
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0F)])
                }
                index += escapeLength
                runStart = index
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func number(_ value: Int?) {
        guard let value else { append("null"); return }
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        if value { append("true") } else { append("false") }
    }
}
