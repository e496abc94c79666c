@_spi(CustomByteBufferAllocator) import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `ByteBuffer` allocator of IMAP connections: small buffers come from `malloc`, buffers of
/// `threshold` bytes or more get pages of their own from `mmap`.
///
/// Why: swift-nio-ssl gives every connection a 32 KB plaintext buffer and a 16 KB ciphertext
/// buffer for its whole life, and an IDLE session writes a few hundred bytes into them. Carved
/// out of the `malloc` heap, those buffers reuse pages that earlier allocations (the TLS
/// handshake, the first sync) already touched, so each idle connection kept about 48 KB resident.
/// Pages of a private anonymous mapping become resident only when written, and go back to the
/// system when the buffer is freed, so an idle connection now holds the pages it used.
///
/// Every block starts with a 16-byte header (keeping the 16-byte alignment `malloc` gives) that
/// records how it was made: 0 for `malloc`, else the length of the mapping.
enum PageBackedAllocator {
    /// Buffers at least this large get their own mapping; below it, `malloc` is cheaper.
    static let threshold = 16 * 1024
    static let header = 16

    static let allocator = ByteBufferAllocator(
        allocate: { size in PageBackedAllocator.allocate(Int(size)) },
        reallocate: { pointer, oldSize, newSize in
            PageBackedAllocator.reallocate(pointer, oldSize: Int(oldSize), newSize: Int(newSize))
        },
        deallocate: { pointer in PageBackedAllocator.deallocate(pointer) },
        copy: { destination, source, count in destination.copyMemory(from: source, byteCount: Int(count)) }
    )

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    static func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        let base: UnsafeMutableRawPointer
        let length: Int
        if size < threshold {
            guard let block = malloc(size + header) else { return nil }
            (base, length) = (block, 0)
        } else {
            length = (size + header + pageSize - 1) / pageSize * pageSize
            guard let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  mapping != MAP_FAILED else { return nil }
            base = mapping
        }
        base.storeBytes(of: length, as: Int.self)
        return base + header
    }

    static func deallocate(_ pointer: UnsafeMutableRawPointer) {
        let base = pointer - header
        let length = base.load(as: Int.self)
        if length == 0 {
            free(base)
        } else {
            munmap(base, length)
        }
    }

    static func reallocate(_ pointer: UnsafeMutableRawPointer?, oldSize: Int, newSize: Int) -> UnsafeMutableRawPointer? {
        guard let pointer else { return allocate(newSize) }
        let base = pointer - header
        if base.load(as: Int.self) == 0, newSize < threshold {
            return realloc(base, newSize + header).map { $0 + header }
        }
        // Crossing the threshold or resizing a mapping: a fresh block and a copy. (`mremap` is
        // variadic in C and not callable from Swift; buffers this large are rarely resized.)
        guard let moved = allocate(newSize) else { return nil }
        moved.copyMemory(from: pointer, byteCount: min(oldSize, newSize))
        deallocate(pointer)
        return moved
    }
}
