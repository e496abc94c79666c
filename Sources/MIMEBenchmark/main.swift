import Glibc
import MailMIME

// MIMEBenchmark: MailMIME throughput on a corpus, and time and memory on one large attachment.
// Run in release (scripts/bench.sh). MB means 10^6 bytes everywhere, as in bench_python.py.

let usage = """
usage: MIMEBenchmark CORPUS_DIR [--repeat R]
       MIMEBenchmark --large-attachment MB [--repeat R]
       MIMEBenchmark --worst-case MB
       MIMEBenchmark --digest DIR

CORPUS_DIR: loads every *.eml in it into memory, then R times (default 3) parses each message,
builds its payload (default options) and serialises it as JSON; reports the best run:
  mailtrigger: N messages, X MB, Y messages/s, Z MB/s
--large-attachment MB: synthesises one message with a base64 attachment of MB x 10^6
deterministic pseudo-random bytes, parses it and builds payload and JSON R times; reports the
best time and the process's peak RSS (VmHWM) relative to the message size.
--worst-case MB: times messages of about MB x 10^6 bytes built to be hard for a parser (one
pathological header or body each: encoded words, quoted names, RFC 2231 sections, line ends,
JSON escapes...), every payload option on; linear code handles each in well under a second.
--digest DIR: for every file in DIR (not only *.eml) prints an FNV-1a hash of its payload JSON,
compact and pretty, with every option on, then one hash of them all: equal digests before and
after an optimisation show that the output did not change.
"""

func fail(_ text: String, status: Int32 = 2) -> Never {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(status)
}

// MARK: - Formatting (no Foundation)

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return String(value) }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let fractionText = String(fraction)
        text += "." + String(repeating: "0", count: max(0, digits - fractionText.count)) + fractionText
    }
    return text
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

// MARK: - Files

func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var info = stat()
    guard fstat(fileno(file), &info) == 0 else { return nil }
    let size = Int(info.st_size)
    var bytes = [UInt8](repeating: 0, count: size)
    let read = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, file) }
    guard read == size else { return nil }
    return bytes
}

/// Every `*.eml` file in `directory` (not in subdirectories), sorted by name, as bench_python.py
/// reads them.
func emlFiles(in directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var found: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard name.hasSuffix(".eml") else { continue }
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { found.append(path) }
    }
    return found.sorted()
}

// MARK: - Memory

/// A `kB` field of /proc/self/status (`VmHWM`, `VmRSS`), in bytes.
func procStatus(_ field: String) -> Int {
    guard let status = readProcFile("/proc/self/status") else { return 0 }
    let text = String(decoding: status, as: UTF8.self)
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        let digits = line.dropFirst(field.count + 1).filter { $0.isNumber }
        return (Int(String(digits)) ?? 0) * 1024
    }
    return 0
}

/// /proc files report size 0: read until EOF.
func readProcFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let read = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        bytes += chunk[0..<read]
        if read < chunk.count { return bytes }
    }
}

// MARK: - Work

/// Parse, payload, JSON: what mailtrigger does for every message it fires a flow for.
@inline(never)
func process(_ bytes: [UInt8]) -> Int {
    let message = MIMEMessage(bytes: bytes)
    let payload = Payload(message: message)
    return payload.jsonBytes().count
}

func runCorpus(_ directory: String, repeats: Int) {
    let paths = emlFiles(in: directory)
    guard !paths.isEmpty else { fail("MIMEBenchmark: no .eml files in \(directory)") }
    var messages: [[UInt8]] = []
    messages.reserveCapacity(paths.count)
    for path in paths {
        guard let bytes = readFile(path) else { fail("MIMEBenchmark: cannot read \(path)", status: 1) }
        messages.append(bytes)
    }
    let totalBytes = messages.reduce(0) { $0 + $1.count }
    let clock = ContinuousClock()
    var best = Duration.seconds(Int64.max / 4)
    var jsonBytes = 0
    for _ in 0..<repeats {
        var sink = 0
        let elapsed = clock.measure {
            for message in messages { sink &+= process(message) }
        }
        jsonBytes = sink
        best = min(best, elapsed)
    }
    let seconds = best.seconds
    let megabytes = Double(totalBytes) / 1e6
    print("mailtrigger: \(messages.count) messages, \(fixed(megabytes, 1)) MB, "
        + "\(fixed(Double(messages.count) / seconds, 0)) messages/s, \(fixed(megabytes / seconds, 2)) MB/s")
    print("  best of \(repeats) runs: \(fixed(seconds, 3)) s; \(jsonBytes) bytes of JSON per run")
}

/// FNV-1a, 64 bits.
func fnv1a<S: Sequence>(_ bytes: S, _ seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 where S.Element == UInt8 {
    var hash = seed
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01B3
    }
    return hash
}

func hex(_ value: UInt64) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: 16 - text.count) + text
}

