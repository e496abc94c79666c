import IMAPCore
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing

@testable import IMAPClient

// STARTTLS (RFC 3501 §6.2.1, RFC 2595 §3.1): after the tagged OK nothing received in clear may
// be used, and TLS starts at the front of the pipeline.

/// Marks the front of the pipeline before STARTTLS, to check the TLS handler goes before it.
private final class FrontMarker: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
}

/// A self-signed test certificate for `localhost` (EC P-256) and its key; test use only.
private enum TestCertificate {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBlTCCATugAwIBAgIUaxGt2Eh44Y5fTqEB9nfl6FR3ix8wCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMTIwNDgxN1oYDzIxMjYxMDI4
        MjA0ODE3WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAARpnFyYLvXHTV8Y3kaJRiG3wompvQxm1aA5IUtstYxLr5Aq5yjXRMde
        vk6g9KnEyWfkzdxBndr/QHKqr1fxa2pKo2kwZzAdBgNVHQ4EFgQU5lE3E4Bg4odV
        a/c3UO2FrRtUat0wHwYDVR0jBBgwFoAU5lE3E4Bg4odVa/c3UO2FrRtUat0wDwYD
        VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
        SAAwRQIgMVysXMvvbO/PdF9S/o/CqkmVXM9tmhZ/IBNAfP6G9WUCIQChqO5jxcHz
        ob8uA0wlL2I973qie7+YWcvRMPAkY5gLjw==
        -----END CERTIFICATE-----
        """
    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcj+OK7uVIXn+GI8z
        lgZV/SolCc3yUBQmGdrz02MkUx2hRANCAARpnFyYLvXHTV8Y3kaJRiG3wompvQxm
        1aA5IUtstYxLr5Aq5yjXRMdevk6g9KnEyWfkzdxBndr/QHKqr1fxa2pK
        -----END PRIVATE KEY-----
        """
}

@Suite struct HandlerStartTLSTests {
    private func makeTLSHandler(verify: Bool = true) throws -> NIOSSLClientHandler {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !verify { configuration.certificateVerification = .none }
        return try NIOSSLClientHandler(context: NIOSSLContext(configuration: configuration), serverHostname: "localhost")
    }

    /// Greets with STARTTLS and LITERAL+, marks the pipeline front, and sends STARTTLS.
    private func startTLS(_ h: Harness, tls: NIOSSLClientHandler) throws -> Outcome<CommandResult> {
        try h.greet("* OK [CAPABILITY IMAP4rev1 STARTTLS LITERAL+ LOGINDISABLED] ready\r\n")
        #expect(h.handler.capabilities.contains(.literalPlus))
        try h.channel.pipeline.syncOperations.addHandler(FrontMarker(), position: .first)
        let result = h.submit(.startTLS, tlsHandler: tls)
        #expect(try h.written() == ["A0001 STARTTLS\r\n"])
        return result
    }

    private func position(of name: String, in pipeline: String) -> String.Index? {
        pipeline.firstRange(of: name)?.lowerBound
    }

    @Test func okDiscardsBufferedBytesAndStartsTLSAtTheFront() throws {
        let h = try Harness()
        let result = try startTLS(h, tls: try makeTLSHandler())
        try h.feed("A0001 OK Begin TLS now\r\n* OK injected\r\n")
        #expect(result.isPending)  // completes when the handshake does
        #expect(h.handler.capabilities.isEmpty)
        #expect(h.handler.takeEvents().isEmpty)
        #expect(h.isOpen)
        let pipeline = h.channel.pipeline.debugDescription
        let tlsAt = try #require(position(of: "NIOSSLClientHandler", in: pipeline))
        let markerAt = try #require(position(of: "FrontMarker", in: pipeline))
        #expect(tlsAt < markerAt)
        // The next thing on the wire is the TLS ClientHello: a handshake record (0x16).
        let hello = try #require(try h.channel.readOutbound(as: ByteBuffer.self))
        #expect(hello.getInteger(at: hello.readerIndex, as: UInt8.self) == 0x16)
        #expect(hello.readableBytes > 5)
    }

