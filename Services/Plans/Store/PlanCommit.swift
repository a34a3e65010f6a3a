import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceRuntime
import WebAPI

/// Where a plan's change is recorded: a request's `Change`, or an event's `EventContext`.
protocol PlanEffects {
    var connection: PostgresConnection { get }
    var logger: Logger { get }
    mutating func announce(_ event: some ClinicEvent, clinicId: String, aggregateId: String) throws
    mutating func note(_ action: String, clinicId: String, objectId: String, summary: String) throws
}

extension Change: PlanEffects {
    mutating func announce(_ event: some ClinicEvent, clinicId: String, aggregateId: String) throws {
        try publish(event, clinicId: clinicId, aggregateId: aggregateId)
    }

    mutating func note(_ action: String, clinicId: String, objectId: String, summary: String) throws {
        try audit(action, objectType: "payment_plan", objectId: objectId, summary: summary, clinicId: clinicId)
    }
}

extension EventContext: PlanEffects {
    mutating func announce(_ event: some ClinicEvent, clinicId: String, aggregateId: String) throws {
        try publish(event, aggregateId: aggregateId)
    }

    mutating func note(_ action: String, clinicId: String, objectId: String, summary: String) throws {
        audit(action, objectType: "payment_plan", objectId: objectId, summary: summary)
    }
}

enum PlanCommit {
    /// Saves the plan and, in the same transaction, its news as events and audit lines, and what it adds
    /// to the patient's payment behaviour.
    static func record(_ plan: PaymentPlan, was before: PaymentPlan?, news: [PlanNews], at now: Date,
                       _ effects: inout some PlanEffects) async throws {
        try await PlanStore(connection: effects.connection, logger: effects.logger).save(plan)
        for event in PlanAnnouncements.events(news, plan: plan, at: now) {
            try effects.announce(event, clinicId: plan.clinicId, aggregateId: plan.id)
        }
        for (action, summary) in PlanAnnouncements.audits(news, plan: plan) {
            try effects.note(action, clinicId: plan.clinicId, objectId: plan.id, summary: summary)
        }
        let change = plan.historyChange(since: before)
        if change != (0, 0, 0, 0, 0) {
            try await FactsStore(connection: effects.connection, logger: effects.logger).record(
                .init(onTime: change.onTime, late: change.late, missed: change.missed, defaults: change.defaults,
                      completedPlans: change.completed),
                clinicId: plan.clinicId, patientId: plan.patientId)
        }
    }
}
