public import IMAPClient

extension IMAPSession {
    /// Creates a mailbox no other test uses (`DovecotEnvironment.uniqueMailbox(prefix)`) and
    /// returns its name. Dovecot has answered the CREATE of a fresh UUID name with "Mailbox
    /// already exists" while other tests' sessions were busy (CI, twice on 2026-11-22): another
    /// new name then succeeds, so up to three are tried.
    public func createFreshMailbox(_ prefix: String) async throws -> String {
        var mailbox = DovecotEnvironment.uniqueMailbox(prefix)
        for attempt in 1... {
            do {
                try await create(mailbox)
                return mailbox
            } catch where attempt < 3 && "\(error)".contains("already exists") {
                mailbox = DovecotEnvironment.uniqueMailbox(prefix)
            }
        }
        return mailbox
    }
}
