import Foundation
import IMAPTestSupport
import Logging
@testable import TriggerCore

/// Jobs, payloads, programs and a log collector shared by the delivery tests.
enum DeliveryFixtures {
    /// A payload shaped like `docs/payload.md` (the fields delivery reads, and a few more).
    static func payload(subject: String = "Invoice 42", messageID: String = "<m1@example.org>",
                        from: String = "alice@example.org", raw: Data? = nil) -> Data {
        var object: [String: Any] = [
            "schemaVersion": 1, "profile": "work", "flow": "invoices", "mailbox": "INBOX",
            "uidValidity": 7, "uid": 42, "messageId": messageID, "subject": subject,
            "from": [["name": "Alice", "address": from], ["name": NSNull(), "address": "second@example.org"]],
            "text": "Hello – ünïcödé\n",
        ]
        if let raw { object["raw"] = raw.base64EncodedString() }
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func job(payload: Data = payload(), flow: String = "invoices") -> StateStore.Job {
        StateStore.Job(id: 1, profile: "work", mailbox: "INBOX/Sub folder", uidValidity: 7, uid: 42, flow: flow, payload: payload)
    }

    /// A fresh directory, removed when the test process exits.
    static func temporaryDirectory() throws -> URL {
        URL(fileURLWithPath: try TestFiles.directory("mt-delivery"))
    }

    /// Writes an executable `#!/bin/sh` script and returns its path.
    static func script(_ body: String, in directory: URL, name: String = "hook.sh") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// Runs a real program to completion and returns its standard output.
    static func output(of program: String, _ arguments: [String], stdin: Data) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// HMAC-SHA256 computed by OpenSSL's command line, independent of swift-crypto.
    static func opensslHMAC(secret: String, message: Data) throws -> String {
        let line = try output(of: "/usr/bin/openssl", ["dgst", "-sha256", "-hmac", secret], stdin: message)
        return String(line.split(separator: "=").last!.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether a process still runs (a zombie nobody reaped counts as gone).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // The state follows the parenthesised command name, which may itself contain spaces.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }
}

