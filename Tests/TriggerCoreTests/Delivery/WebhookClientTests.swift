import Foundation
import IMAPTestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing
@testable import TriggerCore

/// The webhook HTTP client's pool, keep-alive, deadline and TLS, against real servers on loopback.
@Suite("Delivery: webhook client")
struct WebhookClientTests {
    func post(_ client: WebhookClient, _ url: String, body: String = "{}", timeout: TimeAmount = .seconds(5),
              headers: HTTPHeaders = ["Content-Type": "application/json"]) async throws -> WebhookConnectionHandler.Response {
        try await client.post(try WebhookTarget(url: url), headers: headers, body: ByteBuffer(string: body),
                              deadline: .now() + timeout)
    }

    /// Whether the client's connections are all closed within 10 s. Closes happen on the event
    /// loop; under a loaded CI a fixed short wait for them was once too short (600 ms).
    static func allClosed(_ client: WebhookClient) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while client.openConnections > 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return client.openConnections == 0
    }

    @Test func sequentialPostsShareOneKeepAliveConnection() async throws {
        let receiver = try await WebhookReceiver.start()
        let client = WebhookClient()
        for index in 0..<5 {
            let response = try await post(client, receiver.url(), body: "{\"n\":\(index)}")
            #expect(response.status == 200)
            #expect(response.keepAlive)
        }
        #expect(receiver.connectionsAccepted == 1)
        #expect(client.openConnections == 1)
        let requests = try await receiver.waitForRequests(count: 5)
        #expect(requests.map { String(decoding: $0.body, as: UTF8.self) } == (0..<5).map { "{\"n\":\($0)}" })
        #expect(requests.allSatisfy { $0[header: "Host"] == "127.0.0.1:\(receiver.port)" && $0[header: "Content-Length"] == "7" })
        await client.shutdown()
        await receiver.stop()
    }

    @Test func concurrentPostsKeepAtMostTheIdleLimit() async throws {
        let receiver = try await WebhookReceiver.start(defaultResponse: .init(status: 200, delay: .milliseconds(50)))
        let client = WebhookClient(maxIdlePerEndpoint: 3)
        let url = receiver.url()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await post(client, url).status } }
            for try await status in group { #expect(status == 200) }
        }
        #expect(receiver.connectionsAccepted == 8, "each running request has its own connection")
        // Closing completes on the event loop, after the exchange: wait for it (a loaded CI
        // machine once needed more than 100 ms), but no more surplus may stay open.
        let deadline = ContinuousClock.now + .seconds(5)
        while client.openConnections > 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(client.openConnections == 3, "the others were closed after their exchange")
        await client.shutdown()
        await receiver.stop()
    }

    @Test func connectionCloseFromTheReceiverIsHonoured() async throws {
        let receiver = try await WebhookReceiver.start()
        receiver.enqueue(.init(status: 200, headers: [("Connection", "close")]))
        let client = WebhookClient()
        let first = try await post(client, receiver.url())
        #expect(first.status == 200 && !first.keepAlive)
        #expect(try await post(client, receiver.url()).status == 200)
        #expect(receiver.connectionsAccepted == 2, "the closed connection was not reused")
        await client.shutdown()
        await receiver.stop()
    }

    @Test func aConnectionTheReceiverClosedWhileIdleIsReplacedWithoutAFailure() async throws {
        let receiver = try await WebhookReceiver.start()
        let client = WebhookClient()
        #expect(try await post(client, receiver.url()).status == 200)
        // The receiver drops its idle connections (an idle timeout of its own). It keeps
        // listening: a restart on the same port could find it taken by another test's socket.
        await receiver.closeConnections()
        #expect(try await post(client, receiver.url()).status == 200)
        #expect(receiver.requestCount == 2, "sent once on the new connection")
        #expect(receiver.connectionsAccepted == 2)
        await client.shutdown()
        await receiver.stop()
    }

    @Test func idleConnectionsCloseAfterTheIdleTimeout() async throws {
        let receiver = try await WebhookReceiver.start()
        let client = WebhookClient(idleTimeout: .milliseconds(150))
        #expect(try await post(client, receiver.url()).status == 200)
        #expect(client.openConnections == 1)
        // Closed after 150 ms idle.
        #expect(await Self.allClosed(client))
        #expect(try await post(client, receiver.url()).status == 200)
        #expect(receiver.connectionsAccepted == 2)
        await client.shutdown()
        await receiver.stop()
    }

    @Test func aLargeResponseIsReadToItsEndAndOnlyItsStartKept() async throws {
        let receiver = try await WebhookReceiver.start()
        let body = String(repeating: "0123456789", count: 100_000)
        receiver.enqueue(.init(status: 500, body: body))
        let client = WebhookClient()
        let response = try await post(client, receiver.url())
        #expect(response.status == 500)
        #expect(response.body == Array(body.utf8.prefix(4096)))
        #expect(try await post(client, receiver.url()).status == 200)
        #expect(receiver.connectionsAccepted == 1, "the connection stayed usable")
        await client.shutdown()
        await receiver.stop()
    }

    @Test func theDeadlineBoundsTheExchangeAndTheConnectionIsNotReused() async throws {
        let receiver = try await WebhookReceiver.start(defaultResponse: .init(status: 200, delay: .seconds(5)))
        let client = WebhookClient()
        let started = ContinuousClock.now
        await #expect(throws: WebhookClient.Failure.timedOut) {
            _ = try await post(client, receiver.url(), timeout: .milliseconds(300))
        }
        // Well before the receiver's answer at 5 s. Not tighter: under a full parallel test run
        // the cooperative pool can be busy for a couple of seconds (seen: 2.56 s).
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(await Self.allClosed(client))
        await client.shutdown()
        await receiver.stop()
    }

    @Test func cancellingTheTaskClosesTheConnection() async throws {
        let receiver = try await WebhookReceiver.start(defaultResponse: .init(status: 200, delay: .seconds(5)))
        let client = WebhookClient()
        let url = receiver.url()
        let task = Task { try await post(client, url) }
        _ = try await receiver.waitForRequests(count: 1)
        let started = ContinuousClock.now
        task.cancel()
        await #expect(throws: (any Error).self) { _ = try await task.value }
        #expect(ContinuousClock.now - started < .seconds(2))
        await client.shutdown()
        await receiver.stop()
    }

    @Test func aHeaderValueWithALineBreakIsRefusedNotSent() async throws {
        let receiver = try await WebhookReceiver.start()
        let client = WebhookClient()
        await #expect(throws: WebhookClient.Failure.self) {
            _ = try await post(client, receiver.url(), headers: ["X-Evil": "a\r\nInjected: yes"])
        }
        #expect(receiver.requestCount == 0)
        await client.shutdown()
        await receiver.stop()
    }

    @Test func postsAfterShutdownFail() async throws {
        let receiver = try await WebhookReceiver.start()
        let client = WebhookClient()
        #expect(try await post(client, receiver.url()).status == 200)
        await client.shutdown()
        #expect(client.openConnections == 0)
        await #expect(throws: WebhookClient.Failure.shutDown) { _ = try await post(client, receiver.url()) }
        await receiver.stop()
    }

    @Test(arguments: [
        ("http://example.org/hook", false, "example.org", 80, "/hook", "example.org"),
        ("https://example.org", true, "example.org", 443, "/", "example.org"),
        ("HTTPS://Example.org:8443/a%20b?x=1&y=%2F#frag", true, "Example.org", 8443, "/a%20b?x=1&y=%2F", "Example.org:8443"),
        ("http://user:pass@127.0.0.1:9000/h?q", false, "127.0.0.1", 9000, "/h?q", "127.0.0.1:9000"),
        ("http://[::1]:8080/hook", false, "::1", 8080, "/hook", "[::1]:8080"),
        ("https://[2001:db8::1]/", true, "2001:db8::1", 443, "/", "[2001:db8::1]"),
    ])
    func targets(url: String, secure: Bool, host: String, port: Int, requestTarget: String, hostHeader: String) throws {
        let target = try WebhookTarget(url: url)
        #expect(target.endpoint == .init(secure: secure, host: host, port: port))
        #expect(target.requestTarget == requestTarget)
        #expect(target.hostHeader == hostHeader)
    }

    @Test(arguments: ["ftp://example.org/x", "example.org/hook", "http://", "http:///path", "mailto:a@b", "http://h:0/", "not a url"])
    func invalidTargets(url: String) {
        #expect(throws: WebhookTarget.InvalidURL.self) { try WebhookTarget(url: url) }
    }
}

