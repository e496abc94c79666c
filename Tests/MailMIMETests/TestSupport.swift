import Foundation
@testable import MailMIME
import Testing

/// The bytes of a message written with `\n` line ends, converted to CRLF unless `bareLF`.
func message(_ text: String, bareLF: Bool = false) -> [UInt8] {
    let lf = Array(text.utf8)
    guard !bareLF else { return lf }
    var out: [UInt8] = []
    out.reserveCapacity(lf.count + lf.count / 20)
    for byte in lf {
        if byte == 0x0A { out.append(0x0D) }
        out.append(byte)
    }
    return out
}

/// Parses and builds a payload in one go.
func payload(_ text: String, bareLF: Bool = false, options: PayloadOptions = PayloadOptions(),
             limits: MIMELimits = .default) -> Payload {
    Payload(message: MIMEMessage(bytes: message(text, bareLF: bareLF), limits: limits), options: options)
}

/// The JSON as a Foundation object tree; nil when JSONSerialization rejects it.
func parseJSON(_ json: String) -> [String: Any]? {
    guard let data = json.data(using: .utf8),
          let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
    return object as? [String: Any]
}

/// Deterministic randomness (SplitMix64) for the robustness tables.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bytes from hex pairs separated by spaces, e.g. `"E2 82 AC"`.
func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// Parses a header section held in `bytes`.
func parseHeaders(_ bytes: [UInt8], maxBytes: Int = 1024 * 1024)
    -> (section: HeaderSection, bodyStart: Int, truncated: Bool) {
    bytes.withUnsafeBufferPointer { HeaderSection.parse($0, start: 0, end: $0.count, maxBytes: maxBytes) }
}

/// A JSON value that remembers the order of object keys, for checking the schema order.
indirect enum OrderedJSON: Equatable {
    case object([(String, OrderedJSON)])
    case array([OrderedJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (lhs: OrderedJSON, rhs: OrderedJSON) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)): a.map(\.0) == b.map(\.0) && zip(a, b).allSatisfy { $0.1 == $1.1 }
        case let (.array(a), .array(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    /// The keys of an object, in order.
    var keys: [String] {
        if case let .object(pairs) = self { return pairs.map(\.0) }
        return []
    }

    subscript(key: String) -> OrderedJSON? {
        if case let .object(pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    /// Parses JSON text; only what the payload writer needs, strictly (no trailing garbage).
    static func parse(_ text: String) -> OrderedJSON? {
        var scalars = Array(text.unicodeScalars)[...]
        guard let value = parseValue(&scalars) else { return nil }
        skipSpace(&scalars)
        return scalars.isEmpty ? value : nil
    }

    private static func skipSpace(_ s: inout ArraySlice<Unicode.Scalar>) {
        while let first = s.first, first == " " || first == "\n" || first == "\r" || first == "\t" { s.removeFirst() }
    }

    private static func parseValue(_ s: inout ArraySlice<Unicode.Scalar>) -> OrderedJSON? {
        skipSpace(&s)
        guard let first = s.first else { return nil }
        switch first {
        case "{":
            s.removeFirst()
            var pairs: [(String, OrderedJSON)] = []
            skipSpace(&s)
            if s.first == "}" { s.removeFirst(); return .object(pairs) }
            while true {
                skipSpace(&s)
                guard case let .string(key)? = parseValue(&s) else { return nil }
                skipSpace(&s)
                guard s.popFirst() == ":", let value = parseValue(&s) else { return nil }
                pairs.append((key, value))
                skipSpace(&s)
                switch s.popFirst() {
                case ",": continue
                case "}": return .object(pairs)
                default: return nil
                }
            }
        case "[":
            s.removeFirst()
            var items: [OrderedJSON] = []
            skipSpace(&s)
            if s.first == "]" { s.removeFirst(); return .array(items) }
            while true {
                guard let value = parseValue(&s) else { return nil }
                items.append(value)
                skipSpace(&s)
                switch s.popFirst() {
                case ",": continue
                case "]": return .array(items)
                default: return nil
                }
            }
        case "\"":
            s.removeFirst()
            var out = String.UnicodeScalarView()
            while let scalar = s.popFirst() {
                if scalar == "\"" { return .string(String(out)) }
                guard scalar.value >= 0x20 else { return nil }
                guard scalar == "\\" else { out.append(scalar); continue }
                switch s.popFirst() {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "/": out.append("/")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    let digits = String(String.UnicodeScalarView(s.prefix(4)))
                    guard digits.count == 4, let code = UInt32(digits, radix: 16), let decoded = Unicode.Scalar(code) else { return nil }
                    s.removeFirst(4)
                    out.append(decoded)
                default: return nil
                }
            }
            return nil
        case "t", "f", "n":
            for (word, value) in [("true", OrderedJSON.bool(true)), ("false", .bool(false)), ("null", .null)]
            where s.starts(with: word.unicodeScalars) {
                s.removeFirst(word.unicodeScalars.count)
                return value
            }
            return nil
        default:
            var digits = ""
            while let scalar = s.first, scalar == "-" || ("0"..."9").contains(scalar) {
                digits.unicodeScalars.append(scalar)
                s.removeFirst()
            }
            return digits.isEmpty || digits == "-" ? nil : .number(digits)
        }
    }
}
