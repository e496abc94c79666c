#if FUZZING
/// libFuzzer's driver (`extern "C" int LLVMFuzzerRunDriver(int *argc, char ***argv,
/// int (*callback)(const uint8_t *data, size_t size))`, in the runtime that
/// `-sanitize=fuzzer` links).
@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The fuzzing build's entry point. SwiftPM links every executable target with
/// `--defsym main=<Module>_main` (so tests can link executables), and under `-parse-as-library`
/// without `@main` nothing defines `MailMIMEFuzz_main`: this does, and hands over to libFuzzer's
/// driver exactly as libFuzzer's own `main` would.
@_cdecl("MailMIMEFuzz_main")
func fuzzingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return withUnsafeMutablePointer(to: &count) { countPointer in
        withUnsafeMutablePointer(to: &arguments) { argumentsPointer in
            runLibFuzzerDriver(countPointer, argumentsPointer) { data, size in
                // libFuzzer passes a null pointer for the empty input.
                guard let data else {
                    var empty: UInt8 = 0
                    return fuzz(&empty, 0)
                }
                return fuzz(data, size)
            }
        }
    }
}
#endif
