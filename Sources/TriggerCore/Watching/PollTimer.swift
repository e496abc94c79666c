@preconcurrency import Dispatch

/// The poll clock (issue 4: a `DispatchSourceTimer` at `refreshInterval`) as an async sequence
/// of ticks. A tick that falls while the previous sync still runs is coalesced, not queued:
/// a slow sync never causes a burst of back-to-back syncs.
final class PollTimer: @unchecked Sendable {
    let ticks: AsyncStream<Void>
    /// Only scheduled, resumed and cancelled, each of which DispatchSource allows from any thread.
    private let timer: any DispatchSourceTimer

    init(interval: Duration, queue: DispatchQueue = DispatchQueue(label: "mailtrigger.poll")) {
        let (ticks, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.ticks = ticks
        let milliseconds = Int(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds),
                       leeway: .milliseconds(max(1, milliseconds / 20)))
        timer.setEventHandler { continuation.yield() }
        continuation.onTermination = { _ in timer.cancel() }
        timer.resume()
        self.timer = timer
    }

    deinit {
        timer.cancel()
    }
}
