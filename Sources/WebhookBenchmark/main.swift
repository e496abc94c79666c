import Foundation
import Logging
import TriggerCore

// WebhookBenchmark: the daemon's webhook path alone — `WebhookSender` over `WebhookClient`,
// configured as `mailtrigger run` configures it — posting one payload COUNT times with
// CONCURRENCY deliveries running, each with its own Idempotency-Key. No IMAP, no MIME, no
// SQLite: scripts/bench-daemon.sh runs it against the same receiver as the burst, so the burst's
// rate can be read against what the webhook path alone achieves on the same machine.
//
//   WebhookBenchmark --url URL --payload FILE [--count N] [--concurrency C]
//
// Prints `posted N in S s: R/s (F failed), CPU C s` (its own user + system time); exits 1 when a
// delivery failed.

let usage = "usage: WebhookBenchmark --url URL --payload FILE [--count N (10000)] [--concurrency C (16)]"

func fail(_ text: String) -> Never {
    FileHandle.standardError.write(Data("WebhookBenchmark: \(text)\n\(usage)\n".utf8))
    exit(64)  // EX_USAGE
}

func positive(_ text: String, _ flag: String) -> Int {
    guard let number = Int(text), number > 0 else { fail("\(flag) needs a positive number") }
    return number
}

var url: String?
var payloadPath: String?
var count = 10_000
var concurrency = 16
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fail("\(argument) needs a value") }
    switch argument {
    case "--url": url = value
    case "--payload": payloadPath = value
    case "--count": count = positive(value, argument)
    case "--concurrency": concurrency = positive(value, argument)
    default: fail("unknown argument \(argument)")
    }
}
guard let url, let payloadPath else { fail("--url and --payload are required") }
guard let payload = FileManager.default.contents(atPath: payloadPath) else { fail("cannot read \(payloadPath)") }

var logger = Logger(label: "mailtrigger.webhook-benchmark")
logger.logLevel = .warning
let client = WebhookClient(maxIdlePerEndpoint: concurrency)
let sender = WebhookSender(client: client, logger: logger)
let action = WebhookAction(url: url)
let total = count
let width = concurrency

let started = ContinuousClock.now
// Deliveries run on the event loops in turn, as the daemon's dispatcher runs them.
let executors = client.group.makeIterator().map(EventLoopTaskExecutor.init)
let failed = await withTaskExecutorPreference(executors[0]) { await withTaskGroup(of: Bool.self) { group in
    var next = 0
    var failed = 0
    func start(_ index: Int) {
        group.addTask(executorPreference: executors[index % executors.count]) {
            let job = StateStore.Job(profile: "webhook-benchmark", mailbox: "INBOX", uidValidity: 1, uid: UInt32(index + 1),
                                     flow: "all", payload: payload)
            if case .succeeded = await sender.deliver(action, job: job) { return true }
            return false
        }
    }
    while next < min(width, total) {
        start(next)
        next += 1
    }
    for await succeeded in group {
        if !succeeded { failed += 1 }
        if next < total {
            start(next)
            next += 1
        }
    }
    return failed
} }
let elapsed = ContinuousClock.now - started
await client.shutdown()
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
// The process's own CPU time (user + system, all threads), start-up included.
var resources = rusage()
getrusage(RUSAGE_SELF.rawValue, &resources)
let cpu = Double(resources.ru_utime.tv_sec + resources.ru_stime.tv_sec)
    + Double(resources.ru_utime.tv_usec + resources.ru_stime.tv_usec) / 1e6
print("posted \(count) in \(String(format: "%.3f", seconds)) s: \(Int((Double(count) / seconds).rounded()))/s (\(failed) failed), "
    + "CPU \(String(format: "%.2f", cpu)) s")
exit(failed == 0 ? 0 : 1)
