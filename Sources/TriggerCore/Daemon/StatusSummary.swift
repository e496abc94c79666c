/// The one-line status systemd shows for the service (`sd_notify` `STATUS=`, DESIGN.md §6), e.g.
/// `2 profiles, 5 mailboxes: 4 watching, 1 backing off (billing); 12 queued, 1 dead letter`.
public enum StatusSummary {
    /// States in the order the line names them, with their wording.
    static let wording: [(StateStore.WatcherState, String)] = [
        (.watching, "watching"), (.syncing, "syncing"), (.connecting, "connecting"),
        (.backingOff, "backing off"), (.authFailed, "sign-in refused"), (.reauthNeeded, "re-authorisation needed"),
        (.stopped, "stopped"),
    ]

    /// The line for `profiles` listening profiles and their watchers. Failing states name their
    /// profiles (up to three), so the unit's status says where to look.
    public static func line(profiles: Int, watchers: [WatcherBoard.Entry], queued: Int, dead: Int) -> String {
        var parts: [String] = []
        for (state, words) in wording {
            let matching = watchers.filter { $0.state == state }
            guard !matching.isEmpty else { continue }
            var part = "\(matching.count) \(words)"
            if state == .backingOff || state == .authFailed || state == .reauthNeeded {
                var names: [String] = []
                for entry in matching where !names.contains(entry.profile) { names.append(entry.profile) }
                part += " (" + names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", …" : "") + ")"
            }
            parts.append(part)
        }
        var line = "\(count(profiles, "profile")), \(count(watchers.count, "mailbox", "mailboxes"))"
        if !parts.isEmpty { line += ": " + parts.joined(separator: ", ") }
        line += "; \(queued) queued"
        if dead > 0 { line += ", \(count(dead, "dead letter"))" }
        return line
    }

    static func count(_ number: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(number) \(number == 1 ? singular : plural ?? singular + "s")"
    }
}
