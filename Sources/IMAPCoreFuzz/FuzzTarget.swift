package import IMAPCore
import NIOCore

/// Everything one input goes through: the response parser (what a hostile server controls) and
/// the command encoder (what a configuration or a mail's data may put into a command). A crash,
/// a trap (overflow, index out of range) or a failed `precondition` below is a finding.
package enum FuzzTarget {
    /// Tight bounds, so that long, deep or wide inputs hit each of them quickly.
    static let small = Limits(maxLineLength: 512, maxLiteralSize: 256, maxNestingDepth: 8, maxElements: 32)

    package static func run(_ bytes: [UInt8]) {
        let limits = (bytes.first ?? 0) & 1 == 0 ? Limits.default : small
        // Split into reads of 1…16 bytes, chosen by the second byte, against one read: the
        // incremental parser must not care where reads end.
        let chunk = Int((bytes.dropFirst().first ?? 0) % 16) + 1
        let whole = parse(bytes, chunk: nil, limits: limits)
        let chunked = parse(bytes, chunk: chunk, limits: limits)
        precondition(whole == chunked, "reads of \(chunk) bytes parse differently from one read")
        encode(bytes)
    }

    package struct Outcome: Equatable {
        package var responses: [Response] = []
        package var error: IMAPCoreError.Code?

        package init(responses: [Response] = [], error: IMAPCoreError.Code? = nil) {
            self.responses = responses
            self.error = error
        }
    }

    /// Feeds `bytes` to a parser in reads of `chunk` bytes (or one read): every response, up to
    /// the first error. A nil result must leave the buffer untouched.
    package static func parse(_ bytes: [UInt8], chunk: Int?, limits: Limits) -> Outcome {
        var outcome = Outcome()
        var parser = ResponseParser(limits: limits)
        var buffer = ByteBuffer()
        var offset = 0
        let step = chunk ?? max(bytes.count, 1)
        repeat {
            let end = min(offset + step, bytes.count)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            do {
                while true {
                    let before = (buffer.readerIndex, buffer.readableBytes)
                    guard let response = try parser.parse(&buffer) else {
                        precondition(buffer.readerIndex == before.0 && buffer.readableBytes == before.1,
                                     "an incomplete response consumed bytes")
                        break
                    }
                    precondition(buffer.readerIndex > before.0, "a response consumed nothing")
                    outcome.responses.append(response)
                }
            } catch let error as IMAPCoreError {
                outcome.error = error.code
                return outcome
            } catch {
                preconditionFailure("the parser threw \(type(of: error)), not IMAPCoreError")
            }
        } while offset < bytes.count
        return outcome
    }

    /// The input as a mailbox name and a search string: whatever it holds, the encoded command
    /// is exactly one command — a line ending in CRLF, with only the literals it announced.
    static func encode(_ bytes: [UInt8]) {
        let text = String(decoding: bytes.prefix(2048), as: UTF8.self)
        for encoder in [CommandEncoder(), CommandEncoder(literalPlus: true), CommandEncoder(literalMinus: true)] {
            for command in [Command.select(mailbox: text, condStore: false), .status(mailbox: text, items: ["UIDNEXT"]),
                            .uidSearch(.subject(text), returnOptions: nil), .login(username: text, password: text)] {
                guard let encoded = try? encoder.encode(tag: "A1", command) else {
                    // Only what the protocol cannot carry is refused: a NUL, an empty mailbox name.
                    precondition(text.utf8.contains(0) || text.isEmpty, "refused to encode text without NUL")
                    continue
                }
                checkOneCommand(Array(encoded.joined.readableBytesView))
            }
        }
        if let decoded = ModifiedUTF7.decode(text) {
            precondition(ModifiedUTF7.decode(ModifiedUTF7.encode(decoded)) == decoded, "modified UTF-7 round trip")
        }
        precondition(ModifiedUTF7.decode(ModifiedUTF7.encode(text)) == text, "modified UTF-7 round trip of any text")
    }

    /// `wire` is one line ending in CRLF, except where a `{N}`, `{N+}` or `~{N}` at a line's end
    /// announces N bytes of literal: those are skipped, and the line goes on after them.
    static func checkOneCommand(_ wire: [UInt8]) {
        var index = 0
        while true {
            guard let crlf = wire[index...].firstIndex(of: 0x0D) else { preconditionFailure("no CRLF ends the command") }
            precondition(crlf + 1 < wire.count && wire[crlf + 1] == 0x0A, "a CR without LF in a command line")
            precondition(!wire[index..<crlf].contains(0x0A), "a bare LF in a command line")
            guard let size = literalSize(announcedBy: wire[index..<crlf]) else {
                precondition(crlf + 2 == wire.count, "bytes after the command's CRLF: a second command")
                return
            }
            index = crlf + 2 + size
            precondition(index <= wire.count, "a literal longer than the command")
        }
    }

    /// N when `line` ends in `{N}` or `{N+}`.
    static func literalSize(announcedBy line: ArraySlice<UInt8>) -> Int? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.endIndex - 1)]
        if digits.last == UInt8(ascii: "+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}
