import Contracts
import Foundation
import ServiceRuntime

/// What other services tell plans: payments' answers to the money a plan asked for (and desk payments
/// against a plan), saved cards, charges tied to a treatment plan, insurance's remittances and accepted
/// estimates, balances payments could not collect.
enum PlanHandlers {
    static func register(in handlers: inout EventHandlers, _ settings: PlansSettings) {
        handlers.on(PaymentSucceeded.self) { payment, context in try await paid(payment, &context, settings) }
        handlers.on(PaymentFailed.self) { failure, context in try await failed(failure, &context, settings) }
        handlers.on(PaymentMethodSaved.self) { saved, context in try await methodSaved(saved, &context, settings) }
        handlers.on(PaymentMethodRevoked.self) { revoked, context in
            try await FactsStore(connection: context.connection, logger: context.logger).revokeMethod(
                clinicId: context.envelope.clinicId, paymentMethodId: revoked.paymentMethodId, reason: revoked.reason,
                at: context.now)
        }
        handlers.on(ChargeRecorded.self) { charge, context in
            try await FactsStore(connection: context.connection, logger: context.logger)
                .recordCharge(clinicId: context.envelope.clinicId, charge)
        }
        handlers.on(ChargeReversed.self) { reversal, context in
            try await FactsStore(connection: context.connection, logger: context.logger)
                .reverseCharge(clinicId: context.envelope.clinicId, chargeId: reversal.chargeId)
        }
        handlers.on(ClaimPaid.self) { remittance, context in try await insurancePaid(remittance, &context) }
        handlers.on(EstimateAccepted.self) { estimate, context in
            guard estimate.patientPortion.amount >= 0 else { throw EventRejection.invalid("patientPortion must not be negative") }
            try await FactsStore(connection: context.connection, logger: context.logger)
                .recordEstimate(clinicId: context.envelope.clinicId, estimate)
        }
        handlers.on(BalanceDue.self) { due, context in try await OfferHandler.balanceDue(due, &context, settings) }
    }

    /// A saved card is known for autopay; one saved on a plan's enrolment page starts that plan's autopay.
    static func methodSaved(_ saved: PaymentMethodSaved, _ context: inout EventContext, _ settings: PlansSettings) async throws {
        let clinicId = context.envelope.clinicId
        try await FactsStore(connection: context.connection, logger: context.logger).saveMethod(clinicId: clinicId, saved, at: context.now)
        guard let planId = saved.planId,
              var plan = try await PlanStore(connection: context.connection, logger: context.logger)
                .load(clinicId: clinicId, planId: planId, lock: true), plan.patientId == saved.patientId
        else { return }
        let before = plan
        let news = plan.attachMethod(saved.paymentMethodId, today: settings.today(context.now), at: context.now)
        try await PlanCommit.record(plan, was: before, news: news, at: context.now, &context)
    }

    /// An installment, down payment or payoff paid through payments, or a desk payment naming the plan.
    static func paid(_ payment: PaymentSucceeded, _ context: inout EventContext, _ settings: PlansSettings) async throws {
        let facts = FactsStore(connection: context.connection, logger: context.logger)
        let clinicId = context.envelope.clinicId
        if payment.balance.amount <= 0 {
            try await facts.setUnpaidSince(nil, clinicId: clinicId, patientId: payment.patientId)
        }
        guard let reference = payment.plan else { return }
        let store = PlanStore(connection: context.connection, logger: context.logger)
        guard var plan = try await store.load(clinicId: clinicId, planId: reference.planId, lock: true) else {
            context.audit("plan.payment-unmatched", objectType: "payment", objectId: payment.paymentId,
                          summary: "payment names plan \(reference.planId), which this clinic does not have")
            return
        }
        guard payment.amount.currency == plan.currency else {
            throw EventRejection.invalid("payment \(payment.paymentId) is in \(payment.amount.currency), plan \(plan.id) in \(plan.currency)")
        }
        let before = plan
        let news = plan.recordPayment(installmentId: reference.installmentId, amount: payment.amount.amount,
                                      today: settings.today(context.now), at: context.now)
        try await PlanCommit.record(plan, was: before, news: news, at: context.now, &context)
    }

    /// A charge that failed for good misses its installment; any card decline counts in the patient's
    /// payment behaviour.
    static func failed(_ failure: PaymentFailed, _ context: inout EventContext, _ settings: PlansSettings) async throws {
        let clinicId = context.envelope.clinicId
        if failure.failure.code == "card_declined" {
            var change = FactsStore.HistoryChange()
            change.declines = 1
            try await FactsStore(connection: context.connection, logger: context.logger)
                .record(change, clinicId: clinicId, patientId: failure.patientId)
        }
        guard failure.final, let reference = failure.plan else { return }
        let store = PlanStore(connection: context.connection, logger: context.logger)
        guard var plan = try await store.load(clinicId: clinicId, planId: reference.planId, lock: true) else { return }
        let before = plan
        let news = plan.recordFinalFailure(installmentId: reference.installmentId, today: settings.today(context.now),
                                           at: context.now)
        try await PlanCommit.record(plan, was: before, news: news, at: context.now, &context)
    }

    /// A remittance for charges of a treatment plan that a payment plan finances: the plan follows the
    /// patient's new share (it only ever goes down).
    static func insurancePaid(_ remittance: ClaimPaid, _ context: inout EventContext) async throws {
        let clinicId = context.envelope.clinicId
        let facts = FactsStore(connection: context.connection, logger: context.logger)
        guard try await facts.recordInsurancePayment(clinicId: clinicId, remittance) else { return }  // seen already
        let treatments = try await facts.treatmentPlans(clinicId: clinicId, chargeIds: remittance.lines.map(\.chargeId))
        let store = PlanStore(connection: context.connection, logger: context.logger)
        for treatment in treatments {
            let share = try await facts.patientShare(clinicId: clinicId, treatmentPlanId: treatment)
            let plans = try await store.plans("""
                SELECT body::text FROM payment_plans
                WHERE clinic_id = \(clinicId) AND treatment_plan_id = \(treatment) AND deleted_at IS NULL
                  AND status IN ('PENDING', 'ACTIVE', 'PAUSED')
                ORDER BY created_at FOR UPDATE
                """)
            for var plan in plans {
                let before = plan
                let news = plan.reamortise(newTotal: max(0, share), at: context.now)
                guard !news.isEmpty else { continue }
                try await PlanCommit.record(plan, was: before, news: news, at: context.now, &context)
                context.audit("plan.reamortised", objectType: "payment_plan", objectId: plan.id,
                              summary: "claim \(remittance.claimId) (trace \(remittance.traceNumber)): total \(before.totalAmount) -> \(plan.totalAmount), remaining \(before.remainingBalance) -> \(plan.remainingBalance) \(plan.currency)")
            }
        }
    }
}
