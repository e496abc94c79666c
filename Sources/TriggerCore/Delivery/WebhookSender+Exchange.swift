import Foundation
import NIOCore
import NIOHTTP1

extension WebhookSender {
    /// What one exchange produced.
    enum Outcome: Sendable {
        case response(status: Int, headers: [(String, String)], body: String)
        /// A transport error, or `WebhookClient.Failure.timedOut` when `timeout` ran out.
        case failed(any Error)
    }

    /// Posts `body` and reads the whole response within `timeout`: one deadline on the event
    /// loop bounds connecting, the TLS handshake, the request and a receiver trickling its
    /// response. Cancelling the calling task closes the connection.
    func exchange(_ target: WebhookTarget, headers: HTTPHeaders, body: Data, timeout: Duration) async -> Outcome {
        var buffer = ByteBufferAllocator().buffer(capacity: body.count)
        buffer.writeBytes(body)
        do {
            let response = try await client.post(target, headers: headers, body: buffer, deadline: .now() + TimeAmount(timeout))
            return .response(status: response.status, headers: response.headers, body: String(decoding: response.body, as: UTF8.self))
        } catch {
            return .failed(Task.isCancelled ? CancellationError() : error)
        }
    }
}
