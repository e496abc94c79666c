import Glibc

/// An AF_UNIX datagram socket bound to a path, as systemd provides them (`NOTIFY_SOCKET`, the
/// journal's `/run/systemd/journal/socket`): tests bind one and read what the code under test
/// sent. Closed and unlinked when released.
public final class DatagramSocket: @unchecked Sendable {
    public let path: String
    let fd: Int32

    public struct BindFailed: Error, CustomStringConvertible {
        public var path: String
        public var errno: Int32
        public var description: String { "cannot bind a datagram socket at \(path): errno \(errno)" }
    }

    /// Binds at `path`, by default a new one under /tmp.
    public init(path: String? = nil) throws {
        let path = path ?? "/tmp/mt-dgram-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else {
            let code = Glibc.errno
            if fd >= 0 { close(fd) }
            throw BindFailed(path: path, errno: code)
        }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram already waiting, or nil.
    public func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        return count >= 0 ? Array(buffer.prefix(count)) : nil
    }

    /// Datagrams as text, read until `done` holds for all read so far or `timeout` passes.
    public func messages(until done: ([String]) -> Bool, timeout: Duration = .seconds(20),
                         after earlier: [String] = []) async throws -> [String] {
        var messages = earlier
        let deadline = ContinuousClock.now + timeout
        while !done(messages), ContinuousClock.now < deadline {
            if let datagram = receive() {
                messages.append(String(decoding: datagram, as: UTF8.self))
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        return messages
    }
}
