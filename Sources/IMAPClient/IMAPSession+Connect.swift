import IMAPCore
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

extension IMAPSession {
    /// Opens a session: TCP (with keepalive), TLS as configured, the greeting and — for
    /// `starttls` — the upgrade (RFC 3501 §6.2.1), then reads the capabilities.
    ///
    /// A certificate that fails verification because it expired or is not valid yet says so
    /// (`CertificateDiagnosis`), rather than reading as one from an unknown CA.
    public static func connect(
        _ configuration: IMAPClientConfiguration,
        logger: Logger = Logger(label: "mailtrigger.imap"),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) async throws -> IMAPSession {
        do {
            return try await open(configuration, logger: logger, eventLoopGroup: eventLoopGroup)
        } catch let error as IMAPClientError where error.code == .tlsFailure && error.message.hasPrefix(IMAPClientHandler.untrusted) {
            guard let problem = await certificateValidityProblem(configuration, eventLoopGroup: eventLoopGroup) else { throw error }
            throw IMAPClientError(.tlsFailure, "\(problem) (\(error.message))")
        }
    }

    /// What is wrong with the dates of the certificate the server presents, fetched again
    /// without verification; nil when they are fine or it cannot be fetched.
    static func certificateValidityProblem(_ configuration: IMAPClientConfiguration,
                                           eventLoopGroup: (any EventLoopGroup)?) async -> String? {
        let certificate: NIOSSLCertificate?
        switch configuration.security {
        case .tls:
            certificate = await CertificateDiagnosis.peerCertificate(
                host: configuration.host, port: configuration.port, serverHostname: sniHostname(configuration.host),
                timeout: configuration.connectTimeout, eventLoopGroup: eventLoopGroup)
        case .starttls:
            // The certificate only comes after STARTTLS: a session without verification, closed
            // at once, sends nothing but CAPABILITY and STARTTLS — no credentials.
            var unverified = configuration
            unverified.tls.verify = false
            unverified.allowInsecure = true
            let quiet = Logger(label: "mailtrigger.imap.diagnosis") { _ in SwiftLogNoOpLogHandler() }
            guard let session = try? await open(unverified, logger: quiet, eventLoopGroup: eventLoopGroup) else { return nil }
            certificate = try? await session.channel.nioSSL_peerCertificate().get()
            await session.close()
        case .none:
            return nil
        }
        return certificate.flatMap { CertificateDiagnosis.validityProblem($0) }
    }

    static func open(
        _ configuration: IMAPClientConfiguration,
        logger: Logger,
        eventLoopGroup: (any EventLoopGroup)?
    ) async throws -> IMAPSession {
        var taggedLogger = logger
        taggedLogger[metadataKey: "imap.host"] = "\(configuration.host):\(configuration.port)"
        let logger = taggedLogger
        if configuration.security == .none, !configuration.allowInsecure {
            throw IMAPClientError(.insecureNotAllowed,
                                  "security 'none' sends credentials in clear; it must be allowed explicitly")
        }
        if configuration.security != .none, !configuration.tls.verify {
            // Never by accident: off only with allowInsecure, and said at every connect.
            guard configuration.allowInsecure else {
                throw IMAPClientError(.insecureNotAllowed,
                                      "certificate verification is off; it must be allowed explicitly (allowInsecure)")
            }
            logger.warning("TLS certificate verification is off: anyone on the path can read the mail and the credentials")
        }
        let sslContext = configuration.security == .none ? nil : try Self.sslContext(configuration.tls)
        let hostname = sniHostname(configuration.host)
        // The handler and its greeting are captured as the pipeline is built: a TLS failure
        // can tear the pipeline down before anyone could look the handler up afterwards.
        let installed = NIOLockedValueBox<(NIOLoopBound<IMAPClientHandler>, EventLoopFuture<StatusResponse>)?>(nil)
        let bootstrap = keepalive(ClientBootstrap(group: eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(configuration.connectTimeout), enabled: configuration.tcpKeepalive)
            .channelOption(ChannelOptions.allocator, value: PageBackedAllocator.allocator)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if configuration.security == .tls, let sslContext {
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: hostname)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    let greeting = channel.eventLoop.makePromise(of: StatusResponse.self)
                    let handler = IMAPClientHandler(commandTimeout: configuration.commandTimeout,
                                                    limits: configuration.limits, logger: logger, greeting: greeting)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    // The greeting must come within the connect timeout (TLS handshake included).
                    let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    let timeout = channel.eventLoop.scheduleTask(in: configuration.connectTimeout) {
                        bound.value.fail(IMAPClientError(.timeout, "no greeting within \(configuration.connectTimeout.nanoseconds / 1_000_000) ms"))
                    }
                    greeting.futureResult.whenComplete { _ in timeout.cancel() }
                    installed.withLockedValue { $0 = (bound, greeting.futureResult) }
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw IMAPClientError(.connectFailed, "cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
        guard let (handler, greetingFuture) = installed.withLockedValue({ $0 }) else {
            try? await channel.close()
            throw IMAPClientError(.connectFailed, "connection set-up failed")
        }
        let greeting: StatusResponse
        do {
            greeting = try await greetingFuture.get()
        } catch {
            try? await channel.close()
            throw IMAPClientHandler.classify(error)
        }
        let session = IMAPSession(configuration: configuration, greeting: greeting, channel: channel,
                                  handler: handler, logger: logger)
        do {
            guard greeting.kind != .bye else {
                throw IMAPClientError(.connectionClosed, "server refused the connection", serverText: greeting.text)
            }
            if configuration.security == .starttls, let sslContext {
                try await session.startTLS(sslContext, hostname: hostname)
            } else if try await session.capabilities.isEmpty {
                _ = try await session.capability()
            }
            logger.debug("connected", metadata: ["imap.security": "\(configuration.security.rawValue)"])
            return session
        } catch {
            await session.close()
            throw error
        }
    }

    /// TCP keepalive tuned for IDLE: Linux waits two hours before the first probe by default,
    /// far too long to notice a peer that vanished while we wait for EXISTS. Probes start after
    /// 60 s of silence, every 15 s, and 4 unanswered probes drop the connection (~2 minutes).
    static func keepalive(_ bootstrap: ClientBootstrap, enabled: Bool) -> ClientBootstrap {
        var bootstrap = bootstrap.channelOption(ChannelOptions.socketOption(.so_keepalive), value: enabled ? 1 : 0)
        #if canImport(Glibc)
        if enabled {
            for (name, value) in [(TCP_KEEPIDLE, 60), (TCP_KEEPINTVL, 15), (TCP_KEEPCNT, 4)] {
                let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: name))
                bootstrap = bootstrap.channelOption(option, value: SocketOptionValue(value))
            }
        }
        #endif
        return bootstrap
    }

