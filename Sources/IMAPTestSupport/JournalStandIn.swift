import Foundation
import Glibc
import Synchronization

/// Stands in for journald on a machine without one (CI): a datagram socket bound where
/// libsystemd sends native journal entries, `/run/systemd/journal/socket` (its path is fixed, so
/// tests that need it take turns through a lock file). Entries are read back and split into
/// fields as journald would (the native protocol, systemd's `JOURNAL_NATIVE_PROTOCOL.md`).
public final class JournalStandIn: @unchecked Sendable {
    public static let socketPath = "/run/systemd/journal/socket"
    static let lockPath = "/tmp/mt-journal-stand-in.lock"
    static let marker = "/run/systemd/journal/.mt-stand-in"

    /// Whether a stand-in can be set up: root, and no journald of the machine's own (a socket
    /// there that another test's stand-in did not make).
    public static var isPossible: Bool {
        getuid() == 0 && (access(socketPath, F_OK) != 0 || access(marker, F_OK) == 0)
    }

    public let socket: DatagramSocket
    private let lock: Int32
    private let madeDirectory: Bool
    private let released = Mutex(false)
    private let received = Mutex<[[(name: String, value: String)]]>([])

    private init(socket: DatagramSocket, lock: Int32, madeDirectory: Bool) {
        self.socket = socket
        self.lock = lock
        self.madeDirectory = madeDirectory
    }

    /// Waits for the lock (polling, so no thread blocks), makes `/run/systemd/journal` where it
    /// is missing and binds the socket.
    public static func acquire(timeout: Duration = .seconds(60)) async throws -> JournalStandIn {
        let lock = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw DatagramSocket.BindFailed(path: lockPath, errno: errno) }
        let deadline = ContinuousClock.now + timeout
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else {
                close(lock)
                throw DatagramSocket.BindFailed(path: lockPath, errno: EWOULDBLOCK)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let madeDirectory = mkdir("/run/systemd", 0o755) == 0
        mkdir("/run/systemd/journal", 0o755)
        unlink(socketPath)  // left by a stand-in that was killed
        do {
            let socket = try DatagramSocket(path: socketPath)
            _ = FileManager.default.createFile(atPath: marker, contents: nil)
            let standIn = JournalStandIn(socket: socket, lock: lock, madeDirectory: madeDirectory)
            standIn.drain()
            return standIn
        } catch {
            close(lock)
            throw error
        }
    }

    /// Removes the socket (and the directories it made) and lets the next test have it. Call it
    /// when done (`defer`): an object Swift releases early would otherwise unlink the socket
    /// while the test still expects entries.
    public func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        guard first else { return }
        unlink(Self.marker)
        unlink(Self.socketPath)
        rmdir("/run/systemd/journal")
        if madeDirectory { rmdir("/run/systemd") }
        close(lock)
    }

    deinit {
        release()
    }

    /// The fields of one native-protocol datagram, in order: `NAME=value\n`, or for a value that
    /// holds a line break `NAME\n`, its length as 64-bit little endian, the value, `\n`. Nil when
    /// the datagram does not follow the protocol.
    public static func fields(_ bytes: [UInt8]) -> [(name: String, value: String)]? {
        var fields: [(name: String, value: String)] = []
        var index = 0
        while index < bytes.count {
            guard let end = bytes[index...].firstIndex(where: { $0 == 0x0A || $0 == 0x3D }) else { return nil }
            let name = String(decoding: bytes[index..<end], as: UTF8.self)
            if bytes[end] == 0x3D {
                let valueEnd = bytes[(end + 1)...].firstIndex(of: 0x0A) ?? bytes.count
                fields.append((name, String(decoding: bytes[(end + 1)..<valueEnd], as: UTF8.self)))
                index = valueEnd + 1
            } else {
                guard end + 9 <= bytes.count else { return nil }
                var length = 0
                for offset in 0..<8 { length |= Int(bytes[end + 1 + offset]) << (8 * offset) }
                let start = end + 9
                guard length >= 0, start + length < bytes.count, bytes[start + length] == 0x0A else { return nil }
                fields.append((name, String(decoding: bytes[start..<(start + length)], as: UTF8.self)))
                index = start + length + 1
            }
        }
        return fields
    }

    /// Every entry received so far. A reader drains the socket all the time: like journald, it
    /// must not fall behind, or a daemon logging to it blocks in `sendmsg` (a queue of 10
    /// datagrams, `net.unix.max_dgram_qlen`) and cannot even stop.
    public var entries: [[(name: String, value: String)]] {
        received.withLock { $0 }
    }

    /// Entries received until one satisfies `done` or `timeout` passes: all of them so far.
    public func entries(until done: @escaping ([(name: String, value: String)]) -> Bool,
                        timeout: Duration = .seconds(20)) async throws -> [[(name: String, value: String)]] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let entries = self.entries
            if entries.contains(where: done) { return entries }
            try await Task.sleep(for: .milliseconds(10))
        }
        return entries
    }

    private func drain() {
        // The thread holds the stand-in until `release()`, which ends its loop.
        let reader = Thread { [self] in
            while !released.withLock({ $0 }) {
                guard let datagram = socket.receive() else {
                    usleep(2000)
                    continue
                }
                let entry = Self.fields(datagram) ?? [("UNPARSEABLE", String(decoding: datagram, as: UTF8.self))]
                received.withLock { $0.append(entry) }
            }
        }
        reader.start()
    }
}
