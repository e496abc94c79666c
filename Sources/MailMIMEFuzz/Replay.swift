#if !FUZZING
import Glibc

/// The normal build's `main`: runs every file named on the command line (a directory: every file
/// in it) through the fuzz target, to reproduce a crash without libFuzzer or to replay a corpus.
/// The fuzzing build (`-DFUZZING`) leaves this out and gets libFuzzer's `main`.
@main
struct Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard !arguments.isEmpty, !arguments.contains("-h"), !arguments.contains("--help") else {
            print("usage: MailMIMEFuzz FILE_OR_DIRECTORY...")
            print("Runs each input through the MailMIME fuzz target (the replay driver of the non-fuzzing build).")
            exit(arguments.isEmpty ? 2 : 0)
        }
        var count = 0
        for argument in arguments {
            for path in files(at: argument) {
                guard let bytes = readFile(path) else {
                    printError("MailMIMEFuzz: cannot read \(path)")
                    exit(1)
                }
                print("running \(path) (\(bytes.count) bytes)")
                bytes.withUnsafeBufferPointer { buffer in
                    // A zero-length input still needs a valid pointer.
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, buffer.count)) { copy in
                        if let base = buffer.baseAddress, let target = copy.baseAddress {
                            target.initialize(from: base, count: buffer.count)
                        }
                        _ = fuzz(UnsafePointer(copy.baseAddress!), buffer.count)
                    }
                }
                count += 1
            }
        }
        print("ran \(count) input(s), no crash")
    }

    /// `path` itself, or the regular files directly inside it when it is a directory, sorted.
    static func files(at path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var info = stat()
            let full = path.hasSuffix("/") ? path + name : path + "/" + name
            if stat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { names.append(full) }
        }
        return names.sorted()
    }

    static func printError(_ text: String) {
        let line = Array((text + "\n").utf8)
        _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let read = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if read > 0 { bytes.append(contentsOf: chunk[0..<read]) }
            if read < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}
#endif
