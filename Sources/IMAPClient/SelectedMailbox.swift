public import IMAPCore
public import NIOCore

/// What SELECT or EXAMINE reported (RFC 3501 §6.3.1).
public struct SelectedMailbox: Hashable, Sendable {
    public var name: String
    /// The UIDVALIDITY of the mailbox: UIDs are only meaningful together with it.
    public var uidValidity: UInt32
    /// The next UID the server will assign, if reported.
    public var uidNext: UInt32?
    public var exists: UInt32
    public var recent: UInt32
    public var flags: [Flag]
    public var permanentFlags: [Flag]
    public var readOnly: Bool
    public var highestModSeq: UInt64?
    public var firstUnseen: UInt32?
}

/// One message as returned by ``IMAPSession/fetchMessages(uids:maxBodySize:batchSize:pipelineDepth:_:)``.
public struct FetchedMessage: Hashable, Sendable {
    public var uid: UInt32
    public var flags: [Flag]
    public var internalDate: InternalDate?
    /// RFC822.SIZE: the full size on the server.
    public var size: UInt64
    /// The raw RFC 822 bytes, at most the requested cap.
    public var body: ByteBuffer
    /// Whether `body` holds only the first `maxBodySize` bytes of a larger message.
    public var truncated: Bool

    public init(uid: UInt32, flags: [Flag], internalDate: InternalDate?, size: UInt64, body: ByteBuffer, truncated: Bool) {
        self.uid = uid
        self.flags = flags
        self.internalDate = internalDate
        self.size = size
        self.body = body
        self.truncated = truncated
    }
}