    /// STARTTLS (RFC 3501 §6.2.1): refused unless advertised; never after PREAUTH (RFC 2595 §3.1).
    func startTLS(_ sslContext: NIOSSLContext, hostname: String?) async throws {
        guard greeting.kind != .preauth else {
            throw IMAPClientError(.startTLSUnavailable, "server greeted with PREAUTH; STARTTLS is impossible")
        }
        var capabilities = try await self.capabilities
        if capabilities.isEmpty { capabilities = try await capability() }
        guard capabilities.contains(.startTLS) else {
            throw IMAPClientError(.startTLSUnavailable, "server does not advertise STARTTLS")
        }
        let promise = eventLoop.makePromise(of: CommandResult.self)
        let handler = self.handler
        eventLoop.execute {
            do {
                let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: hostname)
                handler.value.submit(.startTLS, promise: promise, tlsHandler: tls)
            } catch {
                promise.fail(IMAPClientError(.tlsFailure, "cannot set up TLS: \(error)"))
            }
        }
        let result: CommandResult
        do {
            result = try await promise.futureResult.get()
        } catch {
            throw IMAPClientHandler.classify(error)
        }
        guard result.status.kind == .ok else {
            throw IMAPClientError(.startTLSUnavailable, "server refused STARTTLS", serverText: result.status.text)
        }
        // Capabilities before TLS are not to be trusted (RFC 3501 §6.2.1).
        _ = try await capability()
    }

    /// An IP address must not be sent as SNI (RFC 6066 §3); NIOSSL then checks the IP SAN.
    static func sniHostname(_ host: String) -> String? {
        let isIPv4 = host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
        return isIPv4 || host.contains(":") ? nil : host
    }

    /// One TLS context per distinct set of options, shared by every session that uses it: a
    /// context holds the parsed system trust store (about 1 MB), and a daemon watching 100
    /// mailboxes would otherwise hold 100 copies. Contexts are immutable and thread-safe.
    private static let sslContexts = NIOLockedValueBox<[IMAPClientConfiguration.TLSOptions: NIOSSLContext]>([:])

    static func sslContext(_ options: IMAPClientConfiguration.TLSOptions) throws -> NIOSSLContext {
        if let cached = sslContexts.withLockedValue({ $0[options] }) { return cached }
        let context = try makeSSLContext(options)
        return sslContexts.withLockedValue { cache in
            if let raced = cache[options] { return raced }
            cache[options] = context
            return context
        }
    }

    static func makeSSLContext(_ options: IMAPClientConfiguration.TLSOptions) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = options.minimumVersion == .tls13 ? .tlsv13 : .tlsv12
        if let maximum = options.maximumVersion { tls.maximumTLSVersion = maximum == .tls13 ? .tlsv13 : .tlsv12 }
        tls.certificateVerification = options.verify ? .fullVerification : .none
        tls.trustRoots = systemTrustRoots
        if let caFile = options.caFile {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
                guard !certificates.isEmpty else {
                    throw IMAPClientError(.tlsFailure, "CA file \(caFile) holds no certificate")
                }
                tls.additionalTrustRoots = [.certificates(certificates)]
            } catch let error as IMAPClientError {
                throw error
            } catch {
                throw IMAPClientError(.tlsFailure, "cannot read CA file \(caFile): \(error)")
            }
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw IMAPClientError(.tlsFailure, "cannot set up TLS: \(error)")
        }
    }
}
