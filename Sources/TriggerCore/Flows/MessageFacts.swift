public import MailMIME

/// What match rules look at for one message: taken from the parsed message and its payload.
public struct MessageFacts: Sendable {
    public var subject: String
    public var from: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var hasAttachment: Bool
    /// Raw message size in bytes.
    public var size: Int
    /// The header fields in order, values as they are on the wire unless `decoded`: most flows
    /// have no header rule, so a burst should not decode every field of every message.
    private var fields: [HeaderField]
    private var decoded: Bool

    /// Facts given directly; `headers` values are already decoded.
    public init(subject: String, from: [MailAddress], to: [MailAddress], cc: [MailAddress], headers: [HeaderField],
                hasAttachment: Bool, size: Int) {
        self.subject = subject
        self.from = from
        self.to = to
        self.cc = cc
        self.hasAttachment = hasAttachment
        self.size = size
        fields = headers
        decoded = true
    }

    /// The facts of a parsed message and the payload built from it.
    public init(message: MIMEMessage, payload: Payload) {
        self.init(subject: payload.subject ?? "", from: payload.from, to: payload.to, cc: payload.cc,
                  headers: message.root.headers.fields, hasAttachment: !payload.attachments.isEmpty, size: payload.size)
        decoded = false
    }

    /// Every header field, values decoded (RFC 2047), in order.
    public var headers: [HeaderField] {
        decoded ? fields : fields.map { HeaderField(name: $0.name, value: EncodedWords.decode($0.value)) }
    }

    /// The decoded values (RFC 2047) of the fields named `name` (case-insensitive, RFC 5322 §1.2.2).
    public func values(of name: String) -> some Sequence<String> {
        fields.lazy.filter { $0.hasName(name) }.map { decoded ? $0.value : EncodedWords.decode($0.value) }
    }
}
