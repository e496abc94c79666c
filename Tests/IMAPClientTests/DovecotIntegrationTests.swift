@testable import IMAPClient
import IMAPCore
import IMAPTestSupport
import NIOCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// IMAPClient against a real Dovecot (scripts/imap-test-server.sh) and a real Cyrus IMAP
/// (scripts/cyrus-test-server.sh), each test once per ``TestServer``. Display names start with
/// "Dovecot and Cyrus:" so scripts/test.sh can check that they ran.
@Suite("Dovecot integration", .enabled(if: DovecotEnvironment.shouldRun))
struct DovecotIntegrationTests {
    @Test("Dovecot and Cyrus: log in over implicit TLS, STARTTLS and plain",
          arguments: TestServer.available, [IMAPSecurity.tls, .starttls, .none])
    func login(server: TestServer, security: IMAPSecurity) async throws {
        let env = try server.require()
        let session = try await IMAPSession.connect(env.configuration(security))
        let before = try await session.capabilities
        if security == .starttls {
            #expect(!before.contains(.startTLS), "capabilities must be re-read after STARTTLS")
        }
        try await session.login(username: env.users[0], password: env.password)
        let after = try await session.capabilities
        #expect(after.contains(.idle))
        #expect(after.contains(.move))
        #expect(after.contains(.uidPlus))
        await session.logout()
        #expect(!session.isOpen)
    }

