import Glibc

/// Line-end normalisation of text bodies: CR LF and lone CR become LF.
///
/// CR and LF are single bytes in UTF-8 and in every charset
/// ``Charset/isASCIITransparent(canonicalName:)`` admits, so bytes will do. The text is copied
/// line by line (memchr finds each CR), not byte by byte; text without CR is only scanned.
enum LineEnds {
    /// Normalises `bytes` in place.
    static func normalise(_ bytes: inout [UInt8]) {
        let count = bytes.count
        let kept = bytes.withUnsafeMutableBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return normalise(UnsafePointer(base), count: count, into: base)
        }
        if kept < count { bytes.removeSubrange(kept...) }
    }

    /// A normalised copy of `bytes`, made in the same pass as the normalisation.
    static func normalised(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { output, initialized in
            guard let source = bytes.baseAddress, let target = output.baseAddress else { return }
            initialized = normalise(source, count: bytes.count, into: target)
        }
    }

    /// Writes the normalised form of `count` bytes at `source` to `target`, which is either
    /// separate from them or `source` itself (the output is never longer than the input, so
    /// it never overtakes the input). Returns the number of bytes written.
    static func normalise(_ source: UnsafePointer<UInt8>, count: Int, into target: UnsafeMutablePointer<UInt8>) -> Int {
        var read = 0
        var write = 0
        while read < count {
            // The text up to the next CR moves as one block.
            let next = memchr(source + read, 0x0D, count - read)
                .map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - source } ?? count
            let length = next - read
            if length > 0, target + write != source + read { memmove(target + write, source + read, length) }
            write += length
            read = next
            guard read < count else { break }
            // At a CR: it becomes LF, and swallows the LF right after it.
            target[write] = 0x0A
            write += 1
            read += 1
            if read < count, source[read] == 0x0A { read += 1 }
        }
        return write
    }
}
