import FuzzSupport
import Foundation
@testable import MailMIMEFuzz
import Testing

/// The fuzz target's seeds and every input it once found (Fuzz/MailMIME/seeds, regressions), run
/// through the target as scripts/fuzz.sh runs them: a broken invariant stops the test process.
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/MailMIME").path

    static let inputs = ["seeds", "regressions"].flatMap { FuzzDriver.files(at: root + "/" + $0) }
        .filter { FileManager.default.fileExists(atPath: $0) }

    @Test func theCorpusIsThere() {
        #expect(Self.inputs.count >= 10, "\(Self.root)")
    }

    @Test("every kept input runs through the fuzz target", arguments: inputs)
    func replay(path: String) throws {
        let bytes = try #require(FuzzDriver.readFile(path))
        FuzzTarget.run(bytes)
    }
}
