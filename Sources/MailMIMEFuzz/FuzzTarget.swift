import MailMIME

/// Everything one input goes through. A crash, a trap (overflow, index out of range) or a failed
/// `precondition` below is a finding.
package enum FuzzTarget {
    /// Tight enough that deep or wide inputs hit every bound quickly, loose enough that ordinary
    /// messages are parsed whole.
    static let limits = MIMELimits(maxDepth: 12, maxParts: 200, maxHeaderBytes: 16 * 1024,
                                   maxDecodedBytes: 1024 * 1024)
    static let options = PayloadOptions(includeHeaders: true, includeRaw: true, includeAttachmentContent: true,
                                        maxBodyBytes: 32 * 1024, maxAttachmentContentBytes: 256 * 1024)
    /// Labels tried on slices; the input picks one by its first byte.
    static let labels = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "iso-8859-15", "koi8-r", "shift_jis",
                         "euc-jp", "iso-2022-jp", "gb2312", "big5", "ks_c_5601-1987", "utf-16", "utf-16le", "utf-32",
                         "utf-7", "x-unknown", "no-such-charset", "iso-8859-8-i", ""]
    /// Bound on the input given to the string-level parsers, which see header values in practice.
    static let sliceLimit = 8 * 1024

    package static func run(_ bytes: [UInt8]) {
        message(bytes)
        slices(bytes)
    }

    /// The whole pipeline: tree, payload with everything on, JSON both ways.
    static func message(_ bytes: [UInt8]) {
        let message = MIMEMessage(bytes: bytes, limits: limits)
        var parts = 0
        check(message.root, in: message, count: &parts)
        let payload = Payload(message: message, options: options)
        let compact = payload.json()
        let pretty = payload.json(pretty: true)
        precondition(compact.utf8.first == UInt8(ascii: "{") && compact.utf8.last == UInt8(ascii: "}"))
        precondition(pretty.utf8.count >= compact.utf8.count)
        precondition(payload.size == bytes.count)
    }

    /// Every part's range lies in the message, and its decoded size is what decoding gives.
    static func check(_ part: MIMEPart, in message: MIMEMessage, count: inout Int) {
        count += 1
        precondition(count <= limits.maxParts, "more parts than maxParts")
        precondition(part.body.lowerBound >= 0 && part.body.upperBound <= message.bytes.count)
        let decoded = message.decodedBody(of: part)
        precondition(message.decodedSize(of: part) == decoded.count, "decodedSize differs from the decoded body")
        if part.contentType.type == "text" { _ = message.text(of: part) }
        _ = part.filename
        for child in part.children { check(child, in: message, count: &count) }
    }

    /// The component parsers on pieces of the input: the whole (capped), and each line.
    static func slices(_ bytes: [UInt8]) {
        let capped = bytes.prefix(sliceLimit)
        component(capped)
        var lines = 0
        var start = capped.startIndex
        for index in capped.indices where capped[index] == 0x0A {
            component(capped[start..<index])
            start = index + 1
            lines += 1
            if lines == 64 { break }
        }
        if lines < 64, start < capped.endIndex { component(capped[start...]) }
    }

    static func component(_ slice: ArraySlice<UInt8>) {
        let text = Charset.decodeUTF8OrLatin1(slice)
        _ = EncodedWords.decode(text)
        for address in MailAddress.parseList(text) { precondition(!address.address.isEmpty) }
        if let date = MessageDate(parsing: text) {
            precondition((1...12).contains(date.month) && (1...31).contains(date.day))
            _ = date.rfc3339
        }
        if let type = ContentType(parsing: text) {
            _ = type.mimeType
            _ = type.parameters["charset"]
        }
        _ = ContentDisposition(parsing: text)

        let decoded = TransferDecoding.base64(slice)
        precondition(TransferDecoding.base64DecodedCount(slice) == decoded.count, "base64DecodedCount differs")
        let qp = TransferDecoding.quotedPrintable(slice)
        precondition(qp == TransferDecoding.quotedPrintable(Array(slice)), "quoted-printable depends on the slice's start")
        precondition(qp.count <= slice.count)

        let label = labels[Int(slice.first ?? 0) % labels.count]
        _ = Charset.decode(slice, label: label)
        _ = Charset.decode(qp, label: label)
        // A label taken from the input itself: the first token before a space.
        let named = String(text.prefix { $0 != " " && $0 != "\n" }.prefix(40))
        _ = Charset.decode(slice.dropFirst(named.utf8.count), label: named)
        _ = Charset.canonicalName(named)
    }
}
