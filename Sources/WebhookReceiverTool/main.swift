// A local webhook receiver for demos and benchmarks (scripts/demo.sh, scripts/bench.sh); not
// shipped. It wraps IMAPTestSupport's WebhookReceiver, so demos exercise the same server the
// tests do.
//
//   WebhookReceiverTool --port N [--quiet] [--status CODE] [--count-file PATH] [--log-keys PATH]
//
// Prints one line per request (unless --quiet); on SIGTERM or SIGINT prints
// `received N requests, D distinct idempotency keys` and exits 0.

import Dispatch
import Foundation
import IMAPTestSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The command line.
struct Options {
    var port = 0
    var quiet = false
    var status = 200
    var countFile: String?
    var logKeys: String?

    static let usage = """
        usage: WebhookReceiverTool --port N [--quiet] [--status CODE] [--count-file PATH] [--log-keys PATH]
          --port N           listen on 127.0.0.1:N (0: any free port, printed on stderr)
          --quiet            no line per request
          --status CODE      answer every request with this status (default 200)
          --count-file PATH  rewrite PATH with the number of distinct idempotency keys every second
          --log-keys PATH    append "<unix-epoch-ms> <idempotency-key>" per request
        """

    static func parse(_ arguments: [String]) throws(UsageError) -> Options {
        var options = Options()
        var rest = arguments[...]
        func value(for flag: String) throws(UsageError) -> String {
            guard let value = rest.popFirst() else { throw UsageError(message: "\(flag) needs a value") }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--port":
                guard let port = Int(try value(for: argument)), (0...65535).contains(port) else {
                    throw UsageError(message: "--port needs a number from 0 to 65535")
                }
                options.port = port
            case "--quiet":
                options.quiet = true
            case "--status":
                guard let status = Int(try value(for: argument)), (200...599).contains(status) else {
                    throw UsageError(message: "--status needs an HTTP status from 200 to 599")
                }
                options.status = status
            case "--count-file":
                options.countFile = try value(for: argument)
            case "--log-keys":
                options.logKeys = try value(for: argument)
            case "-h", "--help":
                throw UsageError(message: nil)
            default:
                throw UsageError(message: "unknown argument \(argument)")
            }
        }
        return options
    }
}

struct UsageError: Error {
    var message: String?
}

/// What the main loop reacts to.
enum Event: Sendable {
    /// A request to print (without `--quiet`).
    case request(WebhookReceiver.Request)
    case tick
    case stop
}

/// Counts requests and their distinct keys as they arrive, on the receiver's event loops: a
/// benchmark posts thousands per second, and a hop to a task per request would cost the
/// receiver more than the HTTP does.
final class Tally: Sendable {
    struct State {
        var total = 0
        var keys = Set<String>()
        /// `<unix-epoch-ms> <key>` lines not yet appended to `--log-keys`.
        var pendingLines = ""
    }

    let logsKeys: Bool
    let state = Mutex(State())

    init(logsKeys: Bool) { self.logsKeys = logsKeys }

    func add(_ request: WebhookReceiver.Request) {
        let key = request[header: "Idempotency-Key"]
        // Milliseconds with three decimals, without Foundation's formatter.
        let micros = Int64((request.date.timeIntervalSince1970 * 1_000_000).rounded())
        let fraction = String(micros % 1000)
        let line = logsKeys ? "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) \(key ?? "-")\n" : ""
        state.withLock { state in
            state.total += 1
            if let key { state.keys.insert(key) }
            state.pendingLines += line
        }
    }

    /// The counts, and the lines to append (taken).
    func take() -> (total: Int, distinct: Int, lines: String) {
        state.withLock { state in
            defer { state.pendingLines = "" }
            return (state.total, state.keys.count, state.pendingLines)
        }
    }
}

/// Unbuffered, so each line reaches a pipe (`tee`, a demo script) at once.
func writeStandardOutput(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func writeStandardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Replaces the file's content at once (write a sibling, rename), so a script polling it never
/// reads a half-written number.
func replaceAtomically(_ path: String, with text: String) {
    let temporary = path + ".tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else { return }
    _ = rename(temporary, path)
}

func subject(of body: Data) -> String {
    guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
          let subject = object["subject"] as? String else { return "-" }
    return subject
}

func run(_ options: Options) async throws {
    let receiver = try await WebhookReceiver.start(port: options.port, defaultResponse: .init(status: options.status),
                                                   keepsRequests: false)
    writeStandardError("webhook receiver listening on http://127.0.0.1:\(receiver.port)")

    let (events, continuation) = AsyncStream.makeStream(of: Event.self)
    let tally = Tally(logsKeys: options.logKeys != nil)
    let quiet = options.quiet
    receiver.onRequest { request in
        tally.add(request)
        if !quiet { continuation.yield(.request(request)) }
    }

    // Signals arrive on a dispatch queue instead of in a handler, where almost nothing is safe.
    var sources: [any DispatchSourceSignal] = []
    for signalNumber in [SIGTERM, SIGINT] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { continuation.yield(.stop) }
        source.resume()
        sources.append(source)
    }
    let ticker = Task {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            continuation.yield(.tick)
        }
    }

    var logKeys: FileHandle?
    if let path = options.logKeys {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw UsageError(message: "cannot open \(path) for appending")
        }
        handle.seekToEndOfFile()
        logKeys = handle
    }
    let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    @discardableResult
    func flush() -> (total: Int, distinct: Int) {
        let (total, distinct, lines) = tally.take()
        if let logKeys, !lines.isEmpty { logKeys.write(Data(lines.utf8)) }
        if let path = options.countFile { replaceAtomically(path, with: "\(distinct)\n") }
        return (total, distinct)
    }

    flush()
    loop: for await event in events {
        switch event {
        case let .request(request):
            let key = request[header: "Idempotency-Key"]
            writeStandardOutput("\(request.date.formatted(timeFormat)) \(request.method) \(request.path) "
                + "Idempotency-Key=\(key ?? "-") subject=\(subject(of: request.body)) (\(request.body.count) bytes)")
        case .tick:
            flush()
        case .stop:
            break loop
        }
    }
    ticker.cancel()
    receiver.onRequest(nil)
    await receiver.stop()
    let (total, distinct) = flush()
    try? logKeys?.close()
    writeStandardOutput("received \(total) requests, \(distinct) distinct idempotency keys")
    _ = sources
}

do {
    let options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    try await run(options)
    exit(0)
} catch let error as UsageError {
    if let message = error.message {
        writeStandardError("WebhookReceiverTool: \(message)\n\(Options.usage)")
        exit(64)  // EX_USAGE
    }
    writeStandardOutput(Options.usage)
    exit(0)
} catch {
    writeStandardError("WebhookReceiverTool: \(error)")
    exit(1)
}
