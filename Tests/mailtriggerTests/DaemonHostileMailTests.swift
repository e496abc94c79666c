import Foundation
import IMAPClient
import IMAPTestSupport
import Testing

/// Hostile input at the daemon level (issue 7): the adversarial corpus (`AdversarialMail`, 65
/// messages: MIME bombs, 10 MB headers, broken encodings and charsets, NULs, bare CRs, subjects
/// crafted for shells, HTTP headers, JSON, logs and IMAP) written into a mailbox's Maildir
/// byte for byte, fetched by the real daemon from Dovecot and posted to a receiver. Each message
/// gives exactly one payload, valid JSON and bounded in size; the daemon keeps running.
///
/// `MT_ADVERSARIAL_COPIES=N` writes the corpus N times (default 1): `scripts/bench-memory.sh`
/// compares the peak RSS of 1 and 4 copies to show memory is bounded by the fetch and planning
/// batches, not by the number of messages.
@Suite("Adversarial mail through the daemon", .enabled(if: DovecotEnvironment.shouldRun))
struct DaemonHostileMailTests {
    @Test("Dovecot: 65 malformed and adversarial messages each give one bounded payload; the daemon keeps running")
    func adversarialCorpus() async throws {
        let corpus = AdversarialMail.corpus
        #expect(corpus.count >= 50)
        let copies = max(1, Int(ProcessInfo.processInfo.environment["MT_ADVERSARIAL_COPIES"] ?? "") ?? 1)
        let expected = corpus.count * copies
        let env = try DovecotEnvironment.require()
        let receiver = try await WebhookReceiver.start()
        let writer = try await env.signedIn("mt2")
        let mailbox = try await writer.createFreshMailbox("adversarial")
        let folder = try Maildir.path(user: "mt2", mailbox: mailbox)
        var written = 0
        for (index, sample) in corpus.enumerated() {
            let bytes = Data(sample.bytes())
            for copy in 0..<copies {
                written += bytes.count
                let name = "\(Int(Date().timeIntervalSince1970)).adv\(index)c\(copy).mailtrigger-test"
                try bytes.write(to: URL(fileURLWithPath: "\(folder)/tmp/\(name)"))
                try FileManager.default.moveItem(atPath: "\(folder)/tmp/\(name)", toPath: "\(folder)/new/\(name)")
            }
        }
        let flows = #"[{"name": "all", "actions": [{"type": "webhook", "url": "\#(receiver.url())"}]}]"#
        let daemon = try DaemonHarness(profiles: [DaemonHarness.profile(env, user: "mt2", mailboxes: [mailbox], flows: flows,
                                                                        extra: #""startFrom": "all""#)])
        let started = ContinuousClock.now
        try daemon.start(password: env.password)
        try await DaemonFlowTests.waitUntil("a payload for every message", timeout: .seconds(180 * copies)) {
            Set(receiver.requests.compactMap { $0[header: "Idempotency-Key"] }).count >= expected
        }
        let elapsed = ContinuousClock.now - started
        try await Task.sleep(for: .milliseconds(500))
        let requests = receiver.requests
        #expect(requests.count == expected, "one payload per message, none twice")
        #expect(daemon.isRunning)
        let peak = daemon.peakResidentKiB ?? 0
        let after = daemon.residentKiB ?? 0

        var largest = 0
        for request in requests {
            largest = max(largest, request.body.count)
            let object = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any]
            #expect(object != nil, "the payload is JSON")
            #expect(object?["uid"] is Int && object?["size"] is Int)
            // Nothing a subject carries reaches the request's own header fields.
            #expect(request[header: "X-Evil"] == nil)
            let key = request[header: "Idempotency-Key"] ?? ""
            #expect(key.split(separator: "/").count == 5 && key.hasPrefix("test/\(mailbox)/"), "\(key)")
        }
        // The payload is capped (text, html, headers): a 10 MB header does not make a 10 MB request.
        #expect(largest < 4 << 20, "largest payload \(largest) bytes")
        let subjects = requests.compactMap { (try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any])?["subject"] as? String }
        #expect(subjects.contains { $0.contains("$(touch /tmp/pwned)") }, "a shell subject is data")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned"))
        #expect(subjects.contains { $0.hasPrefix("a\r\nIdempotency-Key: forged") }, "decoded CR/LF stays inside the JSON string")
        #expect(!Array(daemon.log.utf8).contains(0x1B), "no raw ESC in the log")
        #expect(try await daemon.stop() == 0)
        FaultReport.note("adversarial corpus: \(expected) messages (\(written / 1024) KiB), \(requests.count) payloads in \(elapsed), "
            + "largest \(largest / 1024) KiB, peak RSS \(peak / 1024) MiB, RSS after \(after / 1024) MiB (\(MailtriggerProcess.binary))")
        try? await writer.delete(mailbox)
        await writer.logout()
        await receiver.stop()
    }
}