    @Test("Dovecot and Cyrus: AUTHENTICATE PLAIN with SASL-IR and ID", arguments: TestServer.available)
    func authenticatePlain(_ server: TestServer) async throws {
        let env = try server.require()
        let session = try await IMAPSession.connect(env.configuration(.tls))
        #expect(try await session.supports(.saslIR))
        try await session.authenticate(PlainMechanism(username: env.users[1], password: env.password))
        let fields = try await session.id([IDField(key: "name", value: "mailtrigger-tests")])
        // Dovecot says "Dovecot", Cyrus "Cyrus IMAP".
        #expect(fields.contains { $0.key.lowercased() == "name" && $0.value?.hasPrefix(server == .dovecot ? "Dovecot" : "Cyrus") == true },
                "\(fields)")
        let status = try await session.status("INBOX")
        #expect(status.uidValidity != nil)
        #expect(try await session.enable([.condStore]) == [.condStore])
        let examined = try await session.select("INBOX", readOnly: true)
        #expect(examined.readOnly)
        #expect(examined.highestModSeq != nil, "CONDSTORE is enabled, so SELECT reports HIGHESTMODSEQ")
        let selected = try await session.select("INBOX")
        #expect(!selected.readOnly)
        #expect(selected.permanentFlags.contains(.seen))
        #expect(selected.flags.contains(.deleted))
        await session.logout()
    }

    @Test("Dovecot and Cyrus: TLS version bounds are honoured",
          arguments: TestServer.available,
          [(IMAPClientConfiguration.TLSVersionOption.tls12, IMAPClientConfiguration.TLSVersionOption?.some(.tls12)), (.tls13, nil)])
    func tlsVersions(server: TestServer, bounds: (minimum: IMAPClientConfiguration.TLSVersionOption,
                                                  maximum: IMAPClientConfiguration.TLSVersionOption?)) async throws {
        let (minimum, maximum) = bounds
        let env = try server.require()
        var configuration = env.configuration(.tls)
        configuration.tls.minimumVersion = minimum
        configuration.tls.maximumVersion = maximum
        let session = try await IMAPSession.connect(configuration)
        try await session.login(username: env.users[7], password: env.password)
        try await session.noop()
        await session.logout()
    }

    @Test("Dovecot and Cyrus: wrong password is an authentication error without the password in it", arguments: TestServer.available)
    func wrongPassword(_ server: TestServer) async throws {
        let env = try server.require()
        let session = try await IMAPSession.connect(env.configuration(.tls))
        let secret = "definitely-wrong-secret-42"
        let error = await #expect(throws: IMAPClientError.self) {
            try await session.login(username: env.users[0], password: secret)
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.scope == .account)
        #expect(!"\(String(describing: error))".contains(secret))
        let plain = await #expect(throws: IMAPClientError.self) {
            try await session.authenticate(PlainMechanism(username: env.users[0], password: secret))
        }
        #expect(plain?.code == .authenticationFailed)
        await session.close()
    }

    @Test("Dovecot and Cyrus: a certificate from an untrusted CA is a TLS error",
          arguments: TestServer.available, [IMAPSecurity.tls, .starttls])
    func untrustedCA(server: TestServer, security: IMAPSecurity) async throws {
        let env = try server.require()
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(env.configuration(security, caFile: env.otherCAFile))
        }
        #expect(error?.code == .tlsFailure)
        // With verification off the same server is accepted (an operator's explicit choice),
        // and a warning says so at the connect.
        let (logger, records) = RecordingLogHandler.logger()
        let session = try await IMAPSession.connect(env.configuration(security, caFile: env.otherCAFile, verify: false), logger: logger)
        await session.logout()
        #expect(records.all.contains { $0.level == .warning && $0.message.contains("certificate verification is off") })
        // Never by accident: verification off without allowInsecure is refused before connecting.
        var accidental = env.configuration(security, caFile: env.otherCAFile, verify: false)
        accidental.allowInsecure = false
        let refused = await #expect(throws: IMAPClientError.self) { _ = try await IMAPSession.connect(accidental) }
        #expect(refused?.code == .insecureNotAllowed)
    }

    @Test("Dovecot and Cyrus: TCP keepalive is on and tuned for IDLE", arguments: TestServer.available)
    func keepalive(_ server: TestServer) async throws {
        let env = try server.require()
        let session = try await env.session()
        let keepalive = try await session.channel.getOption(ChannelOptions.socketOption(.so_keepalive)).get()
        #expect(keepalive == 1)
        let idle = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: TCP_KEEPIDLE))
        #expect(try await session.channel.getOption(idle).get() == 60)
        await session.logout()
    }

    @Test("Dovecot and Cyrus: plain security must be allowed explicitly", arguments: TestServer.available)
    func insecureRefused(_ server: TestServer) async throws {
        let env = try server.require()
        var configuration = env.configuration(.none)
        configuration.allowInsecure = false
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await IMAPSession.connect(configuration)
        }
        #expect(error?.code == .insecureNotAllowed)
    }

    @Test("Dovecot and Cyrus: LIST and STATUS, with a non-ASCII mailbox name", arguments: TestServer.available)
    func listAndStatus(_ server: TestServer) async throws {
        let env = try server.require()
        let session = try await env.session()
        try await env.withMailbox(session, prefix: "Отчёты & 日本") { mailbox in
            let listing = try await session.list()
            let names = listing.map(\.name)
            #expect(names.contains("INBOX"))
            // The private Dovecot creates the special-use folders; the private Cyrus does not.
            if server == .dovecot { #expect(names.contains("Archive")) }
            let mine = try #require(listing.first { $0.name == mailbox })
            #expect(mine.wireName != mailbox, "the wire name is modified UTF-7")
            #expect(mine.delimiter == "/")
            let status = try await session.status(mailbox)
            #expect(status.messages == 0)
            #expect(status.uidNext == 1)
        }
        await session.logout()
    }

    @Test("Dovecot and Cyrus: APPEND 100 messages, UID SEARCH and UID FETCH them back byte-identical", arguments: TestServer.available)
    func appendSearchFetch(_ server: TestServer) async throws {
        let env = try server.require()
        let session = try await env.session(user: env.users[2])
        try await env.withMailbox(session) { mailbox in
            var sent: [UInt32: String] = [:]
            for index in 0..<100 {
                // Every tenth message is large and has 8-bit content, so literals are exercised.
                let body = index % 10 == 0 ? String(repeating: "Zeile \(index) — äöü\n", count: 2000) : "Body \(index)"
                let message = DovecotEnvironment.message(subject: "Message \(index)", body: body)
                let appended = try #require(try await session.append(ByteBuffer(message: message), to: mailbox,
                                                                      flags: index % 2 == 0 ? [.flagged] : []))
                sent[appended.uid] = message
            }
            let selected = try await session.select(mailbox)
            #expect(selected.exists == 100)
            #expect(selected.uidNext == 101)
            let uids = try await session.uidSearch(.uid(.from(1)))
            #expect(uids == Array(1...100))
            // `n:*` always returns the highest message even when n is beyond it (RFC 3501 §6.4.8).
            #expect(try await session.uidSearch(.uid(.from(500))) == [100])
            var received: [UInt32: FetchedMessage] = [:]
            try await session.fetchMessages(uids: uids, batchSize: 17, pipelineDepth: 3) { message in
                received[message.uid] = message
            }
            #expect(received.count == 100)
            for (uid, text) in sent {
                let message = try #require(received[uid])
                #expect(message.body == ByteBuffer(string: text), "UID \(uid) differs")
                #expect(message.size == UInt64(text.utf8.count))
                #expect(!message.truncated)
                #expect(message.flags.contains(.seen) == false, "BODY.PEEK must not set \\Seen")
            }
            #expect(received[1]?.flags.contains(.flagged) == true)
            #expect(received[2]?.flags.contains(.flagged) == false)
            // The size cap: a partial fetch, marked truncated.
            try await session.fetchMessages(uids: [1], maxBodySize: 100) { message in
                #expect(message.body.readableBytes == 100)
                #expect(message.truncated)
            }
            let envelopes = try await session.uidFetch(UIDSet(values: [5]), items: [.uid, .envelope, .flags])
            #expect(envelopes.first?.envelope?.subject == "Message 4")
            #expect(envelopes.first?.flags?.contains(.seen) == false)
        }
        await session.logout()
    }

    @Test("Dovecot and Cyrus: IDLE sees an APPEND from a second connection within 1 s", arguments: TestServer.available)
    func idleSeesAppend(_ server: TestServer) async throws {
        let env = try server.require()
        try await env.withWatcherAndWriter(user: env.users[3]) { watcher, writer, mailbox in
            let idle = try await watcher.idle()
            let clock = ContinuousClock()
            let start = clock.now
            try await writer.append(ByteBuffer(message: DovecotEnvironment.message(subject: "wake up")), to: mailbox)
            var iterator = idle.events.makeAsyncIterator()
            var sawExists = false
            while let event = try await iterator.next() {
                if case .exists(1) = event { sawExists = true; break }
            }
            let elapsed = clock.now - start
            #expect(sawExists)
            #expect(elapsed < .seconds(1), "EXISTS after \(elapsed)")
            try await idle.done()
            // The session is usable after DONE.
            #expect(try await watcher.uidSearch(.all) == [1])
        }
    }

    @Test("Dovecot and Cyrus: EXISTS seen inside another command's reply is kept as an event", arguments: TestServer.available)
    func existsOutsideIdle(_ server: TestServer) async throws {
        let env = try server.require()
        try await env.withWatcherAndWriter(user: env.users[4]) { watcher, writer, mailbox in
            _ = try await watcher.takeEvents()
            try await writer.append(ByteBuffer(message: DovecotEnvironment.message(subject: "quiet arrival")), to: mailbox)
            // Dovecot reports the new message on the next command of the watcher.
            var events: [MailboxEvent] = []
            for _ in 0..<20 where !events.contains(.exists(1)) {
                try await watcher.noop()
                events += try await watcher.takeEvents()
                if !events.contains(.exists(1)) { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(events.contains(.exists(1)))
        }
    }

    @Test("Dovecot and Cyrus: STORE, COPY, MOVE and UID EXPUNGE", arguments: TestServer.available)
    func storeCopyMoveExpunge(_ server: TestServer) async throws {
        let env = try server.require()
        let session = try await env.session(user: env.users[5])
        try await env.withMailbox(session, prefix: "src") { source in
            try await env.withMailbox(session, prefix: "dst") { destination in
                for index in 0..<5 {
                    try await session.append(ByteBuffer(message: DovecotEnvironment.message(subject: "m\(index)")), to: source)
                }
                _ = try await session.select(source)
                try await session.uidStore(UIDSet(values: [1, 2]), .add, flags: [.seen, Flag("$Processed")])
                let flags = try await session.uidFetch(UIDSet(values: [1, 2, 3]), items: [.uid, .flags])
                #expect(flags.first { $0.uid == 1 }?.flags?.contains(Flag("$processed")) == true)
                #expect(flags.first { $0.uid == 3 }?.flags?.contains(.seen) == false)
                try await session.uidStore(UIDSet(values: [2]), .remove, flags: [.seen])
                let code = try await session.uidCopy(UIDSet(values: [1]), to: destination)
                guard case let .copyUID(_, sourceSet, destinationSet)? = code else {
                    Issue.record("no COPYUID in \(String(describing: code))")
                    return
                }
                #expect(sourceSet.contains(1))
                #expect(destinationSet.contains(1))
                try await session.uidMove(UIDSet(values: [2]), to: destination)
                #expect(try await session.uidSearch(.all) == [1, 3, 4, 5])
                try await session.uidStore(UIDSet(values: [4, 5]), .add, flags: [.deleted])
                try await session.uidExpunge(UIDSet(values: [4]))
                #expect(try await session.uidSearch(.all) == [1, 3, 5], "UID EXPUNGE removes only UID 4")
                let destinationStatus = try await session.status(destination)
                #expect(destinationStatus.messages == 2)
            }
        }
        await session.logout()
    }

    @Test("Dovecot and Cyrus: a missing mailbox is a command error and the session stays usable", arguments: TestServer.available)
    func missingMailbox(_ server: TestServer) async throws {
        let env = try server.require()
        let session = try await env.session()
        let error = await #expect(throws: IMAPClientError.self) {
            _ = try await session.select("does-not-exist-\(UInt32.random(in: 0...UInt32.max))")
        }
        #expect(error?.code == .commandFailed)
        #expect(error?.scope == .command)
        #expect(try await session.status("INBOX").uidValidity != nil)
        await session.logout()
    }

    @Test("Dovecot and Cyrus: 50 sessions in parallel each log in and select", arguments: TestServer.available)
    func parallelSessions(_ server: TestServer) async throws {
        let env = try server.require()
        try await withThrowingTaskGroup(of: UInt32.self) { group in
            for index in 0..<50 {
                group.addTask {
                    let session = try await env.session(user: env.users[index % env.users.count])
                    let selected = try await session.select("INBOX", readOnly: true)
                    await session.logout()
                    return selected.uidValidity
                }
            }
            var count = 0
            for try await validity in group {
                #expect(validity > 0)
                count += 1
            }
            #expect(count == 50)
        }
    }
}