func runDigest(_ directory: String) {
    guard let handle = opendir(directory) else { fail("MIMEBenchmark: cannot open \(directory)") }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != ".", name != ".." { names.append(name) }
    }
    closedir(handle)
    let options = PayloadOptions(includeHeaders: true, includeRaw: true, includeAttachmentContent: true)
    var total: UInt64 = 0xCBF2_9CE4_8422_2325
    var count = 0
    for name in names.sorted() {
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        guard let bytes = readFile(path) else { continue }
        let payload = Payload(message: MIMEMessage(bytes: bytes), options: options)
        let hash = fnv1a(payload.jsonBytes(pretty: true), fnv1a(payload.jsonBytes()))
        print("\(hex(hash))  \(name)")
        total = fnv1a(withUnsafeBytes(of: hash.littleEndian) { Array($0) }, total)
        count += 1
    }
    print("digest of \(count) messages: \(hex(total))")
}

/// xorshift64*: deterministic pseudo-random bytes.
struct PseudoRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}

/// A message with a short text part and one base64 attachment of `size` bytes, built in place
/// in a buffer of exactly the final size, so that the message exists once in memory.
func synthesiseMessage(attachmentBytes size: Int) -> [UInt8] {
    let boundary = "=_bench_boundary_42"
    let head = Array("""
        From: Benchmark <bench@example.org>\r
        To: Someone <someone@example.com>\r
        Subject: =?utf-8?Q?A_large_attachment_=E2=80=94_benchmark?=\r
        Date: Sat, 21 Nov 2026 10:00:00 +0100\r
        Message-ID: <large-attachment@example.org>\r
        MIME-Version: 1.0\r
        Content-Type: multipart/mixed; boundary="\(boundary)"\r
        \r
        --\(boundary)\r
        Content-Type: text/plain; charset=utf-8\r
        \r
        The attachment is \(size) bytes of pseudo-random data.\r
        --\(boundary)\r
        Content-Type: application/octet-stream; name="data.bin"\r
        Content-Disposition: attachment; filename="data.bin"\r
        Content-Transfer-Encoding: base64\r
        \r

        """.utf8)
    let tail = Array("--\(boundary)--\r\n".utf8)
    let encodedCount = (size + 2) / 3 * 4
    let lineLength = 76
    let lines = (encodedCount + lineLength - 1) / lineLength
    let total = head.count + encodedCount + lines * 2 + tail.count
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    var generator = PseudoRandom(state: 0x9E37_79B9_7F4A_7C15)
    let message = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialised in
        var out = 0
        for byte in head { buffer[out] = byte; out += 1 }
        var produced = 0  // attachment bytes encoded so far
        var column = 0
        var random: UInt64 = 0
        var randomLeft = 0
        func nextByte() -> UInt8 {
            if randomLeft == 0 { random = generator.next(); randomLeft = 8 }
            defer { random >>= 8; randomLeft -= 1 }
            return UInt8(truncatingIfNeeded: random)
        }
        while produced < size {
            let count = min(3, size - produced)
            let b0 = UInt32(nextByte())
            let b1 = count > 1 ? UInt32(nextByte()) : 0
            let b2 = count > 2 ? UInt32(nextByte()) : 0
            let value = b0 << 16 | b1 << 8 | b2
            buffer[out] = alphabet[Int(value >> 18 & 63)]
            buffer[out + 1] = alphabet[Int(value >> 12 & 63)]
            buffer[out + 2] = count > 1 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "=")
            buffer[out + 3] = count > 2 ? alphabet[Int(value & 63)] : UInt8(ascii: "=")
            out += 4
            produced += count
            column += 4
            if column == lineLength || produced == size {
                buffer[out] = 0x0D
                buffer[out + 1] = 0x0A
                out += 2
                column = 0
            }
        }
        for byte in tail { buffer[out] = byte; out += 1 }
        precondition(out == total, "synthesised \(out) bytes, expected \(total)")
        initialised = out
    }
    return message
}

func runLargeAttachment(megabytes: Double, repeats: Int) {
    let size = Int(megabytes * 1e6)
    let baseline = procStatus("VmRSS")
    let message = synthesiseMessage(attachmentBytes: size)
    let clock = ContinuousClock()
    var best = Duration.seconds(Int64.max / 4)
    for _ in 0..<repeats {
        var attachmentSize = 0
        var jsonBytes = 0
        let elapsed = clock.measure {
            let parsed = MIMEMessage(bytes: message)
            let payload = Payload(message: parsed)
            jsonBytes = payload.json().utf8.count
            attachmentSize = payload.attachments.first?.size ?? -1
        }
        guard attachmentSize == size, jsonBytes > 0 else {
            fail("MIMEBenchmark: the attachment came out as \(attachmentSize) bytes, expected \(size)", status: 1)
        }
        best = min(best, elapsed)
    }
    let peak = procStatus("VmHWM")
    let seconds = best.seconds
    let messageMB = Double(message.count) / 1e6
    print("large-attachment: \(fixed(megabytes, 0)) MB attachment, message \(fixed(messageMB, 2)) MB, "
        + "\(fixed(seconds, 4)) s, \(fixed(messageMB / seconds, 1)) MB/s, "
        + "peak RSS \(fixed(Double(peak) / 1e6, 1)) MB (\(fixed(Double(peak) / Double(message.count), 2))x message; "
        + "\(fixed(Double(baseline) / 1e6, 1)) MB before the message)")
}

