import Testing
@testable import TriggerCore

@Suite("Reconnect backoff")
struct ReconnectBackoffTests {
    @Test(arguments: [(1, false, 1.0), (2, false, 2.0), (4, false, 8.0), (9, false, 256.0), (10, false, 300.0), (50, false, 300.0),
                      (1, true, 60.0), (3, true, 240.0), (6, true, 1800.0), (60, true, 1800.0)])
    func growsToItsCap(failures: Int, authentication: Bool, seconds: Double) {
        let delay = ReconnectBackoff().delay(afterFailures: failures, authentication: authentication, unit: 0.5)
        #expect(abs(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18 - seconds) < 0.001)
    }

    @Test func jitterStaysWithinTwentyPercent() {
        let backoff = ReconnectBackoff()
        #expect(backoff.delay(afterFailures: 1, authentication: false, unit: 0) == .milliseconds(800))
        #expect(backoff.delay(afterFailures: 1, authentication: false, unit: 0.999_999) > .milliseconds(1199))
    }
}
