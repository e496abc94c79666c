import Foundation
import Testing
import TriggerCore

struct SecretFileTests {
    func write(_ content: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mt-secret-\(UUID().uuidString)").path
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [("s3cret\n", "s3cret"), ("s3cret\r\n", "s3cret"), ("s3cret", "s3cret"),
                      (" spaced pass \n", " spaced pass "), ("two\n\n", "two\n")])
    func stripsOneLineEnd(content: String, expected: String) throws {
        let path = try write(content)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SecretFile.read(path) == expected)
    }

    @Test func errorsNameTheFileNotTheContents() throws {
        let empty = try write("\n")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let error = #expect(throws: SecretFile.ReadError.self) { try SecretFile.read(empty) }
        #expect(error?.description.contains(empty) == true)
        #expect(error?.reason == "file is empty")
        let missing = #expect(throws: SecretFile.ReadError.self) { try SecretFile.read("/nonexistent/mt-secret") }
        #expect(missing?.reason == "no such file")
    }
}
