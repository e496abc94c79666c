import Synchronization
import Testing
@testable import TriggerCore

/// The bound on connects at once: never more holders than the limit, waiters served in order,
/// a cancelled waiter leaves without a permit, a failed holder gives its permit back.
@Suite("Connect gate")
struct ConnectGateTests {
    /// The most holders seen at once, and the order in which work started.
    final class Tally: Sendable {
        private let state = Mutex<(now: Int, peak: Int, order: [Int], waits: Int)>((0, 0, [], 0))
        func enter(_ index: Int) {
            state.withLock { state in
                state.now += 1
                state.peak = max(state.peak, state.now)
                state.order.append(index)
            }
        }
        func leave() { state.withLock { $0.now -= 1 } }
        func waited() { state.withLock { $0.waits += 1 } }
        var waits: Int { state.withLock { $0.waits } }
        var peak: Int { state.withLock { $0.peak } }
        var order: [Int] { state.withLock { $0.order } }
    }

    @Test("100 tasks through a gate of 4: never more than 4 at once, all of them run")
    func bound() async throws {
        let gate = ConnectGate(limit: 4)
        let tally = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask {
                    try await gate.withPermit(onWait: tally.waited) {
                        tally.enter(index)
                        try await Task.sleep(for: .milliseconds(2))
                        tally.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(tally.peak == 4)
        #expect(tally.order.count == 100)
        #expect(tally.waits >= 90, "most tasks found the gate full")
        #expect(gate.held == 0 && gate.waiting == 0)
    }

    @Test("Waiters are served first come, first served")
    func order() async throws {
        let gate = ConnectGate(limit: 1)
        let tally = Tally()
        let release = AsyncStream<Void>.makeStream()
        // The first holder keeps the permit until the others are queued.
        let holder = Task { try await gate.withPermit { for await _ in release.stream { break } } }
        try await waitUntil { gate.held == 1 }
        var waiters: [Task<Void, any Error>] = []
        for index in 1...5 {
            waiters.append(Task { try await gate.withPermit { tally.enter(index); tally.leave() } })
            try await waitUntil { gate.waiting == index }
        }
        release.continuation.yield()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(tally.order == [1, 2, 3, 4, 5])
        #expect(gate.held == 0)
    }

    @Test("A cancelled waiter throws CancellationError and takes no permit")
    func cancelledWaiter() async throws {
        let gate = ConnectGate(limit: 1)
        let release = AsyncStream<Void>.makeStream()
        let holder = Task { try await gate.withPermit { for await _ in release.stream { break } } }
        try await waitUntil { gate.held == 1 }
        let tally = Tally()
        let waiter = Task { try await gate.withPermit { tally.enter(1) } }
        try await waitUntil { gate.waiting == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.waiting == 0)
        release.continuation.yield()
        try await holder.value
        #expect(tally.order.isEmpty)
        #expect(gate.held == 0)
        // The permit is still there for the next one.
        try await gate.withPermit { #expect(gate.held == 1) }
    }

    @Test("A holder that throws gives its permit back")
    func failingHolder() async throws {
        struct Refused: Error {}
        let gate = ConnectGate(limit: 2)
        for _ in 0..<5 {
            await #expect(throws: Refused.self) { try await gate.withPermit { throw Refused() } }
        }
        #expect(gate.held == 0)
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
