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
        let entry: UnsafeMutablePointer<passwd>?
        let written: String
        switch node.value {
        case let .string(name):
            written = name
            entry = getpwnam(name)
        case let .number(number, _) where number >= 0 && number.rounded() == number && number < 4_294_967_295:
            written = String(UInt32(number))
            entry = getpwuid(uid_t(number))
        default:
            node.mismatch("a user name or number")
            return nil
        }
        guard let entry else {
            issues.error(node.path, "no user \"\(written)\" on this system")
            return nil
        }
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
        let entry: UnsafeMutablePointer<group>?
        let written: String
        switch node.value {
        case let .string(name):
            written = name
            entry = getgrnam(name)
        case let .number(number, _) where number >= 0 && number.rounded() == number && number < 4_294_967_295:
            written = String(UInt32(number))
            entry = getgrgid(gid_t(number))
        default:
            node.mismatch("a group name or number")
            return nil
        }
        guard let entry else {
            issues.error(node.path, "no group \"\(written)\" on this system")
            return nil
        }
        return entry.pointee.gr_gid
    }
}
