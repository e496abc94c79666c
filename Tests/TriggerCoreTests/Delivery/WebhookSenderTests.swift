import Foundation
import IMAPTestSupport
import Logging
import Testing
@testable import TriggerCore

/// The webhook contract (DESIGN.md §5) against a real HTTP server on loopback.
@Suite("Delivery: webhook sender")
struct WebhookSenderTests {
    /// Runs `body` with a sender on a client configured as the daemon configures it.
    func withSender(logger: Logger = Logger(label: "test"),
                    _ body: (WebhookSender) async throws -> Void) async throws {
        let client = WebhookClient()
        do {
            try await body(WebhookSender(client: client, logger: logger))
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    func action(_ url: String, headers: [String: SecretReference] = [:], timeout: Duration = .seconds(5),
                secret: String? = nil, signatureHeader: String = "X-Mailtrigger-Signature") -> WebhookAction {
        WebhookAction(url: url, headers: headers, timeout: timeout, secret: secret.map(SecretReference.inline),
                      signatureHeader: signatureHeader)
    }

    @Test func headersAndBodyArriveExactly() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        let job = DeliveryFixtures.job()
        let hook = action(receiver.url(path: "/hooks/mail"), headers: [
            "Authorization": "Bearer abc", "X-Team": "ops",
            // mailtrigger owns these: the action cannot replace them.
            "content-type": "text/plain", "Idempotency-Key": "mine", "X-Mailtrigger-Signature": "forged",
        ])
        try await withSender { sender in
            #expect(await sender.deliver(hook, job: job) == .succeeded)
        }
        let request = try #require(try await receiver.waitForRequests(count: 1).first)
        #expect(request.method == "POST")
        #expect(request.path == "/hooks/mail")
        #expect(request.body == job.payload)
        #expect(request.values(of: "Content-Type") == ["application/json"])
        #expect(request.values(of: "Idempotency-Key") == ["work/INBOX/Sub folder/7/42/invoices"])
        #expect(request[header: "User-Agent"] == "mailtrigger/0.1")
        #expect(request[header: "Authorization"] == "Bearer abc")
        #expect(request[header: "X-Team"] == "ops")
        #expect(request[header: "X-Mailtrigger-Signature"] == nil, "no secret, no signature")
        #expect(request[header: "X-Mailtrigger-Timestamp"] == nil)
        #expect(request[header: "Content-Length"] == String(job.payload.count))
    }

    @Test func signatureVerifiesWithOpenSSL() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        let job = DeliveryFixtures.job()
        let secret = "whsec_9f2c4e1d-not-in-reasons"
        let now = Date(timeIntervalSince1970: 1_763_700_000.75)
        try await withSender { sender in
            let result = await sender.deliver(action(receiver.url(), headers: ["X-Sig": "forged"], secret: secret,
                                                     signatureHeader: "X-Sig"), job: job, now: now)
            #expect(result == .succeeded)
        }
        let request = try #require(try await receiver.waitForRequests(count: 1).first)
        let timestamp = try #require(request[header: "X-Mailtrigger-Timestamp"])
        #expect(timestamp == "1763700000")
        var message = Data("\(timestamp).".utf8)
        message.append(request.body)
        let expected = try DeliveryFixtures.opensslHMAC(secret: secret, message: message)
        #expect(expected.count == 64)
        #expect(request.values(of: "X-Sig") == ["sha256=" + expected])
        #expect(WebhookSender.signature(secret: secret, timestamp: timestamp, body: job.payload) == "sha256=" + expected)
    }

    @Test(arguments: [200, 201, 202, 204, 299])
    func twoHundredsSucceed(status: Int) async throws {
        let receiver = try await WebhookReceiver.start(defaultResponse: .init(status: status, body: "fine"))
        defer { Task { await receiver.stop() } }
        try await withSender { sender in
            #expect(await sender.deliver(action(receiver.url()), job: DeliveryFixtures.job()) == .succeeded)
        }
    }

