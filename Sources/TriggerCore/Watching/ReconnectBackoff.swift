/// How long a watcher waits before reconnecting (DESIGN.md §5): exponential from 1 s to 5 min
/// with ± jitter, so many watchers that lost the same server do not return together; a refused
/// sign-in starts at 1 min and grows to 30 min — retrying a wrong password quickly only gets
/// the account locked.
public struct ReconnectBackoff: Hashable, Sendable {
    public var initial: Duration = .seconds(1)
    public var maximum: Duration = .seconds(300)
    public var authInitial: Duration = .seconds(60)
    public var authMaximum: Duration = .seconds(1800)
    public var jitter = 0.2

    public init() {}

    /// The wait after `failures` consecutive failures (1-based); `unit` is a random number in
    /// 0..<1, injected so tests are exact.
    public func delay(afterFailures failures: Int, authentication: Bool, unit: Double = .random(in: 0..<1)) -> Duration {
        let (start, cap) = authentication ? (authInitial, authMaximum) : (initial, maximum)
        let base = start * Int(min(1 << min(max(failures - 1, 0), 20), Int(cap / start) + 1))
        let capped = min(base, cap)
        return capped * (1 + jitter * (2 * unit - 1))
    }
}
