import NIOCore
import Testing

@testable import IMAPClient

#if canImport(Glibc)
import Glibc
#endif

@Suite struct PageBackedAllocatorTests {
    private let allocator = PageBackedAllocator.allocator

    private func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    @Test(arguments: [10, 16 * 1024 - 1, 16 * 1024, 100_000])
    func aBufferHoldsWhatWasWritten(size: Int) {
        var buffer = allocator.buffer(capacity: size)
        buffer.writeBytes(pattern(size))
        #expect(buffer.readBytes(length: size) == pattern(size))
    }

    @Test func growingAcrossTheThresholdKeepsTheBytes() {
        var buffer = allocator.buffer(capacity: 64)
        buffer.writeBytes(pattern(64))
        buffer.writeBytes(pattern(40_000))  // malloc → its own mapping
        buffer.writeBytes(pattern(200_000))  // mapping → a larger mapping
        #expect(buffer.readBytes(length: 64) == pattern(64))
        #expect(buffer.readBytes(length: 40_000) == pattern(40_000))
        #expect(buffer.readBytes(length: 200_000) == pattern(200_000))
        // A copy-on-write copy of a mapped buffer is independent of it.
        buffer.moveReaderIndex(to: 0)
        var copy = buffer
        copy.setBytes([0xFF], at: 0)
        #expect(buffer.getBytes(at: 0, length: 1) == [pattern(1)[0]])
    }

    #if canImport(Glibc)
    /// Pages of the block holding `buffer` that are resident, counted with mincore(2).
    private func residentPages(of buffer: inout ByteBuffer) -> Int {
        buffer.withVeryUnsafeMutableBytes { bytes in
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let base = bytes.baseAddress! - PageBackedAllocator.header
            let pages = (bytes.count + PageBackedAllocator.header + page - 1) / page
            var vector = [UInt8](repeating: 0, count: pages)
            guard mincore(base, pages * page, &vector) == 0 else { return -1 }
            return vector.filter { $0 & 1 == 1 }.count
        }
    }

    /// The reason for the allocator: an idle TLS connection's 32 KB buffers cost only the pages
    /// it wrote, instead of heap pages that were resident already.
    @Test func aLargeBufferIsResidentOnlyWhereWritten() {
        var buffer = allocator.buffer(capacity: 256 * 1024)
        buffer.writeBytes(pattern(100))
        #expect(residentPages(of: &buffer) == 1)
        buffer.writeBytes(pattern(256 * 1024 - 100))
        #expect(residentPages(of: &buffer) >= 64)
    }
    #endif
}
