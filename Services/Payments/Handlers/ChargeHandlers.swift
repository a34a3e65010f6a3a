import Contracts
import Foundation
import ServiceRuntime

/// clinic.charge.posted.v1 and clinic.charge.voided.v1 → the patient's ledger, then
/// payments.charge.recorded/reversed and payments.balance.changed through the outbox.
enum ChargeHandlers {
    static func register(in handlers: inout EventHandlers) {
        handlers.on(ChargePosted.self) { charge, context in try await post(charge, &context) }
        handlers.on(ChargeVoided.self) { void, context in try await reverse(void, &context) }
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
            cause: BalanceChangeCause(kind: .chargeRecorded, chargeId: charge.chargeId)),
            aggregateId: charge.patientId)
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
            cause: BalanceChangeCause(kind: .chargeReversed, chargeId: charge.chargeId)),
            aggregateId: charge.patientId)
    }

    private static func rejection(_ problem: ChargeDecision.EventProblem) -> EventRejection {
        switch problem {
        case .invalid(let why): .invalid(why)
        case .notYet(let why): .notYet(why)
        }
    }
}
