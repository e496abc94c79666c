import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ConfigurationReader {
    /// An exec action's `user` and `group` (a name, or a number), resolved through the
    /// system's user database now, so a typo is an error of the file rather than a failure of
    /// every delivery. With `user` alone the hook gets the user's primary group and its
    /// supplementary groups (getgrouplist(3)); with `group`, that group only. Switching needs a
    /// daemon running as root: otherwise each run fails, permanently, saying so.
    func runAs(user userNode: ConfigNode?, group groupNode: ConfigNode?) -> ExecAction.RunAs? {
        guard userNode != nil || groupNode != nil else { return nil }
        var resolved: (name: String, uid: UInt32, gid: UInt32, groups: [UInt32])?
        if let userNode {
            resolved = resolveUser(userNode)
            if resolved == nil { return nil }
        } else {
            resolved = ("uid \(geteuid())", geteuid(), getegid(), [])
        }
        if let groupNode {
            guard let gid = resolveGroup(groupNode) else { return nil }
            resolved?.gid = gid
            resolved?.groups = [gid]
        }
        guard let resolved else { return nil }
        return ExecAction.RunAs(user: resolved.name, uid: resolved.uid, gid: resolved.gid, groups: resolved.groups)
    }

    private func resolveUser(_ node: ConfigNode) -> (name: String, uid: UInt32, gid: UInt32, groups: [UInt32])? {
        guard let (written, entry) = lookUp(node, "user", byName: { getpwnam($0) }, byNumber: { getpwuid($0) }) else { return nil }
        let name = String(cString: entry.pointee.pw_name)
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        // The user's groups, as a login would have them (initgroups(3)).
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, gid, &groups, &count)
        }
        return (written, uid, gid, Array(groups.prefix(Int(max(count, 0)))))
    }

    private func resolveGroup(_ node: ConfigNode) -> UInt32? {
        lookUp(node, "group", byName: { getgrnam($0) }, byNumber: { getgrgid($0) })?.entry.pointee.gr_gid
    }

    /// The system's entry for a name or a number (`what`: "user" or "group"), with the value as
    /// written; an error at the node's path when there is none.
    private func lookUp<Entry>(_ node: ConfigNode, _ what: String, byName: (String) -> UnsafeMutablePointer<Entry>?,
                               byNumber: (UInt32) -> UnsafeMutablePointer<Entry>?) -> (written: String, entry: UnsafeMutablePointer<Entry>)? {
        let written: String
        let entry: UnsafeMutablePointer<Entry>?
        switch node.value {
        case let .string(name):
            written = name
            entry = byName(name)
        case let .number(number, _) where number >= 0 && number.rounded() == number && number < 4_294_967_295:
            written = String(UInt32(number))
            entry = byNumber(UInt32(number))
        default:
            node.mismatch("a \(what) name or number")
            return nil
        }
        guard let entry else {
            issues.error(node.path, "no \(what) \"\(written)\" on this system")
            return nil
        }
        return (written, entry)
    }
}
