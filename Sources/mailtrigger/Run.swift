public import ArgumentParser
public import Logging
import SystemdSupport
import TriggerCore

/// `mailtrigger run`: the daemon.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: watch every listening profile's mailboxes and fire their flows.",
        discussion: """
        Stops gracefully on SIGTERM or SIGINT (running actions get delivery.drainTimeout to finish). \
        SIGHUP reloads the configuration: an invalid file is logged and the running one stays; \
        otherwise only added, removed or changed profiles are started, stopped or restarted. \
        Exit status: 0 stopped; 78 invalid configuration (nothing started); 73 the state directory \
        cannot be created or opened.
        """
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: """
        Log format: journald (native journal fields), text (one line per entry on standard error), \
        json (one JSON object per line). Default: journald when standard error is the journal \
        (JOURNAL_STREAM), text otherwise.
        """)
    var logFormat: LogFormat?

    func run() async throws {
        MallocTuning.apply()
        let configuration = try options.load(command: "run")
        let level = logLevel
        let format = logFormat ?? (JournalStream.isStandardErrorJournal ? .journald : .text)
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .journald: JournalLogHandler(label: label)
            case .text: TextLogHandler(label: label)
            case .json: JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "mailtrigger")
        let openFiles = OpenFileLimit.raise()
        let watchers = configuration.profiles.filter(\.listen).reduce(0) { $0 + $1.mailboxes.count }
        let needed = OpenFileLimit.needed(watchers: watchers, deliveryConcurrency: configuration.delivery.concurrency)
        if openFiles < needed {
            logger.warning("too few open files allowed for the watched mailboxes; raise LimitNOFILE= (or ulimit -Hn)",
                           metadata: ["MT_OPEN_FILES": "\(openFiles)", "MT_NEEDED": "\(needed)", "MT_WATCHERS": "\(watchers)"])
        }
        do {
            if try StateStore.open(for: configuration).created {
                // Also what a state database deleted while the daemon was stopped looks like.
                logger.notice("new state database: every mailbox starts by its startFrom policy",
                              metadata: ["MT_PATH": "\(StateStore.path(for: configuration))"])
            }
        } catch {
            printError("run: cannot open the state store in \(configuration.stateDirectory): \(error)")
            throw ExitCode(73)
        }
        // Sent from a thread of its own: a service manager slow to read must not stall the daemon.
        let notifications = NotificationQueue()
        // systemd wants a ping at least every WatchdogSec=; every half of it leaves a margin.
        let watchdog = notifications.notifier.watchdogIntervalMicroseconds.map { usec in
            (interval: Duration.microseconds(Int64(usec / 2)), ping: { @Sendable in notifications.send("WATCHDOG=1") })
        }
        let notices = ServiceManagerNotices(
            ready: { notifications.send("READY=1") }, status: { notifications.status($0) },
            reloading: { notifications.reloading() }, stopping: { notifications.send("STOPPING=1") }, watchdog: watchdog)
        // STOPPING=1 and the last status out before the process ends.
        defer { notifications.flush() }
        try await Daemon(configuration: configuration, logger: logger, configurationPath: options.config).run(notices: notices)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `run --log-format`.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case journald, text, json
}
