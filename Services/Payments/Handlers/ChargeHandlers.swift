import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceRuntime

/// clinic.charge.posted.v1 and clinic.charge.voided.v1 → the patient's ledger, then
/// payments.charge.recorded/reversed and payments.balance.changed through the outbox.
enum ChargeHandlers {
    static func register(in handlers: inout EventHandlers) {
        // One way to post charges: a single event (the pipeline's one-by-one run after a rejection) is a
        // batch of one, so its rejection names its own reason.
        handlers.onBatches(ChargePosted.self) { charges, context in try await post(charges, &context) }
        handlers.on(ChargeVoided.self) { void, context in try await reverse(void, &context) }
    }

    /// Records the charges, in a few set-based statements whatever their number. Each is checked
    /// (`ChargeRules`) and decided (`ChargeDecision.forPosting`) as if they had come one by one, in order:
    /// a charge id already recorded with the same patient and fee is already done (no effect); another
    /// charge under a recorded id is rejected. Balance changes are summed per patient into one
    /// payments.balance.changed each.
    ///
    /// Any rejection throws (nothing is written): for a single charge it is that charge's reason; for a
    /// batch, the pipeline runs the events again one by one, and each gets its own.
    static func post(_ posted: [(event: ChargePosted, envelope: EventEnvelope)], _ context: inout BatchContext) async throws {
        let today = CalendarDate(containing: context.now)
        var charges = posted.map { (event: ChargeRules.normalised($0.event), envelope: $0.envelope) }
        for (charge, _) in charges {
            let problems = ChargeRules.problems(in: charge, today: today)
            guard problems.isEmpty else { throw EventRejection.invalid(problems.joined(separator: "; ")) }
        }
        charges = try await holdDuplicates(charges, &context)
        guard !charges.isEmpty else { return }
        let keyed = charges.map { (key: ChargeKey(clinicId: $0.envelope.clinicId, chargeId: $0.event.chargeId), posted: $0.event) }

        // The first posting of each charge id is inserted unless the id is already there; what was there
        // decides the fate of the postings that were not inserted.
        var firstOfEachCharge: [(event: ChargePosted, envelope: EventEnvelope)] = []
        var seen = Set<ChargeKey>()
        for (index, item) in keyed.enumerated() where seen.insert(item.key).inserted { firstOfEachCharge.append(charges[index]) }
        let store = LedgerStore(connection: context.connection, logger: context.logger)
        let inserted = try await store.insertCharges(firstOfEachCharge)
        let recordedBefore = try await store.recordedCharges(Array(seen.subtracting(inserted)), lock: false)
        let decisions = ChargeDecision.forPostings(keyed, recorded: recordedBefore)

        var recorded: [(event: ChargePosted, envelope: EventEnvelope)] = []
        for (index, decision) in decisions.enumerated() {
            switch decision {
            case .record:
                guard inserted.contains(keyed[index].key) else {
                    throw PaymentsStoreError("charge \(keyed[index].key.chargeId) was neither inserted nor found")
                }
                recorded.append(charges[index])
            case .alreadyDone: continue
            case .reject(let problem): throw rejection(problem)
            case .reverse: preconditionFailure("a posting never reverses")
            }
        }
        guard !recorded.isEmpty else { return }

        try await store.append(recorded.map { charge, envelope in
            LedgerWrite(clinicId: envelope.clinicId,
                        transfer: .charge(chargeId: charge.chargeId, patientId: charge.patientId, fee: charge.fee),
                        patientId: charge.patientId, chargeId: charge.chargeId, eventId: envelope.id)
        })
        // Per balance, in order of first appearance: the sum, the charges, and the last event that changed it.
        var balanceOrder: [BalanceKey] = []
        var changes: [BalanceKey: (amount: Int64, chargeIds: [String], cause: EventEnvelope)] = [:]
        for (charge, envelope) in recorded {
            let key = BalanceKey(clinicId: envelope.clinicId, patientId: charge.patientId, currency: charge.fee.currency)
            if changes[key] == nil { balanceOrder.append(key) }
            changes[key, default: (0, [], envelope)].amount += charge.fee.amount
            changes[key]!.chargeIds.append(charge.chargeId)
            changes[key]!.cause = envelope
        }
        let balances = try await store.changeBalances(changes.mapValues(\.amount))
        for (charge, envelope) in recorded {
            try context.publish(ChargeRecorded(charge, at: context.now), causedBy: envelope, aggregateId: charge.patientId)
            context.audit("charge.recorded", causedBy: envelope, objectType: "charge", objectId: charge.chargeId,
                          summary: "patient \(charge.patientId) owes \(charge.fee.amount) \(charge.fee.currency) (\(charge.procedure.code))")
        }
        for key in balanceOrder {
            let change = changes[key]!, balance = balances[key]!
            try context.publish(BalanceChanged(
                patientId: key.patientId, balance: Money(amount: balance.balance, currency: key.currency),
                change: Money(amount: change.amount, currency: key.currency), version: balance.version,
                cause: BalanceChangeCause(kind: .chargeRecorded, chargeIds: change.chargeIds)),
                causedBy: change.cause, aggregateId: key.patientId)
        }
    }

