public import Foundation

extension StateStore.Job {
    /// A job built in memory rather than read from the outbox: for tests, and for tools that run
    /// an action once (`mailtrigger` itself always reads jobs from the store).
    public init(id: Int64 = 0, idempotencyKey: String? = nil, profile: String, mailbox: String, uidValidity: UInt32,
                uid: UInt32, flow: String, actionIndex: Int = 0, kind: StateStore.NewJob.Kind = .action, payload: Data,
                status: String = "pending", attempts: Int = 0, nextAttemptAt: Date = Date(), createdAt: Date = Date(),
                lastError: String? = nil) {
        self.id = id
        let messageKey = DeliveryKey.message(profile: profile, mailbox: mailbox, uidValidity: uidValidity, uid: uid, flow: flow)
        self.idempotencyKey = idempotencyKey ?? DeliveryKey.action(messageKey, index: actionIndex)
        self.profile = profile
        self.mailbox = mailbox
        self.uidValidity = uidValidity
        self.uid = uid
        self.flow = flow
        self.actionIndex = actionIndex
        self.kind = kind
        self.payload = payload
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.lastError = lastError
    }
}
