import FuzzSupport
import MailMIMEFuzz
import Testing

/// Fuzz/MailMIME's seeds and every input once found (regressions) through the fuzz target, as
/// scripts/fuzz.sh runs them: a broken invariant stops the test process.
struct FuzzCorpusTests {
    static let inputs = FuzzDriver.keptInputs(of: "MailMIME")

    @Test("every kept input runs through the fuzz target", arguments: inputs)
    func replay(path: String) throws {
        FuzzTarget.run(try #require(FuzzDriver.readFile(path)))
        #expect(Self.inputs.count >= 10, "the seeds are missing")
    }
}
