public import IMAPCore

extension IMAPSession {
    /// LIST (RFC 3501 §6.3.8). Names come back both as sent (`wireName`) and decoded.
    public func list(reference: String = "", pattern: String = "*") async throws -> [MailboxListing] {
        let result = try await run(.list(reference: reference, pattern: pattern))
        return result.untagged.compactMap { if case let .list(listing) = $0 { listing } else { nil } }
    }

    /// STATUS (RFC 3501 §6.3.10) without selecting the mailbox.
    public func status(_ mailbox: String,
                       items: [String] = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"]) async throws -> MailboxStatus {
        let result = try await run(.status(mailbox: mailbox, items: items))
        for case let .status(status) in result.untagged { return status }
        throw IMAPClientError(.protocolViolation, "STATUS returned no data for \(mailbox)")
    }

    /// SELECT (read-write) or EXAMINE (read-only) (RFC 3501 §6.3.1–2). Throws when the server
    /// sends no UIDVALIDITY: without it no UID can be trusted.
    public func select(_ mailbox: String, readOnly: Bool = false, condStore: Bool = false) async throws -> SelectedMailbox {
        let command: Command = readOnly ? .examine(mailbox: mailbox, condStore: condStore)
                                        : .select(mailbox: mailbox, condStore: condStore)
        let result = try await run(command)
        var selected = SelectedMailbox(name: mailbox, uidValidity: 0, uidNext: nil, exists: 0, recent: 0, flags: [],
                                       permanentFlags: [], readOnly: readOnly, highestModSeq: nil, firstUnseen: nil)
        var sawValidity = false
        for response in result.untagged {
            switch response {
            case let .exists(count): selected.exists = count
            case let .recent(count): selected.recent = count
            case let .flags(flags): selected.flags = flags
            case let .condition(status):
                switch status.code {
                case let .uidValidity(value)?: selected.uidValidity = value; sawValidity = true
                case let .uidNext(value)?: selected.uidNext = value
                case let .permanentFlags(flags)?: selected.permanentFlags = flags
                case let .highestModSeq(value)?: selected.highestModSeq = value
                case let .unseen(value)?: selected.firstUnseen = value
                default: break
                }
            default: break
            }
        }
        switch result.status.code {
        case .readOnly?: selected.readOnly = true
        case .readWrite?: selected.readOnly = false
        default: break
        }
        guard sawValidity else {
            throw IMAPClientError(.protocolViolation, "SELECT \(mailbox) returned no UIDVALIDITY")
        }
        return selected
    }

    /// CREATE (RFC 3501 §6.3.3).
    public func create(_ mailbox: String) async throws {
        try await run(.create(mailbox: mailbox))
    }

    /// DELETE (RFC 3501 §6.3.4).
    public func delete(_ mailbox: String) async throws {
        try await run(.delete(mailbox: mailbox))
    }
}
