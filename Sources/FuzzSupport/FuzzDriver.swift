#if canImport(Glibc)
import Glibc
#endif

/// What every fuzz target's executable shares (DESIGN.md §2: fuzz entry points are small
/// executables). Built with `-sanitize=fuzzer,address -DFUZZING -parse-as-library`
/// (`scripts/fuzz.sh`), an executable's `<Module>_main` hands over to libFuzzer's driver; in a
/// normal build its `@main` replays files through the same target, to reproduce a finding or to
/// run a kept corpus.
public enum FuzzDriver {
    /// A fuzz target's entry point: `LLVMFuzzerTestOneInput`'s signature.
    public typealias Target = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    #if FUZZING
    /// libFuzzer's driver, exactly as libFuzzer's own `main` would call it. SwiftPM links every
    /// executable target with `--defsym main=<Module>_main` (so tests can link executables); under
    /// `-parse-as-library` without `@main` nothing defines `<Module>_main`, so each target's
    /// `FuzzingMain.swift` does and calls this. Each also exports `LLVMFuzzerTestOneInput`, so it
    /// links into other libFuzzer setups unchanged.
    public static func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ target: Target) -> CInt {
        var count = argc
        var arguments = argv
        return withUnsafeMutablePointer(to: &count) { countPointer in
            withUnsafeMutablePointer(to: &arguments) { argumentsPointer in
                runLibFuzzerDriver(countPointer, argumentsPointer, target)
            }
        }
    }
    #endif

    /// libFuzzer's input as bytes (it passes a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    /// The replay driver: every file named (a directory: every file in it, sorted) through
    /// `run`. Exits 0 when none crashed (a crash ends the process), 1 on an unreadable file, 2
    /// without arguments.
    public static func replay(name: String, arguments: [String], run: ([UInt8]) -> Void) -> Never {
        guard !arguments.isEmpty, !arguments.contains("-h"), !arguments.contains("--help") else {
            print("usage: \(name) FILE_OR_DIRECTORY...")
            print("Runs each input through the \(name) fuzz target (the replay driver of the non-fuzzing build).")
            exit(arguments.isEmpty ? 2 : 0)
        }
        var count = 0
        for argument in arguments {
            for path in files(at: argument) {
                guard let bytes = readFile(path) else {
                    printError("\(name): cannot read \(path)")
                    exit(1)
                }
                print("running \(path) (\(bytes.count) bytes)")
                run(bytes)
                count += 1
            }
        }
        print("ran \(count) input(s), no crash")
        exit(0)
    }

    /// The kept inputs of a target, for the tests that replay them: the files of
    /// `Fuzz/<target>/seeds` and `Fuzz/<target>/regressions`, found from a test file's path
    /// (`Tests/<Module>/<File>.swift`).
    public static func keptInputs(of target: String, testFile: String = #filePath) -> [String] {
        var root = testFile
        for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        return ["seeds", "regressions"].flatMap { folder -> [String] in
            let path = root + "/Fuzz/" + target + "/" + folder
            return opendir(path).map { closedir($0); return files(at: path) } ?? []
        }
    }

    /// `path` itself, or the regular files directly inside it when it is a directory, sorted.
    public static func files(at path: String) -> [String] {
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

    public static func readFile(_ path: String) -> [UInt8]? {
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

#if FUZZING
/// libFuzzer's driver (`extern "C" int LLVMFuzzerRunDriver(int *argc, char ***argv,
/// int (*callback)(const uint8_t *data, size_t size))`, in the runtime `-sanitize=fuzzer` links).
@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
