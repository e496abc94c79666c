/// One node of a message's MIME tree (RFC 2045, RFC 2046). Bodies are ranges into the message's
/// bytes: nothing is copied or decoded until asked for.
public struct MIMEPart: Hashable, Sendable {
    public var headers: HeaderSection
    /// The declared type, or the default (`text/plain`, or `message/rfc822` in a digest).
    public var contentType: ContentType
    public var disposition: ContentDisposition?
    /// `7bit`, `8bit`, `binary`, `base64`, `quoted-printable`, or what the header said, lower-cased.
    public var transferEncoding: String
    /// Where the (still transfer-encoded) body lies in the message bytes.
    public var body: Range<Int>
    /// The parts of a multipart, or the one enclosed message of a `message/rfc822` part.
    public var children: [MIMEPart]

    /// The filename: `filename*`/`filename` of Content-Disposition, else `name` of Content-Type
    /// (RFC 2183 §2.3, RFC 2231, and the older RFC 1341 habit).
    public var filename: String? {
        let name = disposition?.parameters["filename"] ?? contentType.parameters["name"]
        guard let name, !name.isEmpty else { return nil }
        return name
    }

    /// Whether this part is the enclosure of another message (RFC 2046 §5.2.1).
    public var isEnclosedMessage: Bool {
        contentType.type == "message" && (contentType.subtype == "rfc822" || contentType.subtype == "global")
    }
}
