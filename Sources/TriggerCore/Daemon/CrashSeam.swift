import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Points of the delivery pipeline where a test build can be made to die as `kill -9` would
/// (no drain, no clean-up, nothing flushed): `MT_TEST_CRASH=<point>@<n>` kills the process
/// the n-th time it passes `point` (`@1` when left out). The crash tests
/// (`Tests/mailtriggerTests/DaemonCrashTests.swift`) use them to prove DESIGN.md §5: a crash at
/// any of these points loses nothing, and repeats only actions that had already started.
///
/// Compiled into debug builds only: in a release build `pass` is empty and the variable is
/// never read.
public enum CrashSeam: String, CaseIterable, Sendable {
    /// A message's body has been fetched; its batch is not ingested yet.
    case fetched
    /// An ingest transaction committed: the batch's jobs are in the outbox and the cursor moved.
    case queued
    /// An action job (webhook, exec) is about to start.
    case beforeAction = "before-action"
    /// An action job succeeded (the receiver has it); its result is not recorded yet.
    case afterAction = "after-action"
    /// Results were recorded, queueing post-action jobs that have not run on the server yet.
    case committed
    /// A move was carried out on the server (its tagged OK read); the post-action job is not
    /// recorded yet.
    case midMove = "mid-move"
    /// A server without MOVE: the fallback's UID COPY is done, the original not yet flagged
    /// `\Deleted` and expunged.
    case moveCopied = "move-copied"

    /// Passes the seam: dies here when the environment names it and its count is reached.
    @inline(__always)
    public func pass() {
        #if DEBUG
        guard let armed = Self.armed, armed.point == self else { return }
        let count = Self.passes.add(1, ordering: .relaxed).newValue
        if count == armed.count {
            // Like `kill -9`: no handler, no atexit, no buffered output flushed.
            kill(getpid(), SIGKILL)
        }
        #endif
    }

    #if DEBUG
    private static let armed: (point: CrashSeam, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["MT_TEST_CRASH"] else { return nil }
        let parts = value.split(separator: "@", maxSplits: 1)
        guard let point = parts.first.flatMap({ CrashSeam(rawValue: String($0)) }) else { return nil }
        let count = parts.count > 1 ? Int(parts[1]) ?? 1 : 1
        return (point, max(1, count))
    }()

    private static let passes = Atomic<Int>(0)
    #endif
}
