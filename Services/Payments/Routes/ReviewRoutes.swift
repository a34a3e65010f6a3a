import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// `GET /v1/review`, `POST /v1/review/{itemId}/release | reject`: what the fraud and error checks held or
/// flagged, for staff to decide. Releasing a held duplicate charge posts it; rejecting leaves it off the
/// ledger. Every decision is audited.
enum ReviewRoutes {
    struct Item: APIExample {
        var id: String
        var kind: ReviewKind
        var status: ReviewStatus
        var patientId: String
        /// The charge, payment or patient the item is about.
        var subjectId: String
        var summary: String
        var createdAt: String
        var decidedBy: String?
        var decidedAt: String?
        var note: String?

        static let example = Item(
            id: "rev_0a1b2c3d4e5f6a7b8c9d", kind: .duplicateCharge, status: .released, patientId: "pat-1001",
            subjectId: "chg-90002", summary: "charge chg-90002 repeats charge chg-90001: D2392 on 2026-11-02, tooth 30",
            createdAt: "2026-11-25T09:30:00.000Z", decidedBy: "user-7", decidedAt: "2026-11-25T10:00:00.000Z",
            note: "two fillings on the same tooth were really done")

        init(id: String, kind: ReviewKind, status: ReviewStatus, patientId: String, subjectId: String, summary: String,
             createdAt: String, decidedBy: String?, decidedAt: String?, note: String?) {
            self.id = id
            self.kind = kind
            self.status = status
            self.patientId = patientId
            self.subjectId = subjectId
            self.summary = summary
            self.createdAt = createdAt
            self.decidedBy = decidedBy
            self.decidedAt = decidedAt
            self.note = note
        }

        init(_ i: ReviewItem) {
            self.init(id: i.itemId, kind: i.kind, status: i.status, patientId: i.patientId, subjectId: i.subjectId,
                      summary: i.summary, createdAt: Timestamp(i.createdAt).description, decidedBy: i.decidedBy,
                      decidedAt: i.decidedAt.map { Timestamp($0).description }, note: i.decisionNote)
        }
    }

    struct Decision: APIExample {
        var note: String?
        static let example = Decision(note: "checked the chart: both were done")
    }

    static func add(to api: APIRoutes, _ context: PaymentsContext) {
        api.get("/v1/review", .staff(.billingRead), summary: "What the fraud and error checks held or flagged (open first by default)",
                query: [.string("status", "open (default), released or rejected")] + QueryParameter.paging,
                output: Page<Item>.self) { call in
            let status = try call.query["status"].map { text throws(APIError) -> ReviewStatus in
                guard let status = ReviewStatus(rawValue: text) else {
                    throw .invalid("status must be open, released or rejected", param: "status")
                }
                return status
            } ?? .open
            let page = try PageRequest(call.query)
            return try await context.resources.client.withConnection { connection in
                let items = try await ReviewStore(connection: connection, logger: context.resources.logger)
                    .list(clinicId: call.caller.clinicId, status: status, after: page.startingAfter, limit: page.limit)
                return Page(fetched: items.map(Item.init), limit: page.limit)
            }
        }
        for (verb, outcome) in [("release", ReviewStatus.released), ("reject", .rejected)] {
            api.write(.post, "/v1/review/:itemId/\(verb)", .staff(.billingUpdate),
                      summary: outcome == .released ? "Release a held or flagged item (a held charge is posted)"
                                                    : "Reject a held or flagged item (a held charge stays off the ledger)",
                      idempotent: true, input: Decision.self, output: Item.self) { decision, call, change in
                try await decide(outcome, decision, call, &change)
            }
        }
    }

    static func decide(_ outcome: ReviewStatus, _ decision: Decision, _ call: RouteCall, _ change: inout Change) async throws -> Item {
        let itemId = try call.parameter("itemId")
        let clinicId = call.caller.clinicId
        let store = ReviewStore(connection: change.connection, logger: change.logger)
        guard var item = try await store.load(clinicId: clinicId, itemId: itemId) else { throw APIError.notFound("review item", itemId) }
        guard item.status == .open else {
            throw APIError.unprocessable("review item \(itemId) was already \(item.status.rawValue)", code: "already_decided")
        }
        if (decision.note?.count ?? 0) > 1_000 { throw APIError.invalid("note is longer than 1,000 characters", param: "note") }
        if outcome == .released, item.kind == .duplicateCharge, let held = item.heldEvent {
            try await postHeldCharge(try ContractCoding.decode(ChargePosted.self, from: Array(held.utf8)), clinicId: clinicId,
                                     requestId: call.requestId, &change)
        }
        try await store.decide(clinicId: clinicId, itemId: itemId, outcome, by: call.caller.subject, note: decision.note, at: change.now)
        try change.audit("review.\(outcome.rawValue)", objectType: "review-item", objectId: itemId,
                         summary: "\(item.kind.rawValue) about \(item.subjectId) \(outcome.rawValue)")
        item.status = outcome
        item.decidedBy = call.caller.subject
        item.decidedAt = change.now
        item.decisionNote = decision.note
        return Item(item)
    }

    /// A released duplicate is posted like any charge: the ledger, the balance, the events.
    static func postHeldCharge(_ charge: ChargePosted, clinicId: String, requestId: String, _ change: inout Change) async throws {
        let ledger = LedgerStore(connection: change.connection, logger: change.logger)
        let envelope = EventEnvelope(id: requestId, type: ChargePosted.type, source: "clinicledger/payments/review",
                                     clinicId: clinicId)
        guard try await ledger.insertCharges([(charge, envelope)]).count == 1 else {
            throw APIError.unprocessable("charge \(charge.chargeId) is already on the ledger", code: "already_decided")
        }
        let (balance, version) = try await ledger.post(LedgerWrite(
            clinicId: clinicId, transfer: .charge(chargeId: charge.chargeId, patientId: charge.patientId, fee: charge.fee),
            patientId: charge.patientId, chargeId: charge.chargeId, eventId: requestId))
        try change.publish(ChargeRecorded(charge, at: change.now), aggregateId: charge.patientId)
        try change.publish(BalanceChanged(
            patientId: charge.patientId, balance: balance, change: charge.fee, version: version, cause: BalanceChangeCause(kind: .chargeRecorded, chargeIds: [charge.chargeId])),
            aggregateId: charge.patientId)
        try change.audit("charge.recorded", objectType: "charge", objectId: charge.chargeId,
                         summary: "released from review: patient \(charge.patientId) owes \(charge.fee) (\(charge.procedure.code))")
    }
}