    static func reverse(_ void: ChargeVoided, _ context: inout EventContext) async throws {
        let store = LedgerStore(connection: context.connection, logger: context.logger)
        let key = ChargeKey(clinicId: context.envelope.clinicId, chargeId: void.chargeId)
        let existing = try await store.recordedCharges([key], lock: true)[key]
        let charge: RecordedCharge
        switch ChargeDecision.forVoid(void, existing: existing) {
        case .alreadyDone: return
        case .reject(let problem): throw rejection(problem)
        case .record: preconditionFailure("a void never records")
        case .reverse(let recorded): charge = recorded
        }
        try await store.markReversed(key, eventId: context.envelope.id, reason: void.reason)
        let balance = try await store.post(LedgerWrite(
            clinicId: key.clinicId,
            transfer: .reversal(chargeId: charge.chargeId, patientId: charge.patientId, fee: charge.fee),
            patientId: charge.patientId, chargeId: charge.chargeId, eventId: context.envelope.id))
        let change = Money(amount: -charge.fee.amount, currency: charge.fee.currency)
        try context.publish(ChargeReversed(
            chargeId: charge.chargeId, patientId: charge.patientId, amount: charge.fee, reversedAt: Timestamp(context.now),
            reason: void.reason), aggregateId: charge.patientId)
        context.audit("charge.reversed", objectType: "charge", objectId: charge.chargeId,
                      summary: "voided: patient \(charge.patientId) owes \(charge.fee.amount) \(charge.fee.currency) less; balance \(balance.balance.amount)")
        try context.publish(BalanceChanged(
            patientId: charge.patientId, balance: balance.balance, change: change, version: balance.version,
            cause: BalanceChangeCause(kind: .chargeReversed, chargeIds: [charge.chargeId])),
            aggregateId: charge.patientId)
    }

    /// A charge that repeats another's patient, procedure, tooth, surfaces and service date under another
    /// charge id is held for staff review (`GET /v1/review`), not posted: the clinic may have sent the
    /// same work twice. Returns the charges to post.
    static func holdDuplicates(_ charges: [(event: ChargePosted, envelope: EventEnvelope)], _ context: inout BatchContext)
        async throws -> [(event: ChargePosted, envelope: EventEnvelope)]
    {
        let store = LedgerStore(connection: context.connection, logger: context.logger)
        let works = charges.map { ClinicWorkKey(clinicId: $0.envelope.clinicId, work: DuplicateChargeKey($0.event).text) }
        var seen = try await store.chargesFor(Array(Set(works)))
        var toPost: [(event: ChargePosted, envelope: EventEnvelope)] = []
        let review = ReviewStore(connection: context.connection, logger: context.logger)
        for (item, key) in zip(charges, works) {
            if let other = seen[key], other != item.event.chargeId {
                let held = String(decoding: try ContractCoding.encode(item.event), as: UTF8.self)
                try await review.open(
                    clinicId: item.envelope.clinicId, kind: .duplicateCharge, patientId: item.event.patientId,
                    subjectId: item.event.chargeId,
                    summary: "charge \(item.event.chargeId) repeats charge \(other): \(item.event.procedure.code) on \(item.event.serviceDate)"
                        + (item.event.procedure.tooth.map { ", tooth \($0)" } ?? ""),
                    heldEvent: held, at: context.now)
                context.audit("charge.held", causedBy: item.envelope, objectType: "charge", objectId: item.event.chargeId,
                              summary: "held for review as a possible duplicate of \(other)")
                continue
            }
            seen[key] = item.event.chargeId
            toPost.append(item)
        }
        return toPost
    }

    private static func rejection(_ problem: ChargeDecision.EventProblem) -> EventRejection {
        switch problem {
        case .invalid(let why): .invalid(why)
        case .notYet(let why): .notYet(why)
        }
    }
}
