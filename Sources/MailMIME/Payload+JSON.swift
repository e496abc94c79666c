extension Payload {
    /// The payload as JSON (RFC 8259), keys in schema order. `pretty` indents by two spaces for
    /// people; webhooks get the compact form.
    public func json(pretty: Bool = false) -> String {
        String(decoding: jsonBytes(pretty: pretty), as: UTF8.self)
    }

    /// ``json(pretty:)`` as its UTF-8 bytes, for callers that store or send bytes: no string is
    /// built and validated on the way (the writer only ever writes valid UTF-8).
    public func jsonBytes(pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, capacity: estimatedJSONSize)
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
        return writer.bytes.array
    }

    /// A guess at the JSON's size, from its long strings, so that the writer's buffer rarely
    /// has to grow (each growth copies everything written so far).
    var estimatedJSONSize: Int {
        var size = 1024 + (text?.utf8.count ?? 0) + (html?.utf8.count ?? 0) + (raw?.utf8.count ?? 0)
        for attachment in attachments { size += 160 + (attachment.content?.utf8.count ?? 0) }
        return size
    }
}
