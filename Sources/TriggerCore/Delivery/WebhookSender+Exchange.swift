import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension WebhookSender {
    /// What one exchange produced.
    enum Outcome: Sendable {
        case response(status: Int, headers: [(String, String)], body: String)
        /// A transport error, or `HTTPClientError.deadlineExceeded` when `timeout` ran out.
        case failed(any Error)
    }

    /// Sends the request and reads the whole response within `timeout`. The delegate API's
    /// deadline runs until the response's end, so it also bounds a receiver that trickles its
    /// body, with one event-loop timer per request instead of a racing task; cancelling the
    /// calling task cancels the request.
    func exchange(_ request: HTTPClient.Request, timeout: Duration) async -> Outcome {
        let task = httpClient.execute(request: request, delegate: ResponseCollector(),
                                      deadline: .now() + TimeAmount(timeout), logger: logger)
        return await withTaskCancellationHandler {
            do {
                return try await task.futureResult.get()
            } catch {
                return .failed(error)
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// Collects a webhook response: status, headers, and the first `WebhookSender.keptBodyBytes`
/// of the body (read to the end all the same, so the connection can be reused). AsyncHTTPClient
/// calls a delegate on the request's event loop only, one call at a time; that is what makes
/// the unchecked `Sendable` sound.
final class ResponseCollector: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = WebhookSender.Outcome

    private var status = 0
    private var headers: [(String, String)] = []
    private var kept: [UInt8] = []

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        headers = head.headers.map { ($0.name, $0.value) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let room = WebhookSender.keptBodyBytes - kept.count
        if room > 0 { kept.append(contentsOf: buffer.readableBytesView.prefix(room)) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        .response(status: status, headers: headers, body: String(decoding: kept, as: UTF8.self))
    }
}
