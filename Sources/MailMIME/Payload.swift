/// What a flow's actions receive for one message (schema documented in `docs/payload.md` and
/// `docs/payload.schema.json`). Built by ``Payload/init(message:options:context:)``.
public struct Payload: Hashable, Sendable {
    /// Bumped when a field changes meaning or disappears; adding fields does not bump it.
    public static let schemaVersion = 1

    /// Where the message came from; all nil in `mailtrigger inspect`.
    public struct Context: Hashable, Sendable {
        public var profile: String?
        public var flow: String?
        public var mailbox: String?
        public var uidValidity: UInt32?
        public var uid: UInt32?
        /// RFC 3339.
        public var internalDate: String?
        public var flags: [String]

        public init(profile: String? = nil, flow: String? = nil, mailbox: String? = nil, uidValidity: UInt32? = nil,
                    uid: UInt32? = nil, internalDate: String? = nil, flags: [String] = []) {
            self.profile = profile
            self.flow = flow
            self.mailbox = mailbox
            self.uidValidity = uidValidity
            self.uid = uid
            self.internalDate = internalDate
            self.flags = flags
        }
    }

    public struct Attachment: Hashable, Sendable {
        public var filename: String?
        /// `type/subtype`, lower-case.
        public var contentType: String
        /// Decoded size in bytes.
        public var size: Int
        /// Content-ID without its angle brackets (as `cid:` URLs write it).
        public var contentId: String?
        /// `attachment`, `inline`, or nil when the part has no Content-Disposition.
        public var disposition: String?
        /// Base64 of the decoded content, only when asked for and within the cap.
        public var content: String?
    }

    public var context: Context
    /// Size of the raw message in bytes.
    public var size: Int
    public var messageId: String?
    public var inReplyTo: String?
    public var references: [String]
    public var subject: String?
    /// RFC 3339, or nil when the Date header is missing or unparseable.
    public var date: String?
    public var dateRaw: String?
    public var from: [MailAddress]
    public var sender: [MailAddress]
    public var replyTo: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var bcc: [MailAddress]
    public var text: String?
    public var textTruncated: Bool
    public var html: String?
    public var htmlTruncated: Bool
    public var attachments: [Attachment]
    /// Every header field, decoded, in order; only when asked for.
    public var headers: [HeaderField]?
    /// Base64 of the raw message; only when asked for.
    public var raw: String?
    /// Whether a parser limit cut something short.
    public var truncated: Bool
    public var warnings: [String]
}

/// What to include and how much.
public struct PayloadOptions: Hashable, Sendable {
    public var includeHeaders: Bool
    public var includeRaw: Bool
    public var includeAttachmentContent: Bool
    /// Cap on the text and on the HTML body, each, in UTF-8 bytes. Default 1 MiB.
    public var maxBodyBytes: Int
    /// Largest attachment whose content is included. Default 10 MiB.
    public var maxAttachmentContentBytes: Int

    public init(includeHeaders: Bool = false, includeRaw: Bool = false, includeAttachmentContent: Bool = false,
                maxBodyBytes: Int = 1024 * 1024, maxAttachmentContentBytes: Int = 10 * 1024 * 1024) {
        self.includeHeaders = includeHeaders
        self.includeRaw = includeRaw
        self.includeAttachmentContent = includeAttachmentContent
        self.maxBodyBytes = maxBodyBytes
        self.maxAttachmentContentBytes = maxAttachmentContentBytes
    }
}
