import ArgumentParser
import Foundation
import TriggerCore

/// `mailtrigger status`: per mailbox, what the daemon is doing and what waits in the outbox.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each mailbox's state, last sync, cursor, queued and dead jobs, and last error.",
        discussion: "Reads the state store; works while the daemon runs. Exit status: 0; 78 invalid configuration; 73 no state store yet."
    )

    @OptionGroup var options: ConfigOption

    @Flag(help: "JSON instead of a table.")
    var json = false

    func run() throws {
        let configuration = try options.load(command: "status", checkEnvironment: false)
        guard FileManager.default.fileExists(atPath: StateStore.path(for: configuration)) else {
            printOutput("no state yet in \(configuration.stateDirectory): the daemon has not run with this configuration")
            return
        }
        let report: StatusReport
        do {
            report = try StatusReport(configuration: configuration, store: StateStore(path: StateStore.path(for: configuration)))
        } catch {
            printError("status: cannot read the state store \(StateStore.path(for: configuration)): \(error)")
            throw ExitCode(73)
        }
        printOutput(json ? Self.json(report) : Self.table(report))
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.colon)
            .dateTimeSeparator(.space))
    }

    static func table(_ report: StatusReport) -> String {
        var lines: [String] = []
        if let daemon = report.daemon {
            lines.append(report.daemonRunning
                ? "daemon: running (pid \(daemon.pid), started \(time(daemon.startedAt)))"
                : "daemon: not running (last heartbeat \(time(daemon.heartbeatAt)))")
        } else {
            lines.append("daemon: never started with this state directory")
        }
        let header = ["PROFILE", "MAILBOX", "STATE", "LAST SYNC", "UIDVALIDITY", "CURSOR", "QUEUED", "RETRYING", "DEAD", "LAST ERROR"]
        var rows = [header]
        for mailbox in report.mailboxes {
            var error = mailbox.lastError.map { "\(time(mailbox.lastErrorAt)) \($0)" } ?? "-"
            if let next = mailbox.nextAttemptAt { error += " (next try \(time(next)))" }
            rows.append([mailbox.profile, mailbox.mailbox, mailbox.state, time(mailbox.lastSync),
                         mailbox.uidValidity.map(String.init) ?? "-", mailbox.cursor.map(String.init) ?? "-",
                         "\(mailbox.queued)", "\(mailbox.retrying)", "\(mailbox.dead)", error])
        }
        let widths = (0..<header.count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index < widths.count ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) : cell
            }
            lines.append(cells.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ report: StatusReport) -> String {
        func seconds(_ date: Date?) -> Any { date.map { time($0) } ?? NSNull() }
        let object: [String: Any] = [
            "daemon": [
                "running": report.daemonRunning,
                "pid": report.daemon.map { Int($0.pid) } as Any? ?? NSNull(),
                "startedAt": seconds(report.daemon?.startedAt),
                "heartbeatAt": seconds(report.daemon?.heartbeatAt),
            ],
            "mailboxes": report.mailboxes.map { mailbox -> [String: Any] in
                [
                    "profile": mailbox.profile, "mailbox": mailbox.mailbox, "state": mailbox.state,
                    "since": seconds(mailbox.since), "lastSync": seconds(mailbox.lastSync),
                    "uidValidity": mailbox.uidValidity.map { Int($0) } as Any? ?? NSNull(),
                    "cursor": mailbox.cursor.map { Int($0) } as Any? ?? NSNull(),
                    "queued": mailbox.queued, "retrying": mailbox.retrying, "dead": mailbox.dead,
                    "lastError": mailbox.lastError as Any? ?? NSNull(), "lastErrorAt": seconds(mailbox.lastErrorAt),
                    "nextAttemptAt": seconds(mailbox.nextAttemptAt),
                ]
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
