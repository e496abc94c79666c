import Foundation
import IMAPTestSupport
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import NIOConcurrencyHelpers
import Testing
@testable import TriggerCore

/// The state store on a real SQLite file.
@Suite("State store")
struct StateStoreTests {
    struct Crash: Error {}

    func temporaryStore() throws -> (StateStore, String) {
        let directory = URL(fileURLWithPath: try TestFiles.directory("mt-state"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("state.sqlite").path
        return (try StateStore(path: path), path)
    }

    @Test func theDatabaseAndItsWALAreReadableByTheOwnerOnly() throws {
        let (store, path) = try temporaryStore()
        try store.daemonStarted(pid: 1)
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            #expect(stat(file, &info) == 0, "\(file) exists")
            #expect(info.st_mode & 0o777 == 0o600, "\(file): mode \(String(info.st_mode & 0o777, radix: 8))")
        }
        // A database once made with a wider mode is tightened when opened.
        chmod(path, 0o644)
        _ = try StateStore(path: path)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func theStateDirectoryIsMadeForTheOwnerOnlyWhateverTheUmask() throws {
        let directory = try TestFiles.directory("mt-state-mode") + "/state"
        // A permissive umask must not widen it: 0700 is asked for, and 0700 & ~0 is 0700.
        let previous = umask(0)
        defer { umask(previous) }
        _ = try StateStore.open(for: Configuration(stateDirectory: directory, delivery: DeliverySettings(), profiles: []))
        var info = stat()
        #expect(stat(directory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700, "mode \(String(info.st_mode & 0o777, radix: 8))")
    }

    func job(_ uid: UInt32, flow: String = "f", action: Int = 0) -> StateStore.NewJob {
        StateStore.NewJob(flow: flow, actionIndex: action, idempotencyKey: "p/INBOX/7/\(uid)/\(flow)#\(action)",
                          payload: Data("{\"uid\":\(uid)}".utf8))
    }

    @Test func aNewDatabaseIsReportedAsCreatedAndIntact() throws {
        let (store, path) = try temporaryStore()
        #expect(store.created)
        #expect(try store.integrityCheck() == ["ok"])
        #expect(try StateStore(path: path).created == false, "the second open finds it")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        #expect(try StateStore(path: path).created, "deleted while stopped: created again")
    }

    @Test func walModeAndMigrations() throws {
        let (store, _) = try temporaryStore()
        #expect(try store.journalMode() == "wal")
        #expect(try store.mailboxState(profile: "p", mailbox: "INBOX") == nil)
    }

    @Test func aVersion2DatabaseKeepsItsJobsAndPayloadsWhenMigrated() throws {
        let directory = URL(fileURLWithPath: try TestFiles.directory("mt-state"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.sqlite").path
        do {
            let pool = try DatabasePool(path: path)
            try StateStore.migrator.migrate(pool, upTo: "v2")
            try pool.write { db in
                for (id, status) in [(3, "pending"), (5, "dead"), (9, "succeeded")] {
                    try db.execute(sql: """
                        INSERT INTO outbox (id, idempotency_key, profile, mailbox, uid_validity, uid, flow, action_index, kind,
                                            payload, status, attempts, next_attempt_at, created_at, last_error)
                        VALUES (?, ?, 'p', 'INBOX', 7, ?, 'f', 0, 'action', ?, ?, 1, 0, 0, ?)
                        """, arguments: [id, "p/INBOX/7/\(id)/f", id, Data("{\"uid\":\(id)}".utf8), status,
                                         status == "dead" ? "HTTP 404" : nil])
                }
                try db.execute(sql: "INSERT INTO mailbox_state (profile, mailbox, uid_validity, cursor, baselined_at) VALUES ('p', 'INBOX', 7, 9, 0)")
            }
        }
        let store = try StateStore(path: path)
        #expect(try store.dueJobs(limit: 10).map(\.payload) == [Data("{\"uid\":3}".utf8)])
        let dead = try #require(try store.deadJobs().first)
        #expect(dead.id == 5 && dead.payload == Data("{\"uid\":5}".utf8) && dead.lastError == "HTTP 404" && dead.attempts == 1)
        #expect(try store.database.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty })
        #expect(try store.database.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
            == ["v1", "v2", "v3", "v4"])
        // Ids keep counting from where they were.
        #expect(try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 10, jobs: [job(10)]) == 1)
        #expect(try store.dueJobs(limit: 10).map(\.id) == [3, 10])
    }

    @Test func ingestQueuesJobsAndAdvancesTheCursorTogether() throws {
        let (store, path) = try temporaryStore()
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 7, cursor: 10)
        #expect(try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 11,
                                 jobs: [job(11), job(11, action: 1)], messageID: "<a@x>") == 2)
        #expect(try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 12, jobs: []) == 0)
        let state = try #require(try store.mailboxState(profile: "p", mailbox: "INBOX"))
        #expect(state.cursor == 12 && state.uidValidity == 7 && state.lastSyncAt != nil)
        #expect(try store.jobCounts(profile: "p", mailbox: "INBOX") == ["pending": 2])
        // Durable: a new store on the same file sees the same.
        let reopened = try StateStore(path: path)
        #expect(try reopened.mailboxState(profile: "p", mailbox: "INBOX")?.cursor == 12)
        #expect(try reopened.queuedKeys(profile: "p", mailbox: "INBOX") == ["p/INBOX/7/11/f#0", "p/INBOX/7/11/f#1"])
        #expect(try reopened.hasSeen(messageID: "<a@x>", profile: "p", mailbox: "INBOX", since: .distantPast))
    }