    @Test func serviceUnavailableWithRetryAfterSeconds() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        receiver.enqueue(.init(status: 503, headers: [("Retry-After", "7")], body: "down for maintenance\n"))
        try await withSender { sender in
            let result = await sender.deliver(action(receiver.url()), job: DeliveryFixtures.job())
            #expect(result == .retryable("HTTP 503 from 127.0.0.1:\(receiver.port): down for maintenance", retryAfter: .seconds(7)))
        }
    }

    @Test func retryAfterAsHTTPDate() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        let now = Date(timeIntervalSince1970: 1_763_700_000)
        // 120 s after `now`, as an IMF-fixdate (RFC 9110 §5.6.7).
        receiver.enqueue(.init(status: 503, headers: [("Retry-After", "Fri, 21 Nov 2025 04:42:00 GMT")]))
        try await withSender { sender in
            let result = await sender.deliver(action(receiver.url()), job: DeliveryFixtures.job(), now: now)
            guard case let .retryable(_, retryAfter) = result else { Issue.record("\(result)"); return }
            #expect(retryAfter == .seconds(120))
        }
    }

    @Test(arguments: [408, 429, 500, 502, 503, 504, 599])
    func retryableStatuses(status: Int) async throws {
        let receiver = try await WebhookReceiver.start(defaultResponse: .init(status: status))
        defer { Task { await receiver.stop() } }
        try await withSender { sender in
            let result = await sender.deliver(action(receiver.url()), job: DeliveryFixtures.job())
            #expect(result == .retryable("HTTP \(status) from 127.0.0.1:\(receiver.port)", retryAfter: nil))
        }
    }

    @Test func tooManyRequestsHonoursAndCapsRetryAfter() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        receiver.enqueue(.init(status: 429, headers: [("Retry-After", "30")]),
                         .init(status: 429, headers: [("Retry-After", "86400")]),
                         .init(status: 429, headers: [("Retry-After", "soon, maybe")]),
                         .init(status: 429, headers: [("Retry-After", "-5")]))
        try await withSender { sender in
            var delays: [Duration?] = []
            for _ in 0..<4 {
                guard case let .retryable(_, retryAfter) = await sender.deliver(action(receiver.url()), job: DeliveryFixtures.job()) else {
                    Issue.record("not retryable")
                    return
                }
                delays.append(retryAfter)
            }
            #expect(delays == [.seconds(30), .seconds(3600), nil, nil])
        }
    }

    @Test(arguments: [400, 401, 403, 404, 410, 422, 301, 302, 307])
    func otherStatusesArePermanent(status: Int) async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        receiver.respond { request in
            request.path == "/moved" ? .ok : .init(status: status, headers: [("Location", "/moved")], body: "{\"error\":\"nope\"}")
        }
        try await withSender { sender in
            let result = await sender.deliver(action(receiver.url()), job: DeliveryFixtures.job())
            #expect(result == .permanent("HTTP \(status) from 127.0.0.1:\(receiver.port): {\"error\":\"nope\"}"))
        }
        #expect(receiver.requests.map(\.path) == ["/hook"], "redirects are not followed")
    }

    /// Threat model U3: a receiver's token in a header comes from a file or a variable, is read
    /// for each delivery, and a receiver that echoes it in its error page does not put it into
    /// the reason (which reaches the log, the outbox and `status`).
    @Test func headerValuesFromSecretsArriveAndAreRedactedFromReasons() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        // Echoes every header back, as some error pages do.
        receiver.respond { request in
            .init(status: 401, body: request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "; "))
        }
        let directory = try DeliveryFixtures.temporaryDirectory()
        let tokenFile = directory.appendingPathComponent("token").path
        try Data("Bearer s3cret-receiver-token\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        setenv("MT_TEST_RECEIVER_KEY", "s3cret-api-key", 1)
        defer { unsetenv("MT_TEST_RECEIVER_KEY") }
        let hook = action(receiver.url(), headers: ["Authorization": .file(tokenFile), "X-Api-Key": .environment("MT_TEST_RECEIVER_KEY"),
                                                    "X-Source": "mailtrigger-tests"])
        try await withSender { sender in
            let result = await sender.deliver(hook, job: DeliveryFixtures.job())
            guard case let .permanent(reason) = result else { Issue.record("\(result)"); return }
            #expect(!reason.contains("s3cret"), "\(reason)")
            #expect(reason.contains("Authorization: [redacted]") && reason.contains("X-Api-Key: [redacted]"), "\(reason)")
            #expect(reason.contains("X-Source: mailtrigger-tests"), "a plain header is not a secret: \(reason)")

            // A rotated file is read at the next delivery; a missing one is retried.
            try Data("Bearer rotated-token".utf8).write(to: URL(fileURLWithPath: tokenFile))
            _ = await sender.deliver(hook, job: DeliveryFixtures.job())
            try FileManager.default.removeItem(atPath: tokenFile)
            let missing = await sender.deliver(hook, job: DeliveryFixtures.job())
            #expect(missing == .retryable("cannot read a webhook secret: cannot read secret from \(tokenFile): no such file", retryAfter: nil))
        }
        let requests = receiver.requests
        #expect(requests.count == 2, "nothing is sent without the header's value")
        let sent = requests.map { request in request.headers.filter { $0.name == "Authorization" }.map(\.value) }
        #expect(sent == [["Bearer s3cret-receiver-token"], ["Bearer rotated-token"]])
        #expect(requests.first?.headers.contains { $0.name == "X-Api-Key" && $0.value == "s3cret-api-key" } == true)
    }

    @Test func connectionRefusedIsRetryableAndRecoversAfterRestart() async throws {
        let receiver = try await WebhookReceiver.start()
        await receiver.stop()
        try await withSender { sender in
            let started = ContinuousClock.now
            let result = await sender.deliver(action(receiver.url(), timeout: .seconds(10)), job: DeliveryFixtures.job())
            #expect(result == .retryable("connection refused (127.0.0.1:\(receiver.port))", retryAfter: nil))
            #expect(ContinuousClock.now - started < .seconds(3), "refused fails at once, not at the timeout")

            try await receiver.restart()
            #expect(await sender.deliver(action(receiver.url()), job: DeliveryFixtures.job()) == .succeeded)
        }
        #expect(receiver.requestCount == 1)
        await receiver.stop()
    }

    @Test func slowReceiverTimesOut() async throws {
        let receiver = try await WebhookReceiver.start(defaultResponse: .init(status: 200, delay: .seconds(10)))
        defer { Task { await receiver.stop() } }
        try await withSender { sender in
            let started = ContinuousClock.now
            let result = await sender.deliver(action(receiver.url(), timeout: .milliseconds(700)), job: DeliveryFixtures.job())
            let elapsed = ContinuousClock.now - started
            #expect(result == .retryable("timed out after 700ms waiting for 127.0.0.1:\(receiver.port)", retryAfter: nil))
            // Before the answer at 10 s; the task measuring this was once 3 s late in a loaded run.
            #expect(elapsed >= .milliseconds(650) && elapsed < .seconds(9), "\(elapsed)")
        }
    }

    @Test func receiverTricklingItsBodyTimesOut() async throws {
        // The head arrives at once; the timeout bounds the whole exchange, body included.
        let server = try await TricklingServer()
        try await withSender { sender in
            let started = ContinuousClock.now
            let result = await sender.deliver(action("http://127.0.0.1:\(server.port)/hook", timeout: .milliseconds(700)),
                                              job: DeliveryFixtures.job())
            let elapsed = ContinuousClock.now - started
            #expect(result == .retryable("timed out after 700ms waiting for 127.0.0.1:\(server.port)", retryAfter: nil))
            // Far before the body's end (100,000 bytes at one per 100 ms), with room for a loaded run.
            #expect(elapsed >= .milliseconds(650) && elapsed < .seconds(9), "\(elapsed)")
        }
        await server.stop()
    }

    @Test func reasonsNeverCarrySecretsUserinfoOrQuery() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        let secret = "s3cret-signing-key"
        let url = "http://hookuser:hookpass@127.0.0.1:\(receiver.port)/hook/T0KENPATH?token=QUERYTOKEN&x=1"
        // A receiver that echoes everything it got, as some error pages do.
        receiver.respond { request in
            .init(status: 500, body: "bad request \(request.path) auth=\(request[header: "Authorization"] ?? "") key=\(secret)")
        }
        let (logger, records) = RecordingLogHandler.logger()
        try await withSender(logger: logger) { sender in
            let result = await sender.deliver(action(url, secret: secret), job: DeliveryFixtures.job())
            guard case let .retryable(reason, _) = result else { Issue.record("\(result)"); return }
            #expect(reason.hasPrefix("HTTP 500 from 127.0.0.1:\(receiver.port): bad request"))
            for sensitive in [secret, "hookpass", "QUERYTOKEN", "T0KENPATH", "token="] {
                #expect(!reason.contains(sensitive), "\(sensitive) in \(reason)")
            }
            await receiver.stop()
            // The pooled connection may still look open ("remote connection closed"), or the
            // next one is refused: either way retryable and just as discreet.
            let down = await sender.deliver(action(url, secret: secret), job: DeliveryFixtures.job())
            guard case let .retryable(downReason, _) = down else { Issue.record("\(down)"); return }
            #expect(downReason.hasSuffix("(127.0.0.1:\(receiver.port))"), "\(downReason)")
            for sensitive in [secret, "hookpass", "QUERYTOKEN", "T0KENPATH", "token="] {
                #expect(!downReason.contains(sensitive), "\(sensitive) in \(downReason)")
            }
        }
        let logged = records.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(logged.contains("MT_ACTION"))
        for sensitive in [secret, "hookpass", "QUERYTOKEN", "T0KENPATH"] {
            #expect(!logged.contains(sensitive), "\(sensitive) logged")
        }
    }

    @Test func logsResultAtDebug() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        receiver.enqueue(.init(status: 404))
        let (logger, records) = RecordingLogHandler.logger()
        try await withSender(logger: logger) { sender in
            _ = await sender.deliver(action(receiver.url()), job: DeliveryFixtures.job())
        }
        let record = try #require(records.all.first { $0.metadata["MT_ACTION"] == "webhook" })
        #expect(record.level == .debug)
        #expect(record.metadata["MT_RESULT"] == "permanent")
        #expect(record.metadata["MT_HTTP_STATUS"] == "404")
        #expect(record.metadata["MT_KEY"] == "work/INBOX/Sub folder/7/42/invoices")
    }

    @Test func invalidURLIsPermanent() async throws {
        try await withSender { sender in
            let result = await sender.deliver(action("ftp://127.0.0.1/x?token=QUERYTOKEN"), job: DeliveryFixtures.job())
            guard case let .permanent(reason) = result else { Issue.record("\(result)"); return }
            #expect(reason.contains("invalid webhook URL"))
            #expect(!reason.contains("QUERYTOKEN"))
        }
    }
}

