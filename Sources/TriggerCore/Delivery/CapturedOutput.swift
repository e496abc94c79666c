import Foundation
import Subprocess

/// The first bytes of one output stream of an exec hook, and how many more were thrown away.
struct CapturedOutput: Sendable {
    var bytes: [UInt8] = []
    var discarded = 0

    var isEmpty: Bool { bytes.isEmpty && discarded == 0 }

    /// The kept bytes as text (invalid UTF-8 replaced), with a note when some were discarded.
    var text: String {
        let kept = String(decoding: bytes, as: UTF8.self)
        return discarded > 0 ? kept + "… (\(discarded) more bytes discarded)" : kept
    }

    /// The first characters on one line (control characters as spaces), for a failure reason.
    func excerpt(characters: Int) -> String {
        let flat = String(String(decoding: bytes.prefix(characters * 4), as: UTF8.self).unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : Character($0)
        })
        let words = flat.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return words.count > characters ? String(words.prefix(characters)) + "…" : words
    }

    /// Replaces each of `secrets` by `[redacted]` (the text is decoded as UTF-8 first, as
    /// ``text`` would be).
    mutating func redact(_ secrets: [String]) {
        guard !secrets.isEmpty else { return }
        var text = String(decoding: bytes, as: UTF8.self)
        for secret in secrets.sorted(by: { $0.count > $1.count }) where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: "[redacted]")
        }
        bytes = Array(text.utf8)
    }

    /// Reads `stream` to its end, keeping the first `limit` bytes. Reading on past the limit is
    /// the point: a program blocked on a full pipe would never exit. A read error (the program
    /// exited and swift-subprocess cancelled our read, or we were cancelled) ends the capture.
    static func drain(_ stream: SubprocessOutputSequence, limit: Int) async -> CapturedOutput {
        var captured = CapturedOutput()
        do {
            for try await buffer in stream {
                let room = limit - captured.bytes.count
                if room >= buffer.count {
                    buffer.withUnsafeBytes { captured.bytes.append(contentsOf: $0) }
                } else {
                    if room > 0 { buffer.withUnsafeBytes { captured.bytes.append(contentsOf: $0.prefix(room)) } }
                    captured.discarded += buffer.count - max(room, 0)
                }
            }
        } catch {
            // Keep what arrived.
        }
        return captured
    }
}
