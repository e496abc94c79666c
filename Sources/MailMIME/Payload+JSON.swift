extension Payload {
    /// The payload as JSON (RFC 8259), keys in schema order, UTF-8. `pretty` indents by two
    /// spaces for people; webhooks get the compact form.
    public func json(pretty: Bool = false) -> String {
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
        return writer.output
    }
}

/// A small streaming JSON writer: strings escaped per RFC 8259 §7 (quote, backslash and
/// control characters; everything else as UTF-8).
struct JSONWriter {
    let pretty: Bool
    var output = ""
    var depth = 0
    var needsComma = false

    init(pretty: Bool) { self.pretty = pretty }

    mutating func newline() {
        guard pretty else { return }
        output.append("\n")
        output.append(String(repeating: "  ", count: depth))
    }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        output.append("{")
        depth += 1
        needsComma = false
        body(&self)
        depth -= 1
        if needsComma { newline() }
        output.append("}")
        needsComma = true
    }

    mutating func array<S: Sequence>(_ items: S, _ element: (inout JSONWriter, S.Element) -> Void) {
        output.append("[")
        depth += 1
        needsComma = false
        var any = false
        for item in items {
            if needsComma { output.append(",") }
            newline()
            element(&self, item)
            needsComma = true
            any = true
        }
        depth -= 1
        if any { newline() }
        output.append("]")
        needsComma = true
    }

    mutating func field(_ key: String, _ value: (inout JSONWriter) -> Void) {
        if needsComma { output.append(",") }
        newline()
        string(key)
        output.append(pretty ? ": " : ":")
        needsComma = false
        value(&self)
        needsComma = true
    }

    mutating func string(_ value: String?) {
        guard let value else { output.append("null"); return }
        output.append("\"")
        var run = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": run.appendEach("\\\"".unicodeScalars)
            case "\\": run.appendEach("\\\\".unicodeScalars)
            case "\n": run.appendEach("\\n".unicodeScalars)
            case "\r": run.appendEach("\\r".unicodeScalars)
            case "\t": run.appendEach("\\t".unicodeScalars)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    run.appendEach(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
                } else {
                    run.append(scalar)
                }
            }
        }
        output.append(String(run))
        output.append("\"")
    }

    mutating func number(_ value: Int?) {
        output.append(value.map(String.init) ?? "null")
    }

    mutating func bool(_ value: Bool) {
        output.append(value ? "true" : "false")
    }
}
