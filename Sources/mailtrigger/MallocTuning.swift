#if canImport(Glibc)
import Glibc
#endif

/// glibc `malloc` settings for a long-running daemon (mallopt(3)).
///
/// glibc serves a request of `M_MMAP_THRESHOLD` bytes or more with a mapping of its own, which
/// goes back to the system when freed. By default that threshold moves: every freed mapping
/// raises it to that mapping's size, up to 32 MB. After one 10 MB message the daemon's large
/// buffers (fetched messages, parsed parts, payloads) then come from the heap, and a heap only
/// shrinks from its top: a burst of large mail left 500 MB resident for the rest of the
/// process's life (docs/reliability.md, "Memory under adversarial mail"). Setting the threshold
/// fixes it at 256 KB, so memory returns to the system once a burst is over.
///
/// `mallopt` is declared in `<malloc.h>`, which the Glibc module does not include; it is looked
/// up at run time instead (and is simply absent under another C library).
enum MallocTuning {
    static let mmapThreshold: Int32 = 256 * 1024
    /// `M_MMAP_THRESHOLD` of `<malloc.h>`.
    static let mmapThresholdParameter: Int32 = -3

    /// Applies the settings; call before the first large allocation. Returns whether glibc took
    /// them. An operator's own `MALLOC_MMAP_THRESHOLD_` (glibc's tunable) is left in force.
    @discardableResult
    static func apply() -> Bool {
        #if canImport(Glibc)
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        return mallopt(mmapThresholdParameter, mmapThreshold) == 1
        #else
        return false
        #endif
    }
}
