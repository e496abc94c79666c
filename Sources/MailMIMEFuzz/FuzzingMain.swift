#if FUZZING
import FuzzSupport

/// libFuzzer's `main` for this target (why it has this name: `FuzzDriver`).
@_cdecl("MailMIMEFuzz_main")
func fuzzingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.run(FuzzDriver.bytes(data, size))
    return 0
}
#endif