    @Test func injectedResponsesAfterTheOKAreNotProcessed() throws {
        let h = try Harness()
        let result = try startTLS(h, tls: try makeTLSHandler())
        try h.feed("A0001 OK Begin TLS now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n* 9 EXISTS\r\n"
            + "* OK [ALERT] injected\r\nA0002 OK [CAPABILITY IMAP4rev1] fake\r\n")
        #expect(result.isPending)
        #expect(h.handler.capabilities.isEmpty)
        #expect(h.handler.takeEvents().isEmpty)
        #expect(h.handler.newMailSignals == 0)
        #expect(h.handler.closedError == nil)  // the unknown tag was never parsed either
        #expect(h.isOpen)
    }

    @Test func plaintextWhereTLSIsExpectedIsATLSFailure() throws {
        let h = try Harness()
        let result = try startTLS(h, tls: try makeTLSHandler())
        try h.feed("A0001 OK Begin TLS now\r\n")
        _ = try h.written()
        try h.feed("* OK this is not TLS at all\r\n")
        #expect(result.error?.code == .tlsFailure)
        #expect(!h.isOpen)
    }

    @Test func noAnswerCompletesWithNoAndAddsNoTLSHandler() throws {
        let h = try Harness()
        let result = try startTLS(h, tls: try makeTLSHandler())
        let capability = h.submit(.capability)
        #expect(try h.written().isEmpty)  // STARTTLS blocks the queue until it is settled
        try h.feed("A0001 NO STARTTLS not available\r\n")
        #expect(result.value?.kind == .no)
        #expect(result.value?.status.text == "STARTTLS not available")
        #expect((try? h.channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)) == nil)
        #expect(h.handler.capabilities.contains(.startTLS))
        #expect(try h.written() == ["A0002 CAPABILITY\r\n"])  // in clear
        #expect(capability.isPending)
    }

    /// Moves bytes between client and server until neither has anything to send.
    private func interact(_ client: EmbeddedChannel, _ server: EmbeddedChannel) throws {
        var moved = true
        while moved {
            moved = false
            while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                try server.writeInbound(bytes)
                moved = true
            }
            while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                try client.writeInbound(bytes)
                moved = true
            }
        }
    }

    private func plaintext(_ server: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try server.readInbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func completedHandshakeFinishesStartTLSAndForgetsPreTLSCapabilities() throws {
        let certificate = try NIOSSLCertificate(bytes: Array(TestCertificate.certificate.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(TestCertificate.privateKey.utf8), format: .pem)
        let serverContext = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(certificate)], privateKey: .privateKey(key)))
        let server = EmbeddedChannel()
        defer { Harness.tearDown(server) }
        try server.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
        server.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 50000), promise: nil)

        let h = try Harness()
        let result = try startTLS(h, tls: try makeTLSHandler(verify: false))
        // Injected behind the OK in the same read: must be gone for good, not parsed later.
        try h.feed("A0001 OK Begin TLS now\r\n* CAPABILITY IMAP4rev1 LITERAL+\r\n* 9 EXISTS\r\n")
        try interact(h.channel, server)
        #expect(result.value?.kind == .ok)
        #expect(result.value?.status.text == "TLS established")
        #expect(h.handler.capabilities.isEmpty)

        // LITERAL+ was advertised before TLS only: it must not be relied on now.
        let append = h.submit(.append(mailbox: "INBOX", flags: [], date: nil, message: ByteBuffer(string: "Hello")))
        try interact(h.channel, server)
        #expect(try plaintext(server) == "A0002 APPEND INBOX {5}\r\n")
        try server.writeOutbound(ByteBuffer(string: "+ go ahead\r\n"))
        try interact(h.channel, server)
        #expect(try plaintext(server) == "Hello\r\n")
        try server.writeOutbound(ByteBuffer(string: "* CAPABILITY IMAP4rev1 IDLE\r\nA0002 OK appended\r\n"))
        try interact(h.channel, server)
        #expect(append.value?.kind == .ok)
        #expect(h.handler.capabilities == [.imap4rev1, .idle])
        #expect(h.handler.takeEvents().isEmpty)
        #expect(h.handler.newMailSignals == 0)
        #expect(h.isOpen)
    }
}
