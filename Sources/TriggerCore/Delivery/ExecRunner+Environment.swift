import Foundation

extension ExecRunner {
    /// The longest value of one variable, in UTF-8 bytes: a subject or address is never this long
    /// legitimately, and the whole environment must stay well within ARG_MAX.
    static let maxValueBytes = 4096

    /// The program's environment: a minimal base (`PATH`, and `LANG`, `TZ`, `HOME` when the
    /// daemon has them), then the action's `env` (secret references read now, from `inherited`
    /// for `{"env"}`), then `MAILTRIGGER_*`, which the action cannot override. Nothing else leaks
    /// from the daemon's environment (credentials, for instance). The environment, unlike the
    /// arguments, is readable only by the hook's own user and root (`/proc/<pid>/environ` is
    /// mode 0400; `cmdline` is world-readable): the place for a token.
    static func environment(for action: ExecAction, job: StateStore.Job,
                            inherited: [String: String] = ProcessInfo.processInfo.environment) throws -> [String: String] {
        var environment = ["PATH": path]
        for name in ["LANG", "TZ", "HOME"] {
            if let value = inherited[name] { environment[name] = value }
        }
        for (name, value) in action.environment where isValidName(name) && !name.uppercased().hasPrefix("MAILTRIGGER_") {
            environment[name] = try value.resolve(environment: inherited)
        }
        let facts = PayloadFacts(payload: job.payload)
        let own: [String: String] = [
            "MAILTRIGGER_PROFILE": job.profile,
            "MAILTRIGGER_MAILBOX": job.mailbox,
            "MAILTRIGGER_UID": String(job.uid),
            "MAILTRIGGER_UIDVALIDITY": String(job.uidValidity),
            "MAILTRIGGER_FLOW": job.flow,
            "MAILTRIGGER_IDEMPOTENCY_KEY": job.messageKey,
            "MAILTRIGGER_MESSAGE_ID": facts.messageID ?? "",
            "MAILTRIGGER_SUBJECT": facts.subject ?? "",
            "MAILTRIGGER_FROM": facts.from ?? "",
        ]
        environment.merge(own) { _, mine in mine }
        return environment.mapValues(sanitize)
    }

    /// The values in `environment` that came from a file, a variable or a credential: a hook
    /// that prints one must not put it into the log or a failure reason.
    static func secretValues(of action: ExecAction, in environment: [String: String]) -> [String] {
        action.environment.compactMap { name, value in value.inlineValue == nil ? environment[name] : nil }.filter { !$0.isEmpty }
    }

    /// A value an environment can hold: no NUL (it would end the C string), at most
    /// `maxValueBytes` UTF-8 bytes, cut between Unicode scalars.
    static func sanitize(_ value: String) -> String {
        let value = value.contains("\0") ? value.replacingOccurrences(of: "\0", with: "") : value
        guard value.utf8.count > maxValueBytes else { return value }
        var bytes = 0
        var end = value.unicodeScalars.startIndex
        for scalar in value.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxValueBytes { break }
            end = value.unicodeScalars.index(after: end)
        }
        return String(value.unicodeScalars[..<end])
    }

    /// A name `execve` passes on intact: not empty, no `=` or NUL.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("=") && !name.contains("\0")
    }

    /// The payload fields the environment carries.
    struct PayloadFacts {
        var messageID: String?
        var subject: String?
        var from: String?

        init(payload: Data) {
            guard let object = try? JSONSerialization.jsonObject(with: payload) as? [String: Any] else { return }
            messageID = object["messageId"] as? String
            subject = object["subject"] as? String
            from = (object["from"] as? [[String: Any]])?.first?["address"] as? String
        }
    }
}
