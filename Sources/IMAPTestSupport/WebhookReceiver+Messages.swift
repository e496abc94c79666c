public import Foundation

extension WebhookReceiver {
    /// One request as it arrived.
    public struct Request: Sendable {
        /// `POST`, `GET`, …
        public var method: String
        /// The request target as sent (path and query), e.g. `/hook?x=1`.
        public var path: String
        /// Header fields in arrival order, names as sent.
        public var headers: [(name: String, value: String)]
        public var body: Data
        /// When the whole request (head and body) had arrived, on the monotonic clock; compare
        /// with `ContinuousClock.now` taken in the test.
        public var receivedAt: ContinuousClock.Instant
        /// The same moment on the wall clock, for logs and cross-process latency measurements.
        public var date: Date

        public init(method: String, path: String, headers: [(name: String, value: String)], body: Data,
                    receivedAt: ContinuousClock.Instant, date: Date) {
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
            self.receivedAt = receivedAt
            self.date = date
        }

        /// The first value of a header field; names compare case-insensitively (RFC 9110 §5.1).
        public subscript(header name: String) -> String? {
            headers.first { Self.sameName($0.name, name) }?.value
        }

        /// Every value of a header field, in order.
        public func values(of name: String) -> [String] {
            headers.filter { Self.sameName($0.name, name) }.map(\.value)
        }

        /// Field names are ASCII tokens (RFC 9110 §5.1): compared byte by byte with ASCII case
        /// folding, which a receiver counting thousands of requests per second can afford.
        static func sameName(_ lhs: String, _ rhs: String) -> Bool {
            lhs.utf8.elementsEqual(rhs.utf8) { a, b in
                a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A)
            }
        }

        /// The body as UTF-8 text (invalid bytes replaced).
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    /// How the receiver answers one request.
    public struct Response: Sendable {
        public var status: Int
        /// Extra header fields, e.g. `("Retry-After", "7")`; `Content-Length` is always set.
        public var headers: [(name: String, value: String)]
        public var body: String
        /// How long to wait before answering (a slow receiver); measured on the event loop, so
        /// it costs no thread.
        public var delay: Duration

        public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: String = "",
                    delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }

        public static let ok = Response()
    }

    /// `waitForRequests` gave up.
    public struct Timeout: Error, CustomStringConvertible {
        public var expected: Int
        public var received: Int
        public var description: String { "webhook receiver: expected \(expected) requests, got \(received) in time" }
    }
}
