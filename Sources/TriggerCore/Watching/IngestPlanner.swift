import Foundation
public import IMAPClient
import IMAPCore
public import MailMIME

/// Turns a fetched message into the outbox jobs of the flows it fires (DESIGN.md §5, ingest).
/// Pure: no I/O, so `dry-run` shows exactly what `run` would queue.
public struct IngestPlanner: Sendable {
    public var profile: Profile
    public var mailbox: String
    /// Cap on the text and on the HTML body in payloads.
    public var maxBodyBytes: Int

    public init(profile: Profile, mailbox: String, maxBodyBytes: Int = 1024 * 1024) {
        self.profile = profile
        self.mailbox = mailbox
        self.maxBodyBytes = maxBodyBytes
    }

    /// What ingesting one message means.
    public struct Plan: Sendable {
        public var message: StateStore.IngestedMessage
        /// The names of the flows that fire, in order.
        public var flows: [String]
        /// The payload (without a flow name) as the flows receive it.
        public var payload: Payload
        /// Regular expressions that ran out of time on this message (``MatchBudget``).
        public var matchNotes: [String] = []
    }

    public func plan(_ fetched: FetchedMessage, uidValidity: UInt32) -> Plan {
        let bytes = Array(fetched.body.readableBytesView)
        // A message above maxMessageSize was fetched partially: only its header is trustworthy,
        // so the payload holds the header alone and says so.
        let message = MIMEMessage(bytes: fetched.truncated ? Self.headerSection(of: bytes) : bytes)
        let context = Payload.Context(profile: profile.name, mailbox: mailbox, uidValidity: uidValidity, uid: fetched.uid,
                                      internalDate: fetched.internalDate.map(Self.rfc3339), flags: fetched.flags.map(\.rawValue))
        var payload = Payload(message: message, options: options(raw: false), context: context)
        if fetched.truncated { Self.markHeaderOnly(&payload, size: fetched.size, limit: profile.maxMessageSize) }
        payload.size = Int(clamping: fetched.size)

        var budget = MatchBudget()
        let fired = Flow.firing(profile.flows, for: MessageFacts(message: message, payload: payload), budget: &budget)
        // Receivers of the flows that did fire learn that another one was cut short.
        payload.warnings += budget.notes
        var jobs: [StateStore.NewJob] = []
        for flow in fired {
            let key = DeliveryKey.message(profile: profile.name, mailbox: mailbox, uidValidity: uidValidity,
                                          uid: fetched.uid, flow: flow.name)
            var flowPayload = payload
            flowPayload.context.flow = flow.name
            let json = Data(flowPayload.jsonBytes())
            for (index, action) in flow.actions.enumerated() {
                var body = json
                if case let .exec(exec) = action, exec.stdin == .raw {
                    var withRaw = Payload(message: message, options: options(raw: true), context: flowPayload.context)
                    if fetched.truncated { Self.markHeaderOnly(&withRaw, size: fetched.size, limit: profile.maxMessageSize) }
                    withRaw.size = payload.size
                    body = Data(withRaw.jsonBytes())
                }
                jobs.append(StateStore.NewJob(flow: flow.name, actionIndex: index, kind: .action,
                                              idempotencyKey: DeliveryKey.action(key, index: index), payload: body))
            }
            // A flow without actions has succeeded at once: its success post-actions are due now.
            if flow.actions.isEmpty, !flow.onSuccess.isEmpty {
                jobs.append(StateStore.NewJob(flow: flow.name, actionIndex: 0, kind: .post, idempotencyKey: DeliveryKey.post(key, outcome: .success),
                                              payload: PostAction.encode(flow.onSuccess, outcome: .success)))
            }
        }
        return Plan(message: StateStore.IngestedMessage(uid: fetched.uid, messageID: payload.messageId, jobs: jobs),
                    flows: fired.map(\.name), payload: payload, matchNotes: budget.notes)
    }

    private func options(raw: Bool) -> PayloadOptions {
        PayloadOptions(includeRaw: raw, maxBodyBytes: maxBodyBytes)
    }

    static func markHeaderOnly(_ payload: inout Payload, size: UInt64, limit: Int) {
        payload.truncated = true
        (payload.text, payload.html) = (nil, nil)
        payload.warnings.append("the message (\(size) bytes) exceeds maxMessageSize (\(limit) bytes): the payload holds its header only")
    }

    /// The header section and its terminating blank line (RFC 5322 §2.1), or everything when
    /// the partial fetch ended inside the header.
    static func headerSection(of bytes: [UInt8]) -> [UInt8] {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return Array(bytes[...(index + 1)]) }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return Array(bytes[...(index + 2)]) }
            }
            index += 1
        }
        return bytes
    }

    /// INTERNALDATE (RFC 3501 §2.3.3) as RFC 3339.
    static func rfc3339(_ date: InternalDate) -> String {
        MessageDate(year: date.year, month: date.month, day: date.day, hour: date.hour, minute: date.minute,
                    second: date.second, offsetMinutes: date.zoneMinutes).rfc3339
    }
}
