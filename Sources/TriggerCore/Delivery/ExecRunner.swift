import Foundation
public import Logging
import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one exec job: a program started without a shell (DESIGN.md §5 exec contract,
/// `docs/actions.md`).
///
/// `command[0]` is run with the remaining argv, in its own session, with a minimal environment
/// plus the action's variables plus `MAILTRIGGER_*` (which win). Standard input is the JSON
/// payload, the raw RFC 5322 message, or `/dev/null`. On timeout the program's whole process
/// group gets SIGTERM, then SIGKILL after `killGrace`. Exit 0 succeeds, 75 (`EX_TEMPFAIL`,
/// sysexits.h) asks for a retry, anything else (another code, a signal, a missing program) is
/// permanent. Standard output and error are captured up to `outputLimit` bytes each (the rest
/// is read and discarded, so the program never blocks on a full pipe) and logged.
///
/// Built on swift-subprocess: it spawns without a shell, resets signal dispositions and masks in
/// the child, creates the session, monitors the child with a pidfd, and unblocks our pipe I/O
/// when the child exits even if a grandchild keeps the pipes open.
public struct ExecRunner: Sendable {
    private let logger: Logger
    private let outputLimit: Int
    private let killGrace: Duration

    /// The program's `PATH`: the standard places, never the daemon's own.
    static let path = "/usr/local/bin:/usr/bin:/bin"
    /// How many characters of standard error go into a failure reason.
    static let reasonStandardErrorCharacters = 200

    public init(logger: Logger, outputLimit: Int = 16 * 1024, killGrace: Duration = .seconds(5)) {
        self.logger = logger
        self.outputLimit = max(0, outputLimit)
        self.killGrace = killGrace
        _ = ExecRunner.ignoreBrokenPipes
    }

    /// A program that exits without reading its standard input makes our write fail with EPIPE;
    /// without this, SIGPIPE would kill the daemon. Children get default dispositions back
    /// (swift-subprocess resets every signal before exec), so they are unaffected.
    private static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// Runs `action` for `job` and classifies the outcome. Never throws: every failure is a
    /// result with a reason that names the program (never its arguments, which may hold tokens).
    public func run(_ action: ExecAction, job: StateStore.Job) async -> StateStore.AttemptResult {
        let started = ContinuousClock.now
        let program = action.command.first ?? ""
        var metadata: Logger.Metadata = ["MT_ACTION": "exec", "MT_KEY": "\(job.messageKey)", "MT_PROGRAM": "\(program)"]
        let result = await execute(action, job: job, program: program, metadata: metadata)
        metadata["MT_RESULT"] = "\(result.label)"
        metadata["MT_DURATION_MS"] = "\((ContinuousClock.now - started).milliseconds)"
        if let reason = result.reason { metadata["MT_REASON"] = "\(reason)" }
        logger.debug("exec hook finished", metadata: metadata)
        return result
    }

    private func execute(_ action: ExecAction, job: StateStore.Job, program: String,
                         metadata: Logger.Metadata) async -> StateStore.AttemptResult {
        if let problem = Self.checkProgram(program) { return .permanent(problem) }
        let stdin: Data?
        switch action.stdin {
        case .json:
            stdin = job.payload
        case .raw:
            guard let raw = Self.rawMessage(in: job.payload) else {
                return .permanent("\(program): stdin is \"raw\" but the payload carries no raw message "
                    + "(the flow must ask for it)")
            }
            stdin = raw
        case .none:
            stdin = nil
        }
        let environment: [String: String]
        do {
            environment = try Self.environment(for: action, job: job)
        } catch {
            // A mounted secret may come back: worth a retry. The error names the source only.
            return .retryable("\(program): cannot read a secret of its environment: \(error)", retryAfter: nil)
        }
        let secrets = Self.secretValues(of: action, in: environment)

        var options = PlatformOptions()
        // Its own session, hence its own process group: a timeout signals every process the
        // hook started, and none of them shares our terminal or group.
        options.createSession = true
        // What swift-subprocess does when our task is cancelled (the timeout below, or the
        // daemon stopping): SIGTERM to the group, then SIGKILL once the grace is over.
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: killGrace)]
        if let runAs = action.runAs {
            // Set in the child before exec, groups first: it cannot regain the daemon's identity.
            options.supplementaryGroups = runAs.groups
            options.groupID = runAs.gid
            options.userID = runAs.uid
        }
        let configuration = Subprocess.Configuration(
            executable: .path(.init(program)),
            arguments: Arguments(Array(action.command.dropFirst())),
            environment: .custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) })),
            platformOptions: options
        )

        let limit = outputLimit
        let outcome: (ended: RunEvent, timedOut: Bool) = await withTaskGroup(of: RunEvent.self) { group in
            group.addTask {
                do {
                    if let stdin {
                        return .finished(try await Self.launch(configuration, input: .inputWriter, limit: limit) { execution in
                            // A program may exit without reading its input: EPIPE (or the write
                            // being cancelled when it exits) is its business, not a failure.
                            _ = try? await execution.standardInputWriter.write(Array(stdin))
                            try? await execution.standardInputWriter.finish()
                        })
                    }
                    return .finished(try await Self.launch(configuration, input: .none, limit: limit) { _ in })
                } catch {
                    return .failed(error)
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: action.timeout)
                    return .deadline
                } catch {
                    return .timerCancelled
                }
            }
            var timedOut = false
            var ended: RunEvent = .timerCancelled
            for await event in group {
                switch event {
                case .deadline:
                    // Cancelling the run makes swift-subprocess tear the program down.
                    timedOut = true
                    group.cancelAll()
                case .timerCancelled:
                    break
                case .finished, .failed:
                    ended = event
                    group.cancelAll()
                }
            }
            return (ended, timedOut)
        }

        if Task.isCancelled && !outcome.timedOut {
            // The daemon is stopping: the hook was torn down like a timed-out one, through no
            // fault of its own, so it must run again rather than become a dead letter.
            if case let .finished(finished) = outcome.ended { _ = kill(-finished.processID, SIGKILL) }
            return .retryable("\(program): interrupted (mailtrigger is stopping)", retryAfter: nil)
        }
        switch outcome.ended {
        case let .failed(error):
            if outcome.timedOut { return .retryable("\(program): timed out after \(action.timeout.shortDescription)", retryAfter: nil) }
            let identity = action.runAs.map { " as user \($0.user) (uid \($0.uid), gid \($0.gid))" } ?? ""
            return .permanent("\(program): cannot run\(identity): \(Self.describe(error))")
        case .deadline, .timerCancelled:
            return .retryable("\(program): interrupted (mailtrigger is stopping)", retryAfter: nil)
        case var .finished(finished):
            finished.standardOutput.redact(secrets)
            finished.standardError.redact(secrets)
            if outcome.timedOut {
                // Whatever the hook started and left behind in its group goes too. The group id
                // stays reserved while any member lives, so this reaches only those leftovers.
                _ = kill(-finished.processID, SIGKILL)
            }
            log(finished.standardOutput, stream: "stdout", metadata: metadata)
            log(finished.standardError, stream: "stderr", metadata: metadata)
            return classify(finished, program: program, timeout: outcome.timedOut ? action.timeout : nil)
        }
    }

    /// What ended a run.
    enum RunEvent: Sendable {
        case finished(Finished)
        case failed(any Error)
        case deadline
        case timerCancelled
    }

    /// A program that ran.
    struct Finished: Sendable {
        var processID: pid_t
        var status: TerminationStatus
        var standardOutput: CapturedOutput
        var standardError: CapturedOutput
    }

    /// Spawns the program, feeds its standard input, and drains both outputs concurrently (a
    /// program may fill one pipe before reading its input).
    private static func launch<Input: InputProtocol>(
        _ configuration: Subprocess.Configuration, input: Input, limit: Int,
        feed: @escaping @Sendable (Execution<Input, SequenceOutput, SequenceOutput>) async -> Void
    ) async throws -> Finished {
        let result = try await Subprocess.run(configuration, input: input, output: .sequence, error: .sequence) { execution in
            async let standardOutput = CapturedOutput.drain(execution.standardOutput, limit: limit)
            async let standardError = CapturedOutput.drain(execution.standardError, limit: limit)
            await feed(execution)
            return await (standardOutput, standardError)
        }
        return Finished(processID: result.processIdentifier.value, status: result.terminationStatus,
                        standardOutput: result.closureResult.0, standardError: result.closureResult.1)
    }

    private func classify(_ finished: Finished, program: String, timeout: Duration?) -> StateStore.AttemptResult {
        let excerpt = finished.standardError.excerpt(characters: Self.reasonStandardErrorCharacters)
        let suffix = excerpt.isEmpty ? "" : ": " + excerpt
        if let timeout {
            let how: String
            switch finished.status {
            case .signaled(SIGTERM): how = "stopped by SIGTERM"
            case .signaled(SIGKILL): how = "killed by SIGKILL after \(killGrace.shortDescription) grace"
            case let .signaled(signal): how = "ended by signal \(signal)"
            case let .exited(code): how = "exited \(code) after SIGTERM"
            }
            return .retryable("\(program): timed out after \(timeout.shortDescription) (\(how))\(suffix)", retryAfter: nil)
        }
        switch finished.status {
        case .exited(0):
            return .succeeded
        case .exited(75):
            return .retryable("\(program): exit 75 (EX_TEMPFAIL)\(suffix)", retryAfter: nil)
        case let .exited(code):
            return .permanent("\(program): exit \(code)\(suffix)")
        case let .signaled(signal):
            return .permanent("\(program): killed by signal \(signal)\(Self.signalName(signal).map { " (\($0))" } ?? "")\(suffix)")
        }
    }

    private func log(_ output: CapturedOutput, stream: String, metadata: Logger.Metadata) {
        guard !output.isEmpty else { return }
        var metadata = metadata
        metadata["MT_STREAM"] = "\(stream)"
        if output.discarded > 0 { metadata["MT_DISCARDED_BYTES"] = "\(output.discarded)" }
        let text = output.text
        if stream == "stderr" {
            logger.warning("\(stream): \(text)", metadata: metadata)
        } else {
            logger.info("\(stream): \(text)", metadata: metadata)
        }
    }

    /// Why `program` cannot run, checked before spawning so the reason is plain.
    static func checkProgram(_ program: String) -> String? {
        guard !program.isEmpty else { return "exec action has an empty command" }
        guard program.hasPrefix("/") else { return "\(program): the program must be an absolute path" }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: program, isDirectory: &isDirectory) else {
            return "\(program): program not found"
        }
        if isDirectory.boolValue { return "\(program): is a directory, not a program" }
        guard access(program, X_OK) == 0 else { return "\(program): program is not executable" }
        return nil
    }

    /// The decoded `raw` field of the payload (base64 of the whole message), if present.
    static func rawMessage(in payload: Data) -> Data? {
        guard let object = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
              let raw = object["raw"] as? String else { return nil }
        return Data(base64Encoded: raw, options: .ignoreUnknownCharacters)
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? SubprocessError {
            if let errno = error.underlyingError {
                return String(cString: strerror(errno.rawValue))
            }
            return "\(error.code)"
        }
        return "\(error)"
    }

    static func signalName(_ signal: CInt) -> String? {
        switch signal {
        case SIGTERM: return "SIGTERM"
        case SIGKILL: return "SIGKILL"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGPIPE: return "SIGPIPE"
        case SIGBUS: return "SIGBUS"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        default: return nil
        }
    }
}
