/// Tests on eight bytes at once ("SIMD within a register"), for scans that look for a few
/// byte values in long text: each test answers whether *any* of the eight bytes matches, and
/// the caller then looks at those eight bytes one by one.
enum ByteWords {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes at `pointer`, in memory order from the low byte up (little-endian
    /// loads; on a big-endian machine the order differs, which no test here depends on).
    @inline(__always)
    static func load(_ pointer: UnsafePointer<UInt8>) -> UInt64 {
        UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self)
    }

    /// Non-zero when a byte of `word` is zero. Per byte the mask can be wrong above a zero
    /// byte (a borrow), but it is non-zero exactly when some byte is zero.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- ones) & ~word & highBits
    }

    /// Non-zero when a byte of `word` equals `byte`.
    @inline(__always)
    static func bytes(_ word: UInt64, equalTo byte: UInt8) -> UInt64 {
        zeroBytes(word ^ (ones &* UInt64(byte)))
    }

    /// Non-zero when a byte of `word` is below `limit` (at most 0x80).
    @inline(__always)
    static func bytes(_ word: UInt64, below limit: UInt8) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highBits
    }

    /// Non-zero when a byte of `word` is 0x80 or above (not ASCII).
    @inline(__always)
    static func nonASCIIBytes(_ word: UInt64) -> UInt64 {
        word & highBits
    }
}
