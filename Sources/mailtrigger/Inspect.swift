import ArgumentParser
import Foundation
import MailMIME

/// `mailtrigger inspect FILE.eml`: the payload a flow would receive for a message.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON payload a flow would receive for a message (see docs/payload.md).",
        discussion: "Exit status: 0 success; 64 usage error; 66 the file cannot be read."
    )

    @Argument(help: "An RFC 5322 message file, or - for standard input.")
    var file: String

    @Flag(help: "Include every header field.")
    var headers = false

    @Flag(help: "Include attachment contents (base64), up to --max-attachment-bytes each.")
    var attachmentsContent = false

    @Flag(help: "Include the raw message (base64).")
    var raw = false

    @Option(help: "Cap on the text and on the HTML body, in bytes.")
    var maxBodyBytes = 1024 * 1024

    @Option(help: "Largest attachment whose content is included, in bytes.")
    var maxAttachmentBytes = 10 * 1024 * 1024

    @Flag(help: "Compact JSON on one line (as webhooks receive it).")
    var compact = false

    func run() throws {
        let data: Data?
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: file)
        }
        guard let data else {
            printError("inspect: cannot read \(file)")
            throw ExitCode(66)
        }
        let message = MIMEMessage(bytes: [UInt8](data))
        let options = PayloadOptions(includeHeaders: headers, includeRaw: raw, includeAttachmentContent: attachmentsContent,
                                     maxBodyBytes: maxBodyBytes, maxAttachmentContentBytes: maxAttachmentBytes)
        printOutput(Payload(message: message, options: options).json(pretty: !compact))
    }
}
