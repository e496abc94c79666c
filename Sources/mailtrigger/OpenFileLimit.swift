#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The limit on open files (RLIMIT_NOFILE, getrlimit(2)). Every watched mailbox holds a socket,
/// and systemd, like most shells, starts services with a soft limit of 1,024 (and a hard limit
/// of 524,288): a daemon watching a thousand mailboxes would run out of descriptors in its
/// first minute. The soft limit is only a default for programs that use `select(2)`, which this
/// one does not (NIO uses epoll), so `run` raises it to the hard limit, as systemd advises
/// (systemd.exec(5), `LimitNOFILE=`).
enum OpenFileLimit {
    /// Descriptors the daemon needs besides one per watched mailbox: the state database and its
    /// journal, NIO's event loops, webhook connections (`delivery.concurrency`), exec pipes.
    static let reserve = 64

    /// Raises the soft limit to the hard one (capped at 2^20: some kernels report "unlimited").
    /// Returns the soft limit in force afterwards.
    static func raise() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        let target = min(limit.rlim_max, 1 << 20)
        if limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(target) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// The descriptors `watchers` mailboxes need.
    static func needed(watchers: Int, deliveryConcurrency: Int) -> UInt64 {
        UInt64(watchers + 2 * deliveryConcurrency + reserve)
    }
}