/// `https` webhooks against a TLS receiver with the test CA of `scripts/imap-test-server.sh`.
@Suite("Delivery: webhook client over TLS", .enabled(if: DovecotEnvironment.shouldRun))
struct WebhookClientTLSTests {
    func tlsReceiver() async throws -> (WebhookReceiver, caFile: String, otherCAFile: String) {
        let environment = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start(tls: try environment.serverTLSContext("server"))
        return (receiver, environment.caFile, environment.otherCAFile)
    }

    @Test func postsOverTLSToAVerifiedServer() async throws {
        let (receiver, caFile, _) = try await tlsReceiver()
        let client = WebhookClient(trustRoots: .file(caFile))
        let sender = WebhookSender(client: client, logger: .init(label: "test"))
        let job = DeliveryFixtures.job()
        #expect(receiver.url().hasPrefix("https://"))
        #expect(await sender.deliver(WebhookAction(url: receiver.url()), job: job) == .succeeded)
        #expect(await sender.deliver(WebhookAction(url: receiver.url()), job: job) == .succeeded)
        #expect(receiver.connectionsAccepted == 1)
        #expect(try await receiver.waitForRequests(count: 2).allSatisfy { $0.body == job.payload })
        await client.shutdown()
        await receiver.stop()
    }

    @Test func anUntrustedCertificateIsARetryableTLSError() async throws {
        let (receiver, _, otherCAFile) = try await tlsReceiver()
        let client = WebhookClient(trustRoots: .file(otherCAFile))
        let sender = WebhookSender(client: client, logger: .init(label: "test"))
        let result = await sender.deliver(WebhookAction(url: receiver.url()), job: DeliveryFixtures.job())
        guard case let .retryable(reason, _) = result else { Issue.record("\(result)"); return }
        #expect(reason.hasPrefix("TLS error"), "\(reason)")
        #expect(!reason.contains("expired"), "an unknown CA is not said to be an expiry: \(reason)")
        #expect(reason.hasSuffix("(127.0.0.1:\(receiver.port))"), "\(reason)")
        #expect(receiver.requestCount == 0)
        await client.shutdown()
        await receiver.stop()
    }

