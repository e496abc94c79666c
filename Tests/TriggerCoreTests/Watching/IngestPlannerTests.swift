import Foundation
import IMAPClient
import IMAPCore
import NIOCore
import Testing
@testable import TriggerCore

@Suite("Ingest planner")
struct IngestPlannerTests {
    static let flows = """
        [{"name": "orders", "match": {"subject": {"regex": "order #[0-9]+"}},
          "actions": [{"type": "webhook", "url": "http://127.0.0.1:1/a"},
                      {"type": "exec", "command": ["/bin/cat"], "stdin": "raw"}],
          "onSuccess": ["markSeen"]},
         {"name": "all-from-shop", "match": {"from": {"glob": "*@shop.example"}}, "stop": true,
          "actions": [{"type": "webhook", "url": "http://127.0.0.1:1/b"}]},
         {"name": "never-after-stop", "match": {"subject": {"contains": "order"}}, "actions": [{"type": "webhook", "url": "http://127.0.0.1:1/c"}]},
         {"name": "seen-only", "match": {"subject": {"contains": "just flag"}}, "onSuccess": [{"addFlags": ["$Done"]}]}]
        """

    func message(uid: UInt32, subject: String, from: String = "a@example.org", body: String = "Hi", truncatedTo: Int? = nil) -> FetchedMessage {
        let text = "From: \(from)\r\nSubject: \(subject)\r\nMessage-ID: <m\(uid)@x>\r\n\r\n\(body)\r\n"
        var bytes = Array(text.utf8)
        let size = UInt64(bytes.count)
        if let truncatedTo { bytes = Array(bytes.prefix(truncatedTo)) }
        return FetchedMessage(uid: uid, flags: [.seen], internalDate: InternalDate(year: 2026, month: 11, day: 21, hour: 9,
                                                                                    minute: 5, second: 0, zoneMinutes: 60),
                              size: size, body: ByteBuffer(bytes: bytes), truncated: truncatedTo != nil)
    }

