/// A set of UIDs or sequence numbers as written on the wire (RFC 3501 §9 `sequence-set`):
/// `1,3:5,10:*`. Ranges keep their order; `*` (the largest number in use) is an open upper end.
public struct UIDSet: Hashable, Sendable, CustomStringConvertible {
    /// One `a:b` element; `upper == nil` stands for `*`.
    public struct Range: Hashable, Sendable {
        public var lower: UInt32
        public var upper: UInt32?

        /// Creates `lower:upper` (`upper == nil` means `lower:*`). The pair is normalised so
        /// that `lower <= upper` (RFC 3501 allows either order).
        public init(_ lower: UInt32, _ upper: UInt32?) {
            if let upper, upper < lower {
                self.lower = upper
                self.upper = lower
            } else {
                self.lower = lower
                self.upper = upper
            }
        }

        /// Whether `value` lies in the range; an open range contains everything from `lower`.
        public func contains(_ value: UInt32) -> Bool {
            value >= lower && value <= (upper ?? UInt32.max)
        }
    }

    /// The elements, in the order given.
    public var ranges: [Range]

    /// Creates a set from ranges.
    public init(_ ranges: [Range]) { self.ranges = ranges }

    /// Creates a set holding exactly `values`, compressed into runs (`1:3,7`).
    public init<S: Sequence>(values: S) where S.Element == UInt32 {
        var sorted = Array(Set(values)).sorted()[...]
        var ranges: [Range] = []
        while let first = sorted.popFirst() {
            var last = first
            while let next = sorted.first, next == last &+ 1 {
                last = next
                sorted.removeFirst()
            }
            ranges.append(Range(first, last))
        }
        self.ranges = ranges
    }

    /// `from:*`, the "everything from here on" set used by the sync (`UID SEARCH UID n:*`).
    public static func from(_ lower: UInt32) -> UIDSet { UIDSet([Range(lower, nil)]) }

    /// Whether no element is present (an empty set cannot be sent).
    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `value` is in the set.
    public func contains(_ value: UInt32) -> Bool { ranges.contains { $0.contains(value) } }

    /// The wire form, for example `1:3,7,9:*`.
    public var description: String {
        ranges.map { range in
            // `*` alone parses as `max:*`; write it back as `*`.
            if range.lower == UInt32.max && range.upper == nil { return "*" }
            let upper = range.upper.map(String.init) ?? "*"
            return range.upper == range.lower ? String(range.lower) : "\(range.lower):\(upper)"
        }.joined(separator: ",")
    }

    /// Parses the wire form; returns nil for anything that is not a valid `sequence-set`.
    public init?(parsing text: String) {
        var ranges: [Range] = []
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = element.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 1 || parts.count == 2 else { return nil }
            func number(_ part: Substring) -> UInt32?? {
                if part == "*" { return .some(nil) }
                // Digits only: UInt32("+5") would accept a sign the grammar does not have.
                guard part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = UInt32(part), value > 0 else {
                    return nil
                }
                return .some(value)
            }
            guard let first = number(parts[0]) else { return nil }
            let second = parts.count == 2 ? number(parts[1]) : first
            guard let second else { return nil }
            switch (first, second) {
            case let (.some(a), .some(b)): ranges.append(Range(a, b))
            case let (.some(a), .none), let (.none, .some(a)): ranges.append(Range(a, nil))
            case (.none, .none): ranges.append(Range(UInt32.max, nil))
            }
        }
        guard !ranges.isEmpty else { return nil }
        self.ranges = ranges
    }
}
