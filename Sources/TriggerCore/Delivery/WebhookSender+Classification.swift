import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension WebhookSender {
    /// Maps an exchange to an attempt result (DESIGN.md §5) and the HTTP status, if any.
    /// `endpoint` is only made for a failure's reason.
    func classify(_ outcome: Outcome, endpoint makeEndpoint: @autoclosure () -> WebhookEndpoint, timeout: Duration,
                  now: Date) -> (StateStore.AttemptResult, Int?) {
        if case let .response(status, _, _) = outcome, (200...299).contains(status) { return (.succeeded, status) }
        let endpoint = makeEndpoint()
        switch outcome {
        case let .response(status, headers, body):
            var reason = "HTTP \(status) from \(endpoint.display)"
            let excerpt = Self.excerpt(body)
            if !excerpt.isEmpty { reason += ": " + excerpt }
            reason = endpoint.redact(reason)
            if status == 408 || status == 429 || (500...599).contains(status) {
                let retryAfter = headers.first { $0.0.caseInsensitiveCompare("Retry-After") == .orderedSame }
                    .flatMap { RetryAfter.parse($0.1, now: now, cap: Self.maxRetryAfter) }
                return (.retryable(reason, retryAfter: retryAfter), status)
            }
            // 1xx as a final answer, 3xx (redirects are not followed), other 4xx: sending the
            // same request again cannot help.
            return (.permanent(reason), status)
        case let .failed(error):
            guard let (cause, permanent) = Self.describe(error) else {
                return (.retryable(endpoint.redact("timed out after \(timeout.shortDescription) waiting for \(endpoint.display)"),
                                   retryAfter: nil), nil)
            }
            let reason = endpoint.redact("\(cause) (\(endpoint.display))")
            return (permanent ? .permanent(reason) : .retryable(reason, retryAfter: nil), nil)
        }
    }

    /// The first characters of a response body on one line, for a reason.
    static func excerpt(_ body: String) -> String {
        let flat = String(body.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        let trimmed = flat.trimmingCharacters(in: .whitespaces)
        guard trimmed.count > reasonBodyCharacters else { return trimmed }
        return String(trimmed.prefix(reasonBodyCharacters)) + "…"
    }

    /// A short cause for a transport error and whether it is permanent (the request itself is
    /// wrong, so retrying cannot help); nil for the request's own deadline. Everything network
    /// related is retryable: receivers restart, and certificates get fixed.
    static func describe(_ error: any Error) -> (String, permanent: Bool)? {
        if error is CancellationError { return ("cancelled", false) }
        if let failure = error as? WebhookClient.Failure {
            switch failure {
            case .timedOut: return nil
            case let .failedBeforeResponse(underlying): return describe(underlying)
            case .invalidRequest: return (failure.description, true)
            case .closed, .shutDown: return (failure.description, false)
            }
        }
        if let invalid = error as? WebhookTarget.InvalidURL { return (invalid.description, true) }
        if let ioError = findIOError(in: error, depth: 0) {
            return (errnoDescription(ioError.errnoCode), false)
        }
        let typeName = String(reflecting: type(of: error))
        if typeName.contains("NIOSSL") || typeName.contains("BoringSSL") {
            if "\(error)".contains("failedToValidateHostname") {
                return ("TLS error: the certificate does not match the host name (\(error))", false)
            }
            return ("TLS error: \(error)", false)
        }
        if typeName.contains("NIOConnectionError") {
            // DNS failures: NIOConnectionError's description is "DNS error: …".
            return ("cannot connect: \(error)", false)
        }
        return ("\(error)", false)
    }

    /// An `IOError` somewhere inside `error` (NIOPosix's `NIOConnectionError` wraps one per
    /// address tried); found by reflection so TriggerCore needs no NIOPosix import.
    private static func findIOError(in value: Any, depth: Int) -> IOError? {
        if let ioError = value as? IOError { return ioError }
        guard depth < 4 else { return nil }
        for child in Mirror(reflecting: value).children {
            if let found = findIOError(in: child.value, depth: depth + 1) { return found }
        }
        return nil
    }

    private static func errnoDescription(_ code: CInt) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset by peer"
        case ETIMEDOUT: return "connection timed out"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case EPIPE: return "connection closed by peer"
        default: return "I/O error: " + String(cString: strerror(code))
        }
    }
}
