public import Foundation
public import Logging

/// Routes outbox jobs to what carries them out: webhook and exec actions by the flow's
/// configuration, post-actions to the profile's IMAP session.
public struct ActionPerformer: JobPerformer {
    public let configuration: Configuration
    let webhooks: WebhookSender
    let exec: ExecRunner
    let postRunners: [String: PostActionRunner]
    public let hasPostActions: Bool

    public init(configuration: Configuration, webhookClient: WebhookClient, logger: Logger) {
        self.configuration = configuration
        webhooks = WebhookSender(client: webhookClient, logger: logger)
        exec = ExecRunner(logger: logger)
        var runners: [String: PostActionRunner] = [:]
        for profile in configuration.profiles {
            runners[profile.name] = PostActionRunner(connector: ProfileConnector(profile: profile, logger: logger), logger: logger)
        }
        postRunners = runners
        hasPostActions = configuration.profiles.contains { $0.flows.contains { !$0.onSuccess.isEmpty || !$0.onFailure.isEmpty } }
    }

    func flow(of job: StateStore.Job) -> Flow? {
        configuration.profiles.first { $0.name == job.profile }?.flows.first { $0.name == job.flow }
    }

    public func perform(_ job: StateStore.Job) async -> StateStore.AttemptResult {
        switch job.kind {
        case .post:
            guard let (_, actions) = PostAction.decode(job.payload) else { return .permanent("unreadable post-action job") }
            guard let runner = postRunners[job.profile] else {
                return .permanent("profile \(job.profile) is no longer configured")
            }
            return await runner.perform(actions, mailbox: job.mailbox, uidValidity: job.uidValidity, uid: job.uid)
        case .action:
            guard let flow = flow(of: job), flow.actions.indices.contains(job.actionIndex) else {
                return .permanent("flow \(job.flow) or its action \(job.actionIndex) is no longer configured")
            }
            switch flow.actions[job.actionIndex] {
            case let .webhook(action):
                let secret: String?
                do {
                    secret = try action.secret?.resolve()
                } catch {
                    // The file or variable may come back (a mounted secret); worth a retry.
                    return .retryable("cannot read the webhook secret: \(error)", retryAfter: nil)
                }
                return await webhooks.deliver(action, job: job, secret: secret)
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
        for runner in postRunners.values { await runner.close() }
    }
}
