import IMAPCore
import Testing

/// UIDSet: the wire form of RFC 3501 §9 `sequence-set`.
@Suite("UIDSet")
struct UIDSetTests {
    typealias Range = UIDSet.Range

    @Test("description is the wire form", arguments: [
        (UIDSet([Range(1, 3), Range(7, 7), Range(9, nil)]), "1:3,7,9:*"),
        (UIDSet([Range(5, 5)]), "5"),
        (UIDSet([Range(4_294_967_295, 4_294_967_295)]), "4294967295"),
        (UIDSet.from(1), "1:*"),
        (UIDSet.from(4242), "4242:*"),
        (UIDSet([Range(10, 2)]), "2:10"),
        (UIDSet([Range(9, nil), Range(1, 1)]), "9:*,1"),
        (UIDSet([]), ""),
    ])
    func descriptions(_ set: UIDSet, _ wire: String) {
        #expect(set.description == wire)
    }

    @Test("ranges are normalised so that lower <= upper")
    func normalisedRanges() {
        let reversed = Range(9, 3)
        #expect(reversed.lower == 3)
        #expect(reversed.upper == 9)
        #expect(reversed == Range(3, 9))
        let open = Range(7, nil)
        #expect(open.lower == 7 && open.upper == nil)
    }

    @Test("parsing valid sequence sets", arguments: [
        ("1:3,7,9:*", UIDSet([Range(1, 3), Range(7, 7), Range(9, nil)])),
        ("3:1", UIDSet([Range(1, 3)])),
        ("*:4", UIDSet([Range(4, nil)])),
        ("4:*", UIDSet([Range(4, nil)])),
        ("1", UIDSet([Range(1, 1)])),
        ("4294967295", UIDSet([Range(4_294_967_295, 4_294_967_295)])),
        ("1,1,1", UIDSet([Range(1, 1), Range(1, 1), Range(1, 1)])),
    ])
    func parsing(_ text: String, _ set: UIDSet) {
        #expect(UIDSet(parsing: text) == set)
    }

    @Test("parsing invalid sequence sets returns nil", arguments: [
        "", ",", "1,", ",1", "1,,2", "0", "1:0", "0:*", "a", "1:2:3", "-1", "+1", "1:+2", "1 2", " 1", "1 ", "4294967296",
        "1::2", ":", "1:", ":1", "**", "*:*:*", "1.5", "٣", "1;2", "1:3,", "\u{0}",
    ])
    func invalid(_ text: String) {
        #expect(UIDSet(parsing: text) == nil)
    }

    @Test("`*` alone parses and encodes back to `*`")
    func star() throws {
        let set = try #require(UIDSet(parsing: "*"))
        #expect(set.description == "*")
        #expect(set.contains(UInt32.max))
        #expect(UIDSet(parsing: set.description) == set)
    }

    @Test("canonical wire text survives parsing and description", arguments: [
        "1", "1:3", "1:3,7,9:*", "2,4,6,8", "100:*", "*", "5:*,1:2", "4294967294:4294967295",
    ])
    func textRoundTrip(_ text: String) throws {
        #expect(try #require(UIDSet(parsing: text)).description == text)
    }

    @Test("UIDSet(values:) compresses into sorted runs", arguments: [
        ([UInt32](), ""),
        ([5], "5"),
        ([7, 1, 2, 3, 9, 10, 3], "1:3,7,9:10"),
        ([1, 3, 5], "1,3,5"),
        ([4_294_967_295, 4_294_967_294, 1], "1,4294967294:4294967295"),
        (Array(UInt32(1)...1000), "1:1000"),
    ])
    func values(_ values: [UInt32], _ wire: String) {
        let set = UIDSet(values: values)
        #expect(set.description == wire)
        #expect(set.isEmpty == values.isEmpty)
    }

    @Test("contains")
    func contains() {
        let set = UIDSet.wire("1:3,7,9:*")
        for value: UInt32 in [1, 2, 3, 7, 9, 10, 1000, UInt32.max] {
            #expect(set.contains(value), "\(value)")
        }
        for value: UInt32 in [0, 4, 5, 6, 8] {
            #expect(!set.contains(value), "\(value)")
        }
        #expect(!UIDSet([]).contains(1))
        #expect(Range(5, nil).contains(UInt32.max))
        #expect(!Range(5, 6).contains(7))
    }

    @Test("random sets survive description and parsing, with membership intact")
    func randomRoundTrip() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        for _ in 0..<300 {
            let count = Int.random(in: 1...60, using: &rng)
            let base = UInt32.random(in: 1...(UInt32.max - 5000), using: &rng)
            let values = (0..<count).map { _ in base + UInt32.random(in: 0...200, using: &rng) }
            let set = UIDSet(values: values)
            let parsed = try #require(UIDSet(parsing: set.description))
            #expect(parsed == set)
            let members = Set(values)
            for probe in (base - 1)...(base + 201) {
                #expect(parsed.contains(probe) == members.contains(probe))
            }
            // Ranges built directly, possibly reversed or open, survive too.
            let ranges = (0..<Int.random(in: 1...5, using: &rng)).map { _ -> Range in
                let a = UInt32.random(in: 1...UInt32.max, using: &rng)
                let b: UInt32? = Bool.random(using: &rng) ? UInt32.random(in: 1...UInt32.max, using: &rng) : nil
                return Range(a, b)
            }
            #expect(UIDSet(parsing: UIDSet(ranges).description) == UIDSet(ranges))
        }
    }
}
