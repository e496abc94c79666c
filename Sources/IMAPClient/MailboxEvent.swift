public import IMAPCore

/// An unsolicited change the server reported about the selected mailbox or the session
/// (RFC 3501 §7.3–7.4, §5.2). Reported whether or not the session is in IDLE: an EXISTS that
/// arrives inside another command's reply still means new mail.
public enum MailboxEvent: Hashable, Sendable {
    /// The mailbox now holds this many messages.
    case exists(UInt32)
    case recent(UInt32)
    /// The message with this sequence number was removed.
    case expunge(UInt32)
    /// Flags or other data of a message changed.
    case fetch(FetchResponse)
    /// The mailbox's defined flags changed.
    case flags([Flag])
    /// `* OK [ALERT]` or `* NO [ALERT]`: text the server wants a person to read.
    case alert(String)
    /// The server is closing the connection.
    case bye(String)
}
