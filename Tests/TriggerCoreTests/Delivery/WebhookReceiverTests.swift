import AsyncHTTPClient
import Foundation
import IMAPTestSupport
import NIOCore
import Testing

/// The test receiver itself: it must be trustworthy before the sender's tests can rely on it.
@Suite("Delivery: webhook receiver")
struct WebhookReceiverTests {
    /// Runs `body` with a client that reports a refused connection at once instead of retrying
    /// it until the timeout, and shuts the client down however `body` ends: a client released
    /// without `shutdown()` is a fatal error in debug builds, so a request that failed (a timeout
    /// on a stalled host) crashed the whole test process.
    func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(configuration: configuration)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func post(_ client: HTTPClient, _ url: String, body: String = "{}", key: String? = nil) async throws -> (Int, [(String, String)], String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: body))
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers.map { ($0.name, $0.value) }, String(buffer: collected))
    }

    @Test func answersQueueThenClosureThenDefault() async throws {
        let receiver = try await WebhookReceiver.start()
        receiver.enqueue(.init(status: 503, headers: [("Retry-After", "7")], body: "later"), .init(status: 201))
        receiver.respond { request in request.path == "/teapot" ? .init(status: 418) : .init(status: 202) }
        try await withClient { client in
            var statuses: [Int] = []
            for path in ["/a", "/b", "/teapot", "/c"] {
                statuses.append(try await post(client, receiver.url(path: path)).0)
            }
            #expect(statuses == [503, 201, 418, 202])
            receiver.respond(nil)
            receiver.defaultResponse = .init(status: 204)
            #expect(try await post(client, receiver.url()).0 == 204)
        }
        let requests = receiver.requests
        #expect(requests.map(\.path) == ["/a", "/b", "/teapot", "/c", "/hook"])
        #expect(requests.allSatisfy { $0.method == "POST" && $0.bodyText == "{}" })
        #expect(receiver.connectionsAccepted == 1, "keep-alive: one connection for all requests")
        await receiver.stop()
    }

    @Test func delayedAnswerAndRetryAfterHeader() async throws {
        let receiver = try await WebhookReceiver.start()
        receiver.enqueue(.init(status: 503, headers: [("Retry-After", "7")], body: "slow", delay: .milliseconds(300)))
        let started = ContinuousClock.now
        let (status, headers, body) = try await withClient { try await post($0, receiver.url()) }
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(status == 503 && body == "slow")
        #expect(headers.contains { $0.0 == "Retry-After" && $0.1 == "7" })
        await receiver.stop()
    }

    @Test func stopRefusesAndRestartListensOnTheSamePort() async throws {
        let receiver = try await WebhookReceiver.start()
        let port = receiver.port
        try await withClient { client in
            _ = try await post(client, receiver.url())
            await receiver.stop()
            #expect(!receiver.isRunning)
            await #expect(throws: (any Error).self) { _ = try await post(client, receiver.url()) }
            try await receiver.restart()
            #expect(receiver.port == port)
            #expect(try await post(client, receiver.url()).0 == 200)
        }
        #expect(receiver.requestCount == 2)
        await receiver.stop()
    }

    @Test func waitForRequestsTimesOut() async throws {
        let receiver = try await WebhookReceiver.start()
        await #expect(throws: WebhookReceiver.Timeout.self) {
            _ = try await receiver.waitForRequests(count: 1, timeout: .milliseconds(100))
        }
        await receiver.stop()
    }

    /// Thousands of requests over a few keep-alive connections, all recorded once each.
    @Test func manyRequestsQuickly() async throws {
        let receiver = try await WebhookReceiver.start()
        let total = 4000
        let workers = 16
        let started = ContinuousClock.now
        try await withClient { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        for index in stride(from: worker, to: total, by: workers) {
                            _ = try await post(client, receiver.url(), body: "{\"n\":\(index)}", key: "k\(index)")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let elapsed = ContinuousClock.now - started
        let requests = try await receiver.waitForRequests(count: total, timeout: .seconds(5))
        #expect(Set(requests.compactMap { $0[header: "Idempotency-Key"] }).count == total)
        let rate = Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        print("webhook receiver: \(total) requests in \(elapsed), \(Int(rate)) requests/s, \(receiver.connectionsAccepted) connections")
        #expect(receiver.connectionsAccepted <= workers * 2)
        await receiver.stop()
    }
}
