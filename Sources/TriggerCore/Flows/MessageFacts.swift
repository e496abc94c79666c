public import MailMIME

/// What match rules look at for one message: taken from the parsed message and its payload.
public struct MessageFacts: Sendable {
    public var subject: String
    public var from: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    /// Every header field, values decoded (RFC 2047), in order.
    public var headers: [HeaderField]
    public var hasAttachment: Bool
    /// Raw message size in bytes.
    public var size: Int

    public init(subject: String, from: [MailAddress], to: [MailAddress], cc: [MailAddress], headers: [HeaderField],
                hasAttachment: Bool, size: Int) {
        self.subject = subject
        self.from = from
        self.to = to
        self.cc = cc
        self.headers = headers
        self.hasAttachment = hasAttachment
        self.size = size
    }

    /// The facts of a parsed message and the payload built from it.
    public init(message: MIMEMessage, payload: Payload) {
        self.init(subject: payload.subject ?? "", from: payload.from, to: payload.to, cc: payload.cc,
                  headers: message.root.headers.fields.map { HeaderField(name: $0.name, value: EncodedWords.decode($0.value)) },
                  hasAttachment: !payload.attachments.isEmpty, size: payload.size)
    }
}
