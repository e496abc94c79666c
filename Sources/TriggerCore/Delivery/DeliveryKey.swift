/// The names a delivery goes by (DESIGN.md §5).
public enum DeliveryKey {
    /// `<profile>/<mailbox>/<uidvalidity>/<uid>/<flow>`: the `Idempotency-Key` header a receiver
    /// dedupes on, and the `MAILTRIGGER_IDEMPOTENCY_KEY` of an exec hook. Every action of one
    /// flow shares it (they normally reach different receivers).
    public static func message(profile: String, mailbox: String, uidValidity: UInt32, uid: UInt32, flow: String) -> String {
        "\(profile)/\(mailbox)/\(uidValidity)/\(uid)/\(flow)"
    }

    /// The outbox's unique key of one action job: the message key and the action's index, so
    /// the same message, flow and action are never queued twice.
    public static func action(_ messageKey: String, index: Int) -> String {
        "\(messageKey)#\(index)"
    }

    /// The outbox key of a flow's post-action job for one outcome: a dead letter replayed to
    /// success later still gets its success post-actions.
    public static func post(_ messageKey: String, outcome: PostAction.Outcome) -> String {
        "\(messageKey)#\(outcome.rawValue)"
    }
}

extension StateStore.Job {
    /// The `Idempotency-Key` of this job's message and flow.
    public var messageKey: String {
        DeliveryKey.message(profile: profile, mailbox: mailbox, uidValidity: uidValidity, uid: uid, flow: flow)
    }
}
