#if FUZZING
import FuzzSupport

/// The fuzzing build's entry point. SwiftPM links every executable target with
/// `--defsym main=<Module>_main` (so tests can link executables), and under `-parse-as-library`
/// without `@main` nothing defines `IMAPCoreFuzz_main`: this does, and hands over to libFuzzer.
@_cdecl("IMAPCoreFuzz_main")
func fuzzingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv) { data, size in fuzz(data, size) }
}

/// libFuzzer's entry point, also defined so that its runtime links whatever it references.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // libFuzzer passes a null pointer for the empty input.
    FuzzTarget.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#endif
