/// A clock that runs `speed` times faster than the continuous clock, for tests that simulate
/// hours in seconds: a watcher given it re-issues IDLE every "9 minutes" of its time while a
/// fake server's "30-minute" autologout runs on the same scale.
public struct ScaledClock: Clock {
    public typealias Instant = ContinuousClock.Instant
    public let speed: Int
    private let base = ContinuousClock()
    private let origin: ContinuousClock.Instant

    public init(speed: Int) {
        self.speed = max(1, speed)
        origin = base.now
    }

    /// Simulated time: the origin plus `speed` times the real time since.
    public var now: Instant {
        origin + (base.now - origin) * speed
    }

    public var minimumResolution: Duration {
        base.minimumResolution
    }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await base.sleep(for: (deadline - now) / speed)
    }

    /// The real time `simulated` takes on this clock.
    public func real(_ simulated: Duration) -> Duration {
        simulated / speed
    }
}