/// `Retry-After` parsing (RFC 9110 §10.2.3), without a server.
@Suite("Delivery: Retry-After")
struct RetryAfterTests {
    let now = Date(timeIntervalSince1970: 784_111_777 - 60)  // one minute before Sun, 06 Nov 1994 08:49:37 GMT
    let cap = Duration.seconds(3600)

    @Test(arguments: [
        ("0", Duration.zero), ("7", .seconds(7)), (" 120 ", .seconds(120)), ("3600", .seconds(3600)), ("3601", .seconds(3600)),
        ("99999999999999999999999", .seconds(3600)),
        ("Sun, 06 Nov 1994 08:49:37 GMT", .seconds(60)), ("Sunday, 06-Nov-94 08:49:37 GMT", .seconds(60)),
        ("Sun Nov  6 08:49:37 1994", .seconds(60)), ("Sun, 06 Nov 1994 08:47:37 GMT", .zero),
    ])
    func valid(value: String, expected: Duration) {
        #expect(RetryAfter.parse(value, now: now, cap: cap) == expected)
    }

    @Test(arguments: ["", "-1", "1.5", "soon", "7 seconds", "Sun, 06 Nov 1994 08:49:37", "0x10", "+5",
                      "Sun, 06 Nov 1994 08:49:37 CET", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                      "Sun, 06 Nov 1994 8:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT"])
    func garbageIsIgnored(value: String) {
        #expect(RetryAfter.parse(value, now: now, cap: cap) == nil)
    }
}
