public import Foundation
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import NIOSSL
import NIOTLS

/// Says why a server certificate failed verification when its dates are the reason.
///
/// BoringSSL reports an expired certificate, one not valid yet and one from an unknown CA alike,
/// as `CERTIFICATE_VERIFY_FAILED`, which reads as "not trusted" — and sends an operator off
/// looking for a CA file when the server's certificate simply expired. After such a failure the
/// client fetches the certificate once more, without verifying it and sending nothing else, and
/// looks at its validity period (RFC 5280 §4.1.2.5). Only the dates are read: trust is never
/// decided here.
public enum CertificateDiagnosis {
    /// What is wrong with `certificate`'s validity period at `now`, or nil when nothing is.
    public static func validityProblem(_ certificate: NIOSSLCertificate, now: Date = Date()) -> String? {
        let notBefore = Date(timeIntervalSince1970: TimeInterval(certificate.notValidBefore))
        let notAfter = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
        if now > notAfter { return "the server certificate expired on \(day(notAfter))" }
        if now < notBefore { return "the server certificate is not valid before \(day(notBefore))" }
        return nil
    }

    /// The certificate `host:port` presents over implicit TLS, fetched without verification;
    /// nil when none comes within `timeout`.
    public static func peerCertificate(host: String, port: Int, serverHostname: String?, timeout: TimeAmount,
                                       eventLoopGroup: (any EventLoopGroup)? = nil) async -> NIOSSLCertificate? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        guard let context = try? NIOSSLContext(configuration: configuration) else { return nil }
        let group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let handshake = group.next().makePromise(of: Void.self)
        // Completed once, by whichever comes first: the handshake, an error, the deadline.
        let completed = NIOLockedValueBox(false)
        let finish: @Sendable (Result<Void, any Error>) -> Void = { result in
            if completed.withLockedValue({ done in defer { done = true }; return !done }) { handshake.completeWith(result) }
        }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverHostname))
                    try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(finish: finish))
                }
            }
        guard let channel = try? await bootstrap.connect(host: host, port: port).get() else {
            finish(.failure(ChannelError.connectTimeout(.zero)))
            return nil
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            finish(.failure(ChannelError.connectTimeout(.zero)))
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        guard (try? await handshake.futureResult.get()) != nil else { return nil }
        return try? await channel.nioSSL_peerCertificate().get()
    }

    /// `2025-02-01`, in UTC.
    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    /// Reports the end of the TLS handshake, or any error or close before it.
    final class HandshakeWaiter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let finish: @Sendable (Result<Void, any Error>) -> Void

        init(finish: @escaping @Sendable (Result<Void, any Error>) -> Void) {
            self.finish = finish
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event { finish(.success(())) }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failure(error))
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failure(ChannelError.eof))
            context.fireChannelInactive()
        }
    }
}
