import Glibc

/// Whether standard error is connected to the journal (`JOURNAL_STREAM`, systemd.exec(5)):
/// then logs go out as native journal fields instead of plain lines.
public enum JournalStream {
    /// True when `JOURNAL_STREAM` names the device and inode of our standard error.
    public static var isStandardErrorJournal: Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
