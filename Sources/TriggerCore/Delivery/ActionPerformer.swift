public import Foundation
public import Logging
import Synchronization

/// Routes outbox jobs to what carries them out: webhook and exec actions by the flow's
/// configuration, post-actions to the profile's IMAP session. A reload hands it the new
/// configuration (`update`); jobs already running finish with the one they started with.
public final class ActionPerformer: JobPerformer {
    struct Current {
        var configuration: Configuration
        var postRunners: [String: PostActionRunner]
        var hasPostActions: Bool
    }

    let webhooks: WebhookSender
    let exec: ExecRunner
    let logger: Logger
    let tokens: OAuthTokenSources?
    private let current: Mutex<Current>

    /// `tokens`: the OAuth 2.0 profiles' token sources, shared with their watchers.
    public init(configuration: Configuration, webhookClient: WebhookClient, tokens: OAuthTokenSources? = nil, logger: Logger) {
        webhooks = WebhookSender(client: webhookClient, logger: logger)
        exec = ExecRunner(logger: logger)
        self.logger = logger
        self.tokens = tokens
        current = Mutex(Self.current(configuration, keeping: [:], tokens: tokens, logger: logger))
    }

    /// The configuration, with a post-action runner per profile: kept from `previous` for a
    /// profile that did not change, so its session stays open.
    static func current(_ configuration: Configuration, keeping previous: [String: (Profile, PostActionRunner)],
                        tokens: OAuthTokenSources?, logger: Logger) -> Current {
        var runners: [String: PostActionRunner] = [:]
        for profile in configuration.profiles {
            if let (old, runner) = previous[profile.name], old == profile {
                runners[profile.name] = runner
            } else {
                let connector = ProfileConnector(profile: profile, logger: logger, tokens: tokens?.source(for: profile))
                runners[profile.name] = PostActionRunner(connector: connector, logger: logger)
            }
        }
        let hasPostActions = configuration.profiles.contains { $0.flows.contains { !$0.onSuccess.isEmpty || !$0.onFailure.isEmpty } }
        return Current(configuration: configuration, postRunners: runners, hasPostActions: hasPostActions)
    }

    public var configuration: Configuration { current.withLock { $0.configuration } }

    public var hasPostActions: Bool { current.withLock { $0.hasPostActions } }

    /// Takes a reloaded configuration: later jobs use its flows; the post-action sessions of
    /// removed and changed profiles are closed.
    public func update(_ configuration: Configuration) async {
        let retired = current.withLock { current -> [PostActionRunner] in
            var previous: [String: (Profile, PostActionRunner)] = [:]
            for profile in current.configuration.profiles {
                if let runner = current.postRunners[profile.name] { previous[profile.name] = (profile, runner) }
            }
            let next = Self.current(configuration, keeping: previous, tokens: tokens, logger: logger)
            let kept = Set(next.postRunners.values.map(ObjectIdentifier.init))
            current = next
            return previous.values.map(\.1).filter { !kept.contains(ObjectIdentifier($0)) }
        }
        for runner in retired { await runner.close() }
    }

    func flow(of job: StateStore.Job) -> Flow? {
        configuration.profiles.first { $0.name == job.profile }?.flows.first { $0.name == job.flow }
    }

    public func perform(_ job: StateStore.Job) async -> StateStore.AttemptResult {
        switch job.kind {
        case .post:
            guard let (_, actions) = PostAction.decode(job.payload) else { return .permanent("unreadable post-action job") }
            guard let runner = current.withLock({ $0.postRunners[job.profile] }) else {
                return .permanent("profile \(job.profile) is no longer configured")
            }
            return await runner.perform(actions, mailbox: job.mailbox, uidValidity: job.uidValidity, uid: job.uid)
        case .action:
            guard let flow = flow(of: job), flow.actions.indices.contains(job.actionIndex) else {
                return .permanent("flow \(job.flow) or its action \(job.actionIndex) is no longer configured")
            }
            switch flow.actions[job.actionIndex] {
            case let .webhook(action):
                return await webhooks.deliver(action, job: job)
            case let .exec(action):
                return await exec.run(action, job: job)
            }
        }
    }

    public func postActions(for job: StateStore.Job, succeeded: Bool) -> Data? {
        guard let flow = flow(of: job) else { return nil }
        let actions = succeeded ? flow.onSuccess : flow.onFailure
        return actions.isEmpty ? nil : PostAction.encode(actions, outcome: succeeded ? .success : .failure)
    }

    /// Closes the post-action sessions.
    public func close() async {
        for runner in current.withLock({ Array($0.postRunners.values) }) { await runner.close() }
    }
}