    @Test func ingestingTheSameMessageTwiceQueuesNothingNew() throws {
        let (store, _) = try temporaryStore()
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 7, cursor: 0)
        #expect(try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 5, jobs: [job(5)]) == 1)
        #expect(try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 5, jobs: [job(5)]) == 0)
        #expect(try store.queuedKeys(profile: "p", mailbox: "INBOX").count == 1)
    }

    @Test func theCursorNeverMovesBack() throws {
        let (store, _) = try temporaryStore()
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 7, cursor: 0)
        try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 9, jobs: [])
        try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 4, jobs: [])
        #expect(try store.mailboxState(profile: "p", mailbox: "INBOX")?.cursor == 9)
    }

    @Test func aCrashBeforeCommitLeavesNoTrace() throws {
        let (store, _) = try temporaryStore()
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 7, cursor: 3)
        #expect(throws: Crash.self) {
            try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7,
                             messages: [.init(uid: 4, messageID: "<b@x>", jobs: [job(4)])], beforeCommit: { throw Crash() })
        }
        #expect(try store.mailboxState(profile: "p", mailbox: "INBOX")?.cursor == 3, "the message will be fetched again")
        #expect(try store.queuedKeys(profile: "p", mailbox: "INBOX").isEmpty)
        #expect(try !store.hasSeen(messageID: "<b@x>", profile: "p", mailbox: "INBOX", since: .distantPast))
    }

    @Test func theJobsOfACommittedIngestAreHandedOverAsTheOutboxHoldsThem() async throws {
        let (store, _) = try temporaryStore()
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 7, cursor: 0)
        try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 1, jobs: [job(1)])
        let handed = NIOLockedValueBox<[[StateStore.Job]]>([])
        let messages = [
            StateStore.IngestedMessage(uid: 1, jobs: [job(1)]),  // already queued: not again
            StateStore.IngestedMessage(uid: 2, jobs: [job(2), job(2, action: 1)]),
            StateStore.IngestedMessage(uid: 3, jobs: []),
        ]
        let count = try await store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, messages: messages) { jobs in
            handed.withLockedValue { $0.append(jobs) }
        }
        #expect(count == 2)
        let batches = handed.withLockedValue { $0 }
        #expect(batches.count == 1)
        let due = try store.dueJobs(limit: 10, now: Date().addingTimeInterval(1)).filter { $0.uid == 2 }
        #expect(batches.first == due, "same ids, keys, payloads, times as read back")
        // Nothing queued: nothing handed over.
        try await store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, messages: [.init(uid: 4, jobs: [])]) { _ in
            handed.withLockedValue { $0.append([]) }
        }
        #expect(handed.withLockedValue { $0.count } == 1)
    }

    @Test func aChangedUIDValidityIsRefusedUntilRebaselined() throws {
        let (store, _) = try temporaryStore()
        #expect(throws: StateStore.StateError.self) {
            try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 7, uid: 1, jobs: [])
        }
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 7, cursor: 20)
        #expect(throws: StateStore.StateError.self) {
            try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 8, uid: 21, jobs: [job(21)])
        }
        #expect(try store.mailboxState(profile: "p", mailbox: "INBOX")?.cursor == 20)
        try store.setBaseline(profile: "p", mailbox: "INBOX", uidValidity: 8, cursor: 0)
        try store.ingest(profile: "p", mailbox: "INBOX", uidValidity: 8, uid: 1, jobs: [])
        let state = try #require(try store.mailboxState(profile: "p", mailbox: "INBOX"))
        #expect(state.uidValidity == 8 && state.cursor == 1)
    }

    @Test func concurrentIngestFromTwoMailboxes() async throws {
        let (store, _) = try temporaryStore()
        for mailbox in ["A", "B"] { try store.setBaseline(profile: "p", mailbox: mailbox, uidValidity: 1, cursor: 0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for mailbox in ["A", "B"] {
                group.addTask {
                    for uid in UInt32(1)...200 {
                        try store.ingest(profile: "p", mailbox: mailbox, uidValidity: 1, uid: uid, jobs: [
                            StateStore.NewJob(flow: "f", actionIndex: 0, idempotencyKey: "p/\(mailbox)/1/\(uid)/f#0",
                                              payload: Data()),
                        ])
                    }
                }
            }
            try await group.waitForAll()
        }
        for mailbox in ["A", "B"] {
            #expect(try store.mailboxState(profile: "p", mailbox: mailbox)?.cursor == 200)
            #expect(try store.jobCounts(profile: "p", mailbox: mailbox) == ["pending": 200])
        }
    }
}
