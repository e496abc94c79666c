import Crypto
import IMAPClient
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Delivers one webhook job: a `POST` of the payload (DESIGN.md §5 webhook contract,
/// `docs/actions.md`).
///
/// Headers: `Content-Type: application/json`, `User-Agent`, `Idempotency-Key` (the message key,
/// shared by retries so receivers can deduplicate), the action's own headers, and with a secret
/// `X-Mailtrigger-Timestamp` and `<signatureHeader>: sha256=<hex HMAC-SHA256(secret,
/// "<timestamp>.<body>")>` (RFC 2104). The action's timeout bounds the whole exchange, body
/// included. Redirects are not followed: a 3xx is a permanent failure, because re-sending a
/// signed payload somewhere else is not the sender's call.
///
/// Classification: 2xx succeeded; 408, 429, 5xx and transport failures (refused, reset, timed
/// out, TLS) are retryable, honouring `Retry-After` (RFC 9110 §10.2.3); everything else is
/// permanent. Reasons name `host:port` only: URLs may carry tokens in their userinfo, path or
/// query, and the secret is never echoed.
public final class WebhookSender: Sendable {
    /// The `User-Agent` sent unless the action sets its own.
    public static let userAgent = "mailtrigger/0.1"
    /// The header carrying the signed timestamp.
    public static let timestampHeader = "X-Mailtrigger-Timestamp"
    /// How much of it goes into the reason.
    static let reasonBodyCharacters = 200
    /// The longest `Retry-After` honoured: a receiver asking for a day must not park a job
    /// beyond the outbox's age limit in one step.
    static let maxRetryAfter: Duration = .seconds(3600)

    let client: WebhookClient
    let logger: Logger
    /// Webhook URLs already parsed (`target(for:)`).
    private let targets = Mutex<[String: WebhookTarget]>([:])

    /// The caller owns `client` and shuts it down.
    public init(client: WebhookClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// POSTs `job.payload` to `action.url` and classifies the outcome. The signing secret and
    /// the header values are read for each delivery (a rotated file is picked up); `now` stamps
    /// the signature and anchors an HTTP-date `Retry-After`.
    public func deliver(_ action: WebhookAction, job: StateStore.Job, now: Date = Date()) async -> StateStore.AttemptResult {
        let secret: String?
        let extraHeaders: [String: String]
        do {
            secret = try action.secret?.resolve()
            extraHeaders = try action.headers.mapValues { try $0.resolve() }
        } catch {
            // The file or variable may come back (a mounted secret); worth a retry. The error
            // names the source, never a value.
            return .retryable("cannot read a webhook secret: \(error)", retryAfter: nil)
        }
        // Made only when a reason or a log line needs it: a burst delivers thousands per second.
        func endpoint() -> WebhookEndpoint {
            WebhookEndpoint(url: action.url, secrets: [secret] + Self.sensitiveValues(of: action, resolved: extraHeaders))
        }
        let started = ContinuousClock.now
        var result: StateStore.AttemptResult
        let status: Int?
        do {
            let (target, headers) = try makeRequest(action, headers: extraHeaders, job: job, secret: secret, now: now)
            let outcome = await exchange(target, headers: headers, body: job.payload, timeout: action.timeout)
            (result, status) = classify(outcome, endpoint: endpoint(), timeout: action.timeout, now: now)
            if target.endpoint.secure, let reason = result.reason, reason.contains("CERTIFICATE_VERIFY_FAILED"),
               let problem = await certificateValidityProblem(target.endpoint) {
                // Expired or not yet valid: said as such, not as an unknown CA. Still retried:
                // a renewed certificate lets the deliveries through.
                let explained = endpoint().redact("TLS error: \(problem) (\(reason))")
                result = switch result {
                case let .retryable(_, retryAfter): .retryable(explained, retryAfter: retryAfter)
                case .permanent: .permanent(explained)
                case .succeeded: result
                }
            }
        } catch {
            (result, status) = (.permanent(endpoint().redact("\(error)")), nil)
        }
        guard logger.logLevel <= .debug else { return result }
        let endpoint = endpoint()
        var metadata: Logger.Metadata = [
            "MT_ACTION": "webhook",
            "MT_RESULT": "\(result.label)",
            "MT_KEY": "\(job.messageKey)",
            "MT_TARGET": "\(endpoint.display)",
            "MT_DURATION_MS": "\((ContinuousClock.now - started).milliseconds)",
        ]
        if let status { metadata["MT_HTTP_STATUS"] = "\(status)" }
        if let reason = result.reason { metadata["MT_REASON"] = "\(reason)" }
        logger.debug("webhook delivery", metadata: metadata)
        return result
    }

    /// What is wrong with the dates of the certificate `endpoint` presents (fetched again,
    /// unverified, after verification failed), if that is the reason.
    func certificateValidityProblem(_ endpoint: WebhookTarget.Endpoint) async -> String? {
        let isAddress = (try? SocketAddress(ipAddress: endpoint.host, port: 0)) != nil
        guard let certificate = await CertificateDiagnosis.peerCertificate(
            host: endpoint.host, port: endpoint.port, serverHostname: isAddress ? nil : endpoint.host, timeout: .seconds(5)) else { return nil }
        return CertificateDiagnosis.validityProblem(certificate)
    }

    /// The header values a reason must never show: every one read from a file, a variable or a
    /// credential, and those written inline under a name that usually carries a credential (a
    /// receiver's error page may echo the request's headers).
    static func sensitiveValues(of action: WebhookAction, resolved: [String: String]) -> [String?] {
        action.headers.compactMap { name, reference in
            reference.inlineValue == nil || SecretReference.isCredentialName(name) ? resolved[name] : nil
        }
    }

    /// The request's target and headers (the client adds `Host` and `Content-Length`).
    /// `extraHeaders` are the action's headers, their values read.
    func makeRequest(_ action: WebhookAction, headers extraHeaders: [String: String], job: StateStore.Job, secret: String?,
                     now: Date) throws -> (WebhookTarget, HTTPHeaders) {
        // The action's headers first, minus the ones mailtrigger owns: the body's type, the key
        // receivers deduplicate on, the signature, and the framing the client computes.
        var headers = HTTPHeaders()
        if !extraHeaders.isEmpty {
            var reserved: Set<String> = ["content-type", "idempotency-key", "content-length", "transfer-encoding", "host",
                                         "connection", WebhookSender.timestampHeader.lowercased()]
            reserved.insert(action.signatureHeader.lowercased())
            for (name, value) in extraHeaders.sorted(by: { $0.key < $1.key }) where !reserved.contains(name.lowercased()) {
                headers.add(name: name, value: value)
            }
        }
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        if !headers.contains(name: "User-Agent") {
            headers.add(name: "User-Agent", value: WebhookSender.userAgent)
        }
        headers.replaceOrAdd(name: "Idempotency-Key", value: job.messageKey)
        if let secret {
            let timestamp = String(Int64(now.timeIntervalSince1970.rounded(.down)))
            headers.replaceOrAdd(name: WebhookSender.timestampHeader, value: timestamp)
            headers.replaceOrAdd(name: action.signatureHeader,
                                 value: WebhookSender.signature(secret: secret, timestamp: timestamp, body: job.payload))
        }
        return (try target(for: action.url), headers)
    }

    /// `url` parsed, once per URL: parsing with Foundation costs more than the rest of building
    /// the request, and a daemon posts to the same few URLs all day.
    private func target(for url: String) throws(WebhookTarget.InvalidURL) -> WebhookTarget {
        if let target = targets.withLock({ $0[url] }) { return target }
        let target = try WebhookTarget(url: url)
        targets.withLock { $0[url] = target }
        return target
    }

    /// `sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the timestamp is
    /// signed with the body so a captured request cannot be replayed later with a fresh stamp.
    public static func signature(secret: String, timestamp: String, body: Data) -> String {
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
