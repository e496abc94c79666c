import Foundation
import IMAPTestSupport
import Testing

/// The daemon processes of one test, one after another, and the webhook requests each sent:
/// after a process ends, whatever reaches the receiver within a moment is still its own.
struct DaemonLives {
    let receiver: WebhookReceiver
    /// The receiver's request count at the end of each process.
    private(set) var boundaries: [Int] = []

    init(receiver: WebhookReceiver) {
        self.receiver = receiver
    }

    /// Marks the end of the current process (after it exited): requests it had written before
    /// it died may still be in flight on loopback.
    mutating func end() async throws {
        try await Task.sleep(for: .milliseconds(200))
        boundaries.append(receiver.requestCount)
    }

    struct Report {
        var keys = 0
        /// Keys that arrived from more than one process.
        var repeats = 0
    }

    /// Every expected key arrived; none twice from one process.
    func check(expected: Int, sourceLocation: SourceLocation = #_sourceLocation) -> Report {
        var lives: [String: [Int]] = [:]
        for (index, request) in receiver.requests.enumerated() {
            guard let key = request[header: "Idempotency-Key"] else { continue }
            let life = boundaries.firstIndex { index < $0 } ?? boundaries.count
            lives[key, default: []].append(life)
        }
        let twiceInOneLife = lives.filter { Set($0.value).count != $0.value.count }
        #expect(lives.count == expected, "every message's key arrived", sourceLocation: sourceLocation)
        #expect(twiceInOneLife.isEmpty, "a key sent twice by one process: \(twiceInOneLife.keys.sorted().prefix(5))",
                sourceLocation: sourceLocation)
        return Report(keys: lives.count, repeats: lives.values.filter { $0.count > 1 }.count)
    }
}

/// The seed of a test's random choices: `MT_FAULT_SEED`, else one drawn at start (printed in
/// the fault report so a run can be repeated).
enum FaultSeed {
    static let value: UInt64 = ProcessInfo.processInfo.environment["MT_FAULT_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
}
