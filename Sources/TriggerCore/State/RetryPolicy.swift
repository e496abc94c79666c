import Foundation

/// When a failed job is tried again (DESIGN.md §5): exponential backoff with jitter, bounded by
/// a number of attempts and an age, after which the job is a dead letter (kept, listed, replayable).
public struct RetryPolicy: Hashable, Sendable {
    /// The wait after the first failure.
    public var initialDelay: Duration
    public var multiplier: Double
    public var maxDelay: Duration
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    /// A job older than this is not tried again.
    public var maxAge: Duration
    /// The delay varies by ± this fraction, so retries of many jobs do not arrive together.
    public var jitter: Double

    public init(initialDelay: Duration = .seconds(5), multiplier: Double = 2, maxDelay: Duration = .seconds(3600),
                maxAttempts: Int = 10, maxAge: Duration = .seconds(86_400), jitter: Double = 0.2) {
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.maxAge = maxAge
        self.jitter = jitter
    }

    /// The delay before attempt `attempt + 1`, after `attempt` failures (1-based), with `unit` a
    /// random number in 0..<1 (injected so tests are exact).
    public func delay(afterFailures attempt: Int, unit: Double) -> Duration {
        let base = seconds(initialDelay) * pow(multiplier, Double(max(0, attempt - 1)))
        let capped = min(base, seconds(maxDelay))
        let jittered = capped * (1 + jitter * (2 * unit - 1))
        return .milliseconds(Int64(max(0, jittered) * 1000))
    }

    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
