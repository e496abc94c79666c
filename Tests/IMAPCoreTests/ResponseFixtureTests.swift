import IMAPCore
import Testing

/// The contract every fixture in every table must meet: parsed whole, byte by byte, and
/// concatenated, it gives the same responses; every strict prefix needs more bytes and consumes
/// nothing.
@Suite("ResponseParser: every fixture")
struct ResponseFixtureTests {
    static let all = StatusFixtures.all + UntaggedFixtures.all + FetchFixtures.all

    @Test("parses whole", arguments: all)
    func parsesWhole(_ fixture: ParseFixture) throws {
        try checkWhole(fixture)
    }

    @Test("every strict prefix needs more bytes and consumes nothing", arguments: all)
    func prefixes(_ fixture: ParseFixture) throws {
        try checkPrefixes(fixture)
    }

    @Test("byte by byte gives the same response", arguments: all)
    func byteByByte(_ fixture: ParseFixture) throws {
        try checkByteByByte(fixture)
    }

    @Test("concatenated responses come out one by one", arguments: [StatusFixtures.all, UntaggedFixtures.all,
                                                                    FetchFixtures.all + StatusFixtures.tagged])
    func concatenated(_ fixtures: [ParseFixture]) throws {
        try checkConcatenated(fixtures)
    }
}
