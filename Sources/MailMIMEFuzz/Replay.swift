#if !FUZZING
import FuzzSupport

/// The normal build's `main`: runs every file named on the command line (a directory: every
/// file in it) through the fuzz target, to reproduce a finding without libFuzzer or to replay a
/// corpus. The fuzzing build (`-DFUZZING`) leaves this out and gets libFuzzer's driver.
@main
struct Replay {
    static func main() {
        FuzzDriver.replay(name: "MailMIMEFuzz", arguments: Array(CommandLine.arguments.dropFirst())) { FuzzTarget.run($0) }
    }
}
#endif