    @Test func anExpiredCertificateIsARetryableTLSErrorThatSaysSo() async throws {
        let environment = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start(tls: try environment.serverTLSContext("expired"))
        let client = WebhookClient(trustRoots: .file(environment.caFile))
        let sender = WebhookSender(client: client, logger: .init(label: "test"))
        let result = await sender.deliver(WebhookAction(url: receiver.url()), job: DeliveryFixtures.job())
        guard case let .retryable(reason, _) = result else { Issue.record("\(result)"); return }
        #expect(reason.contains("the server certificate expired on 2025-02-01"), "\(reason)")
        #expect(receiver.requestCount == 0)
        await client.shutdown()
        await receiver.stop()
    }

    @Test func aCertificateForAnotherHostIsATLSErrorThatSaysSo() async throws {
        let environment = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start(tls: try environment.serverTLSContext("wrong-host"))
        let client = WebhookClient(trustRoots: .file(environment.caFile))
        let sender = WebhookSender(client: client, logger: .init(label: "test"))
        for host in ["localhost", "127.0.0.1"] {
            let result = await sender.deliver(WebhookAction(url: "https://\(host):\(receiver.port)/hook"), job: DeliveryFixtures.job())
            guard case let .retryable(reason, _) = result else { Issue.record("\(host): \(result)"); continue }
            #expect(reason.contains("does not match the host name"), "\(host): \(reason)")
        }
        #expect(receiver.requestCount == 0)
        await client.shutdown()
        await receiver.stop()
    }
}