    func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func everyMatchingFlowQueuesOneJobPerAction() throws {
        let planner = IngestPlanner(profile: try TriggerTestSupport.profile(flows: Self.flows), mailbox: "INBOX")
        let plan = planner.plan(message(uid: 42, subject: "Your order #123", from: "shop@shop.example"), uidValidity: 7)
        #expect(plan.flows == ["orders", "all-from-shop"], "stop ends evaluation after all-from-shop")
        #expect(plan.message.jobs.map(\.idempotencyKey) == ["p/INBOX/7/42/orders#0", "p/INBOX/7/42/orders#1",
                                                           "p/INBOX/7/42/all-from-shop#0"])
        #expect(plan.message.messageID == "<m42@x>")
        let webhook = try json(plan.message.jobs[0].payload)
        #expect(webhook["flow"] as? String == "orders")
        #expect(webhook["uid"] as? Int == 42)
        #expect(webhook["uidValidity"] as? Int == 7)
        #expect(webhook["internalDate"] as? String == "2026-11-21T09:05:00+01:00")
        #expect(webhook["flags"] as? [String] == ["\\Seen"])
        #expect(webhook["raw"] == nil, "only an exec with stdin raw carries the raw message")
        let exec = try json(plan.message.jobs[1].payload)
        #expect(exec["raw"] is String)
        #expect(try json(plan.message.jobs[2].payload)["flow"] as? String == "all-from-shop")
    }

    @Test func mailNoFlowMatchesQueuesNothingButIsIngested() throws {
        let planner = IngestPlanner(profile: try TriggerTestSupport.profile(flows: Self.flows), mailbox: "INBOX")
        let plan = planner.plan(message(uid: 5, subject: "lunch?"), uidValidity: 7)
        #expect(plan.flows.isEmpty)
        #expect(plan.message.jobs.isEmpty)
        #expect(plan.message.uid == 5)
    }

    /// Threat model M10 at the planner: the payload of the flow that fires carries the note
    /// about the one whose regular expression ran out of time.
    @Test func aRegexOutOfTimeIsNotedInThePayloadAndThePlan() throws {
        let flows = """
            [{"name": "slow", "match": {"subject": {"regex": "^(a+)+$"}}, "actions": [{"type": "webhook", "url": "http://127.0.0.1:1/s"}]},
             {"name": "all", "actions": [{"type": "webhook", "url": "http://127.0.0.1:1/a"}]}]
            """
        let planner = IngestPlanner(profile: try TriggerTestSupport.profile(flows: flows), mailbox: "INBOX")
        let plan = planner.plan(message(uid: 9, subject: String(repeating: "a", count: 40) + "b"), uidValidity: 7)
        #expect(plan.flows == ["all"])
        #expect(plan.matchNotes.count == 1 && plan.matchNotes[0].hasPrefix("flow slow: the regular expression ^(a+)+$ ran out of time"))
        let warnings = try json(plan.message.jobs[0].payload)["warnings"] as? [String]
        #expect(warnings == plan.matchNotes)
    }

    @Test func aFlowWithoutActionsQueuesItsSuccessPostActionsAtOnce() throws {
        let planner = IngestPlanner(profile: try TriggerTestSupport.profile(flows: Self.flows), mailbox: "INBOX")
        let plan = planner.plan(message(uid: 9, subject: "please just flag it"), uidValidity: 7)
        #expect(plan.flows == ["seen-only"])
        let job = try #require(plan.message.jobs.first)
        #expect(job.kind == .post)
        #expect(job.idempotencyKey == "p/INBOX/7/9/seen-only#success")
        let decoded = try #require(PostAction.decode(job.payload))
        #expect(decoded.outcome == .success)
        #expect(decoded.actions == [.addFlags(["$Done"])])
    }

    @Test func aMessageAboveMaxMessageSizeGetsAHeaderOnlyPayload() throws {
        let profile = try TriggerTestSupport.profile(flows: Self.flows, extra: #""maxMessageSize": "1KB""#)
        let planner = IngestPlanner(profile: profile, mailbox: "INBOX")
        let long = String(repeating: "x", count: 5000)
        var fetched = message(uid: 3, subject: "order #7", body: long, truncatedTo: 1024)
        fetched.flags = []
        let plan = planner.plan(fetched, uidValidity: 1)
        #expect(plan.flows.contains("orders"), "the header still matches")
        let payload = try json(plan.message.jobs[0].payload)
        #expect(payload["truncated"] as? Bool == true)
        #expect(payload["size"] as? Int == Int(fetched.size))
        #expect(payload["text"] is NSNull, "no partial body is passed off as the body")
        #expect((payload["warnings"] as? [String])?.contains { $0.contains("maxMessageSize") } == true)
    }

    @Test func postActionsRoundTrip() throws {
        let actions: [PostAction] = [.markSeen, .addFlags(["$A", "\\Flagged"]), .removeFlags(["$B"]), .copyTo("Copies"),
                                     .moveTo("Done/2026"), .delete]
        let decoded = try #require(PostAction.decode(PostAction.encode(actions, outcome: .failure)))
        #expect(decoded.outcome == .failure)
        #expect(decoded.actions == actions)
        #expect(PostAction.decode(Data("{\"outcome\":\"success\",\"actions\":[\"explode\"]}".utf8)) == nil)
    }

    @Test func headerSectionStopsAtTheBlankLine() {
        #expect(IngestPlanner.headerSection(of: Array("A: b\r\n\r\nbody".utf8)) == Array("A: b\r\n\r\n".utf8))
        #expect(IngestPlanner.headerSection(of: Array("A: b\n\nbody".utf8)) == Array("A: b\n\n".utf8))
        #expect(IngestPlanner.headerSection(of: Array("A: b\r\nC: d".utf8)) == Array("A: b\r\nC: d".utf8))
    }

    @Test(arguments: [1, 2, 3, 7, 40])
    func aBatchIsPlannedInOrderWhateverTheNumberOfTasks(ways: Int) async throws {
        let planner = IngestPlanner(profile: try TriggerTestSupport.profile(flows: Self.flows), mailbox: "INBOX")
        let batch = (1...23).map { uid in
            message(uid: UInt32(uid), subject: uid % 3 == 0 ? "order #\(uid)" : "just flag \(uid)", from: "x\(uid)@shop.example")
        }
        let serial = batch.map { planner.plan($0, uidValidity: 7) }
        let plans = await planner.plan(batch, uidValidity: 7, ways: ways)
        #expect(plans.map(\.message.uid) == Array(1...23))
        #expect(plans.map(\.flows) == serial.map(\.flows))
        #expect(plans.map { $0.message.jobs.map(\.idempotencyKey) } == serial.map { $0.message.jobs.map(\.idempotencyKey) })
        #expect(plans.map { $0.message.jobs.map(\.payload) } == serial.map { $0.message.jobs.map(\.payload) })
        #expect(await planner.plan([], uidValidity: 7, ways: ways).isEmpty)
    }
}
