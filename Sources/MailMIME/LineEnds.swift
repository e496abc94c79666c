import Glibc

/// Line-end normalisation of text bodies: CR LF and lone CR become LF.
enum LineEnds {
    /// Normalises `bytes` in place. CR and LF are single bytes in UTF-8 and in every charset
    /// ``Charset/isASCIITransparent(canonicalName:)`` admits, so bytes will do. The text is
    /// copied line by line (memchr finds each CR), not byte by byte; text without CR is only
    /// scanned.
    static func normalise(_ bytes: inout [UInt8]) {
        let count = bytes.count
        let kept = bytes.withUnsafeMutableBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress, let firstCR = memchr(base, 0x0D, count) else { return count }
            var read = UnsafeMutableRawPointer(firstCR).assumingMemoryBound(to: UInt8.self) - base
            var write = read
            while read < count {
                // At a CR: it becomes LF, and swallows the LF right after it.
                base[write] = 0x0A
                write += 1
                read += 1
                if read < count, base[read] == 0x0A { read += 1 }
                // The text up to the next CR moves down as one block.
                let next = memchr(base + read, 0x0D, count - read)
                    .map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt8.self) - base } ?? count
                let length = next - read
                if length > 0, write != read { memmove(base + write, base + read, length) }
                write += length
                read = next
            }
            return write
        }
        if kept < count { bytes.removeSubrange(kept...) }
    }
}
