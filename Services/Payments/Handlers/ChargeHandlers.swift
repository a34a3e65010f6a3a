import Contracts
import Foundation
import ServiceRuntime

/// clinic.charge.posted.v1 and clinic.charge.voided.v1 → the patient's ledger, then
/// payments.charge.recorded/reversed and payments.balance.changed through the outbox.
enum ChargeHandlers {
    static func register(in handlers: inout EventHandlers) {
        handlers.on(ChargePosted.self) { charge, context in try await post(charge, &context) }
        handlers.on(ChargeVoided.self) { void, context in try await reverse(void, &context) }
        handlers.onBatch(ChargePosted.self) { charges, context in try await postTogether(charges, &context) }
    }

    static func post(_ charge: ChargePosted, _ context: inout EventContext) async throws {
        let problems = ChargeRules.problems(in: charge, today: CalendarDate(containing: Date()))
        guard problems.isEmpty else { throw EventRejection.invalid(problems.joined(separator: "; ")) }
        let store = LedgerStore(connection: context.connection, logger: context.logger, clinicId: context.envelope.clinicId)
        let existing = try await store.insertCharge(charge, eventId: context.envelope.id)
        switch ChargeDecision.forPosting(charge, existing: existing) {
        case .alreadyDone: return
        case .reject(let problem): throw rejection(problem)
        case .reverse: preconditionFailure("a posting never reverses")
        case .record: break
        }
        let transfer = Transfer.charge(chargeId: charge.chargeId, patientId: charge.patientId, fee: charge.fee)
        try await store.append(transfer, patientId: charge.patientId, chargeId: charge.chargeId, eventId: context.envelope.id)
        let balance = try await store.changeBalance(patientId: charge.patientId, by: charge.fee)
        try context.publish(ChargeRecorded(
            chargeId: charge.chargeId, patientId: charge.patientId, providerId: charge.providerId,
            serviceDate: charge.serviceDate, procedure: charge.procedure, fee: charge.fee, recordedAt: .now()),
            aggregateId: charge.patientId)
        try context.publish(BalanceChanged(
            patientId: charge.patientId, balance: Money(amount: balance.balance, currency: charge.fee.currency),
            change: charge.fee, version: balance.version,
            cause: BalanceChangeCause(kind: .chargeRecorded, chargeIds: [charge.chargeId])),
            aggregateId: charge.patientId)
    }

    /// The same as `post` for many charges at once, in a few set-based statements; balance changes are
    /// summed per patient into one payments.balance.changed each. Anything unusual (an invalid charge, a
    /// charge id already posted) throws, and the pipeline replays the batch through `post`.
    static func postTogether(_ charges: [(event: ChargePosted, envelope: EventEnvelope)], _ context: inout BatchContext) async throws {
        let today = CalendarDate(containing: Date())
        var seen = Set<ChargeKey>()
        for (charge, envelope) in charges {
            guard ChargeRules.problems(in: charge, today: today).isEmpty,
                  seen.insert(ChargeKey(clinicId: envelope.clinicId, chargeId: charge.chargeId)).inserted
            else { throw EventRejection.invalid("needs one-by-one handling") }
        }
        let store = LedgerBatchStore(connection: context.connection, logger: context.logger)
        let inserted = try await store.insertCharges(charges)
        guard inserted.count == charges.count else { throw EventRejection.invalid("a charge id was posted before") }
        try await store.appendChargeTransfers(charges)
        var changes: [BalanceKey: (amount: Int64, chargeIds: [String], cause: EventEnvelope)] = [:]
        for (charge, envelope) in charges {
            let key = BalanceKey(clinicId: envelope.clinicId, patientId: charge.patientId, currency: charge.fee.currency)
            changes[key, default: (0, [], envelope)].amount += charge.fee.amount
            changes[key]!.chargeIds.append(charge.chargeId)
            changes[key]!.cause = envelope
        }
        let balances = try await store.changeBalances(changes.mapValues(\.amount))
        for (charge, envelope) in charges {
            try context.publish(ChargeRecorded(
                chargeId: charge.chargeId, patientId: charge.patientId, providerId: charge.providerId,
                serviceDate: charge.serviceDate, procedure: charge.procedure, fee: charge.fee, recordedAt: .now()),
                causedBy: envelope, aggregateId: charge.patientId)
        }
        for (key, change) in changes.sorted(by: { $0.value.cause.id < $1.value.cause.id }) {
            let balance = balances[key]!
            try context.publish(BalanceChanged(
                patientId: key.patientId, balance: Money(amount: balance.balance, currency: key.currency),
                change: Money(amount: change.amount, currency: key.currency), version: balance.version,
                cause: BalanceChangeCause(kind: .chargeRecorded, chargeIds: change.chargeIds)),
                causedBy: change.cause, aggregateId: key.patientId)
        }
    }

    static func reverse(_ void: ChargeVoided, _ context: inout EventContext) async throws {
        let store = LedgerStore(connection: context.connection, logger: context.logger, clinicId: context.envelope.clinicId)
        let existing = try await store.recordedCharge(void.chargeId, lock: true)
        let charge: RecordedCharge
        switch ChargeDecision.forVoid(void, existing: existing) {
        case .alreadyDone: return
        case .reject(let problem): throw rejection(problem)
        case .record: preconditionFailure("a void never records")
        case .reverse(let recorded): charge = recorded
        }
        try await store.markReversed(void.chargeId, eventId: context.envelope.id, reason: void.reason)
        let transfer = Transfer.reversal(chargeId: charge.chargeId, patientId: charge.patientId, fee: charge.fee)
        try await store.append(transfer, patientId: charge.patientId, chargeId: charge.chargeId, eventId: context.envelope.id)
        let change = Money(amount: -charge.fee.amount, currency: charge.fee.currency)
        let balance = try await store.changeBalance(patientId: charge.patientId, by: change)
        try context.publish(ChargeReversed(
            chargeId: charge.chargeId, patientId: charge.patientId, amount: charge.fee, reversedAt: .now(),
            reason: void.reason), aggregateId: charge.patientId)
        try context.publish(BalanceChanged(
            patientId: charge.patientId, balance: Money(amount: balance.balance, currency: change.currency),
            change: change, version: balance.version,
            cause: BalanceChangeCause(kind: .chargeReversed, chargeIds: [charge.chargeId])),
            aggregateId: charge.patientId)
    }

    private static func rejection(_ problem: ChargeDecision.EventProblem) -> EventRejection {
        switch problem {
        case .invalid(let why): .invalid(why)
        case .notYet(let why): .notYet(why)
        }
    }
}