// MARK: - Worst cases

/// Messages built to be hard for a parser: one pathological header or body of about `size`
/// bytes each. Each was quadratic in some version of MailMIME (a 1 MB version took from 1 s to
/// minutes).
func worstCaseMessages(size: Int) -> [(name: String, bytes: [UInt8])] {
    func repeated(_ unit: String) -> [UInt8] {
        let bytes = Array(unit.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(size + bytes.count)
        while result.count + bytes.count <= size { result += bytes }
        return result
    }
    func message(_ headers: [UInt8], body: [UInt8] = Array("body\r\n".utf8)) -> [UInt8] {
        headers + Array("\r\n\r\n".utf8) + body
    }
    var sections: [UInt8] = Array("Content-Type: text/plain".utf8)
    var number = 1
    while sections.count < size {
        sections += Array("; x*\(number)*=a".utf8)
        number += 1
    }
    return [
        ("encoded-word-scan", message(Array("Subject: ".utf8) + repeated("=?a?B?x"))),
        ("quoted-display-names", message(Array("To: ".utf8) + repeated("\"a\" ") + Array("<x@y>".utf8))),
        ("quoted-local-part", message(Array("To: <".utf8) + repeated("\"a\"") + Array("@y>".utf8))),
        ("quoted-after-address", message(Array("To: <x@y> ".utf8) + repeated("\"a\" "))),
        ("encoded-display-names", message(Array("To: ".utf8) + repeated("=?utf-8?Q?a?= <a@b>, "))),
        ("rfc2231-sections", message(sections)),
        ("encoded-parameters", message(Array("Content-Type: text/plain".utf8) + repeated("; n=\"=?utf-8?Q?a?=\""))),
        ("date-tokens", message(Array("Date: ".utf8) + repeated("1 "))),
        ("many-fields", message(Array("Subject: many fields".utf8) + repeated("\r\nX-A: b"))),
        ("cr-line-ends", message(Array("Content-Type: text/plain".utf8), body: repeated("a\r"))),
        ("json-escapes", message(Array("Content-Type: text/plain".utf8), body: repeated("\u{1}\"\\\u{2028}\n"))),
        ("quoted-printable", message(Array("Content-Transfer-Encoding: quoted-printable".utf8),
                                     body: repeated("=  x =\r\n \t \r"))),
    ]
}

/// Times parse + payload (every option on) + JSON of each worst case, once.
func runWorstCases(megabytes: Double) {
    let options = PayloadOptions(includeHeaders: true, includeRaw: true, includeAttachmentContent: true)
    let clock = ContinuousClock()
    for (name, bytes) in worstCaseMessages(size: Int(megabytes * 1e6)) {
        var jsonBytes = 0
        let elapsed = clock.measure {
            jsonBytes = Payload(message: MIMEMessage(bytes: bytes), options: options).json().utf8.count
        }
        precondition(jsonBytes > 0)
        let seconds = elapsed.seconds
        print("worst-case: \(name), \(fixed(Double(bytes.count) / 1e6, 2)) MB, \(fixed(seconds, 3)) s, "
            + "\(fixed(Double(bytes.count) / 1e6 / seconds, 1)) MB/s")
    }
}

// MARK: - Command line

enum Mode {
    case corpus(String)
    case largeAttachment(Double)
    case worstCase(Double)
    case digest(String)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var repeats = 3
var mode: Mode?
@MainActor func setMode(_ new: Mode) {
    guard mode == nil else { fail(usage) }
    mode = new
}
@MainActor func megabytesArgument() -> Double {
    guard let value = arguments.first.flatMap({ Double($0) }), value > 0, value <= 4096 else { fail(usage) }
    arguments.removeFirst()
    return value
}
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "-h", "--help":
        print(usage)
        exit(0)
    case "--repeat":
        guard let value = arguments.first.flatMap({ Int($0) }), value > 0 else { fail(usage) }
        repeats = value
        arguments.removeFirst()
    case "--digest":
        guard let value = arguments.first else { fail(usage) }
        arguments.removeFirst()
        setMode(.digest(value))
    case "--large-attachment":
        setMode(.largeAttachment(megabytesArgument()))
    case "--worst-case":
        setMode(.worstCase(megabytesArgument()))
    default:
        guard !argument.hasPrefix("-") else { fail(usage) }
        setMode(.corpus(argument))
    }
}
switch mode {
case .corpus(let directory): runCorpus(directory, repeats: repeats)
case .largeAttachment(let megabytes): runLargeAttachment(megabytes: megabytes, repeats: repeats)
case .worstCase(let megabytes): runWorstCases(megabytes: megabytes)
case .digest(let directory): runDigest(directory)
case nil: fail(usage)
}
