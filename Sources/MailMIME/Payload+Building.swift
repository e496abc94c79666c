extension Payload {
    /// Builds the payload of a parsed message.
    ///
    /// The text body is the part Python's `email` `get_body(('plain',))` picks, and the HTML
    /// body likewise: the first text part of that subtype, depth first, that is not
    /// `Content-Disposition: attachment`, descending into every multipart except that of a
    /// `multipart/related` only its root (the `start` part, else the first) is considered.
    /// Attachments are the other leaves — without descending into enclosed messages — that are
    /// `attachment`, have a filename, or are neither text/plain nor text/html.
    public init(message: MIMEMessage, options: PayloadOptions = PayloadOptions(), context: Context = Context()) {
        let headers = message.root.headers
        var budget = message.limits.maxDecodedBytes
        var truncated = message.truncated
        var warnings = message.warnings

        func addresses(_ name: String) -> [MailAddress] {
            var list: [MailAddress] = []
            for index in headers.fields.indices where headers.fields[index].hasName(name) {
                list += MailAddress.parseList(headers.fields[index].value)
            }
            return list
        }
        func decodedText(_ part: MIMEPart) -> String? {
            let size = message.rawBody(of: part).count
            guard size <= budget else {
                truncated = true
                warnings.append("a body part exceeded the decoding limit of \(message.limits.maxDecodedBytes) bytes")
                return nil
            }
            budget -= size
            return message.text(of: part)
        }

        self.context = context
        self.size = message.bytes.count
        self.messageId = headers["message-id"].map { $0.trimmingCharacters(in: " \t") }.flatMap { $0.isEmpty ? nil : $0 }
        self.inReplyTo = headers["in-reply-to"].map { $0.trimmingCharacters(in: " \t") }.flatMap { $0.isEmpty ? nil : $0 }
        self.references = Self.messageIDs(headers.all("references").joined(separator: " "))
        self.subject = headers["subject"].map(EncodedWords.decode)
        self.dateRaw = headers["date"]
        self.date = dateRaw.flatMap(MessageDate.init(parsing:))?.rfc3339
        self.from = addresses("from")
        self.sender = addresses("sender")
        self.replyTo = addresses("reply-to")
        self.to = addresses("to")
        self.cc = addresses("cc")
        self.bcc = addresses("bcc")

        let textPart = Self.findBody(message.root, subtype: "plain")
        let htmlPart = Self.findBody(message.root, subtype: "html")
        (self.text, self.textTruncated) = Self.capped(textPart.flatMap(decodedText), options.maxBodyBytes)
        (self.html, self.htmlTruncated) = Self.capped(htmlPart.flatMap(decodedText), options.maxBodyBytes)

        var attachments: [Attachment] = []
        Self.collectAttachments(message.root,
                                excluding: [textPart?.body, htmlPart?.body].compactMap { $0 }) { part in
            var attachment = Attachment(
                filename: part.filename, contentType: part.contentType.mimeType, size: message.decodedSize(of: part),
                contentId: part.headers["content-id"].map { $0.trimmingCharacters(in: " \t<>") }.flatMap { $0.isEmpty ? nil : $0 },
                disposition: part.disposition?.kind, content: nil)
            if options.includeAttachmentContent {
                if attachment.size <= options.maxAttachmentContentBytes, attachment.size <= budget {
                    budget -= attachment.size
                    attachment.content = Base64Encoding.encode(message.decodedBody(of: part))
                } else {
                    truncated = true
                    warnings.append("content of \(attachment.filename ?? attachment.contentType) (\(attachment.size) bytes) exceeds the cap and is left out")
                }
            }
            attachments.append(attachment)
        }
        self.attachments = attachments
        self.headers = options.includeHeaders
            ? headers.fields.map { HeaderField(name: $0.name, value: EncodedWords.decode($0.value)) } : nil
        self.raw = options.includeRaw ? Base64Encoding.encode(message.bytes) : nil
        self.truncated = truncated
        self.warnings = warnings
    }

    /// Python's `_find_body`: depth first, skipping attachments, only the root of a related.
    static func findBody(_ part: MIMEPart, subtype: String) -> MIMEPart? {
        if part.disposition?.kind == "attachment" { return nil }
        let type = part.contentType
        if type.type == "text" { return type.subtype == subtype ? part : nil }
        guard type.isMultipart, !part.children.isEmpty else { return nil }
        if type.subtype != "related" {
            for child in part.children {
                if let found = findBody(child, subtype: subtype) { return found }
            }
            return nil
        }
        var root = part.children[0]
        if let start = type.parameters["start"],
           let named = part.children.first(where: { $0.headers["content-id"]?.trimmingCharacters(in: " \t") == start }) {
            root = named
        }
        return findBody(root, subtype: subtype)
    }

    static func collectAttachments(_ part: MIMEPart, excluding: [Range<Int>], _ add: (MIMEPart) -> Void) {
        if part.contentType.isMultipart, !part.children.isEmpty {
            for child in part.children { collectAttachments(child, excluding: excluding, add) }
            return
        }
        guard !excluding.contains(part.body) else { return }
        let type = part.contentType
        let isBodyType = type.type == "text" && (type.subtype == "plain" || type.subtype == "html")
        if part.disposition?.kind == "attachment" || part.filename != nil || !isBodyType {
            add(part)
        }
    }

    /// Cuts `text` to at most `maxBytes` UTF-8 bytes at a character boundary.
    static func capped(_ text: String?, _ maxBytes: Int) -> (String?, Bool) {
        guard let text, text.utf8.count > maxBytes else { return (text, false) }
        var result = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            let length = UTF8.width(scalar)
            if bytes + length > maxBytes { break }
            bytes += length
            result.append(scalar)
        }
        return (String(result), true)
    }

    /// The `<id>` tokens of a References or In-Reply-To value.
    static func messageIDs(_ value: String) -> [String] {
        var ids: [String] = []
        var current: String.UnicodeScalarView?
        for scalar in value.unicodeScalars {
            if scalar == "<" { current = String.UnicodeScalarView(); current?.append(scalar); continue }
            guard current != nil else { continue }
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" { continue }
            current?.append(scalar)
            if scalar == ">" {
                ids.append(String(current!))
                current = nil
            }
        }
        return ids
    }
}

/// Base64 encoding (RFC 4648 §4) for attachment contents and the raw message.
enum Base64Encoding {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(alphabet[Int(value >> 6 & 63)])
            output.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }
}
