public import Foundation

extension PostAction {
    /// Which list of a flow's post-actions a job carries.
    public enum Outcome: String, Hashable, Sendable {
        case success, failure
    }

    /// A post-action job's payload: the list fixed when the job was queued, in the
    /// configuration's own notation (`["markSeen", {"moveTo": "Done"}]`), so a later reload
    /// cannot change what an already decided outcome does.
    public static func encode(_ actions: [PostAction], outcome: Outcome) -> Data {
        let list: [Any] = actions.map { action -> Any in
            switch action {
            case .markSeen: return "markSeen"
            case .delete: return "delete"
            case let .addFlags(flags): return ["addFlags": flags]
            case let .removeFlags(flags): return ["removeFlags": flags]
            case let .copyTo(mailbox): return ["copyTo": mailbox]
            case let .moveTo(mailbox): return ["moveTo": mailbox]
            }
        }
        let object: [String: Any] = ["outcome": outcome.rawValue, "actions": list]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// The list and outcome of a post-action job; nil when the payload is not one.
    public static func decode(_ data: Data) -> (outcome: Outcome, actions: [PostAction])? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let outcome = (object["outcome"] as? String).flatMap(Outcome.init(rawValue:)),
              let list = object["actions"] as? [Any] else { return nil }
        var actions: [PostAction] = []
        for item in list {
            if let name = item as? String {
                switch name {
                case "markSeen": actions.append(.markSeen)
                case "delete": actions.append(.delete)
                default: return nil
                }
            } else if let entry = item as? [String: Any], entry.count == 1, let (key, value) = entry.first {
                switch (key, value) {
                case let ("addFlags", flags as [String]): actions.append(.addFlags(flags))
                case let ("removeFlags", flags as [String]): actions.append(.removeFlags(flags))
                case let ("copyTo", mailbox as String): actions.append(.copyTo(mailbox))
                case let ("moveTo", mailbox as String): actions.append(.moveTo(mailbox))
                default: return nil
                }
            } else {
                return nil
            }
        }
        return (outcome, actions)
    }
}
