import Contracts
import Foundation
import WebAPI
import ServiceRuntime
import Storage

/// What other services tell payments about money: plans ask for installments and say what they finance;
/// insurance says what submitted claims should pay, and posts remittances.
enum CollectionHandlers {
    static func register(in handlers: inout EventHandlers) {
        handlers.on(PlanPaymentRequested.self) { request, context in try await requestInstallment(request, &context) }
        register(PlanSteps.Created.self, in: &handlers)
        register(PlanSteps.Activated.self, in: &handlers)
        register(PlanSteps.Paused.self, in: &handlers)
        register(PlanSteps.Resumed.self, in: &handlers)
        register(PlanSteps.Updated.self, in: &handlers)
        register(PlanSteps.Defaulted.self, in: &handlers)
        register(PlanSteps.Completed.self, in: &handlers)
        register(PlanSteps.Cancelled.self, in: &handlers)
        handlers.on(ClaimSubmitted.self) { claim, context in
            try await context.connection.query("""
                INSERT INTO expected_insurance (clinic_id, claim_id, patient_id, expected, currency, open, updated_at)
                VALUES (\(context.envelope.clinicId), \(claim.claimId), \(claim.patientId), \(claim.expectedInsurancePortion.amount),
                        \(claim.expectedInsurancePortion.currency), true, \(context.now))
                ON CONFLICT (clinic_id, claim_id) DO UPDATE SET expected = EXCLUDED.expected, updated_at = EXCLUDED.updated_at
                """, logger: context.logger)
        }
        handlers.on(ClaimPaid.self) { paid, context in try await postRemittance(paid, &context) }
    }

    private static func register<Step: PlanStep>(_ step: Step.Type, in handlers: inout EventHandlers) {
        handlers.on(PlanLifecycle<Step>.self) { plan, context in
            // The status is the step: every step but defaulted, completed and cancelled counts as financing.
            let status = Step.fact
            try await context.connection.query("""
                INSERT INTO plan_financing (clinic_id, plan_id, patient_id, financed, currency, status, updated_at)
                VALUES (\(context.envelope.clinicId), \(plan.planId), \(plan.patientId), \(plan.financed.amount),
                        \(plan.financed.currency), \(status), \(context.envelope.time.date))
                ON CONFLICT (clinic_id, plan_id) DO UPDATE
                SET financed = EXCLUDED.financed, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
                WHERE plan_financing.updated_at <= EXCLUDED.updated_at
                """, logger: context.logger)
        }
    }

    /// A plan's down payment, installment or payoff: a payment on the plan's saved method, created once
    /// per installment id and charged by the janitor within seconds. A method that cannot be charged
    /// fails the installment at once (final: no retry can help).
    static func requestInstallment(_ request: PlanPaymentRequested, _ context: inout EventContext) async throws {
        let clinicId = context.envelope.clinicId
        if let problem = ChargeRules.moneyProblems(request.amount, field: "amount").first { throw EventRejection.invalid(problem) }
        let method = try await PaymentMethodStore(connection: context.connection, logger: context.logger)
            .load(clinicId: clinicId, paymentMethodId: request.paymentMethodId)
        let usable = method.map { $0.status == .active && $0.patientId == request.patientId } ?? false
        let payment = PaymentRecord(
            clinicId: clinicId, paymentId: NewId.derived("pay_", from: "\(clinicId)\n\(request.planId)\n\(request.installmentId)"),
            patientId: request.patientId, method: .cardOnFile, origin: .plan, amount: request.amount, status: usable ? .processing : .failed,
            gateway: method?.gateway,
            source: method.map { StoredSource(gatewayMethodId: $0.gatewayMethodId, customerId: $0.customerId, offSession: true) },
            paymentMethodId: request.paymentMethodId, gatewayChargeId: nil, cardBrand: method?.brand, cardLast4: method?.last4,
            failure: nil, softDecline: nil, reference: "\(request.kind.rawValue) \(request.installmentId)", note: nil,
            planId: request.planId, installmentId: request.installmentId,
            collectionKey: "plan:\(request.planId):\(request.installmentId)", attempt: 0, refunded: 0,
            createdBy: "system:plans", requestId: context.envelope.id, createdAt: context.now)
        guard try await PaymentStore(connection: context.connection, logger: context.logger).insert(payment, calledGateway: false) else {
            return  // this installment already has its payment
        }
        if usable {
            context.audit("plan-payment.scheduled", objectType: "payment", objectId: payment.paymentId,
                          summary: "\(request.kind.rawValue) \(request.amount) of plan \(request.planId) on \(request.paymentMethodId)")
            return
        }
        let failure = PaymentFailure(code: "payment_method_unusable",
                                     message: "payment method \(request.paymentMethodId) is \(method?.status.rawValue ?? "unknown") for patient \(request.patientId)")
        try await context.connection.query("""
            UPDATE payments SET failure = \(String(decoding: try JSONEncoder().encode(failure), as: UTF8.self))::jsonb,
                                soft_decline = false, settled_at = \(context.now)
            WHERE clinic_id = \(clinicId) AND payment_id = \(payment.paymentId)
            """, logger: context.logger)
        try context.publish(PaymentFailed(
            paymentId: payment.paymentId, patientId: request.patientId, amount: request.amount, method: .cardOnFile, origin: .plan,
            failure: failure, soft: false, final: true, nextRetryAt: nil, plan: payment.plan,
            paymentMethodId: request.paymentMethodId, failedAt: Timestamp(context.now)), aggregateId: request.patientId)
        context.audit("payment.failed", objectType: "payment", objectId: payment.paymentId, summary: failure.message)
    }

    /// A card a patient gave on a plan's enrolment page: saved once per plan (its id is derived from the
    /// plan), answered with `payment-method.saved` naming the plan. A token the gateway refuses is audited
    /// and the plan stays without a card; an unreachable gateway is tried again (the event is retried).
    static func saveEnrolmentCard(_ submitted: PlanCardSubmitted, _ context: inout EventContext,
                                  _ gateway: any PaymentGateway) async throws {
        let clinicId = context.envelope.clinicId
        let methodId = NewId.derived("pm_", from: "\(clinicId)\n\(submitted.planId)\nenrolment card")
        let methods = PaymentMethodStore(connection: context.connection, logger: context.logger)
        guard try await methods.load(clinicId: clinicId, paymentMethodId: methodId) == nil else { return }
        do {
            let method = try await MethodSaving.save(
                token: submitted.token, methodId: methodId, clinicId: clinicId, patientId: submitted.patientId,
                authorization: submitted.autoCharge, gateway: gateway, connection: context.connection,
                logger: context.logger, now: context.now)
            try context.publish(MethodSaving.savedEvent(method, planId: submitted.planId), aggregateId: submitted.patientId)
            context.audit("payment-method.saved", objectType: "payment-method", objectId: methodId,
                          summary: MethodSaving.auditSummary(method) + " on plan \(submitted.planId)'s enrolment page")
        } catch MethodSaving.Failure.refused(let code, let message) {
            context.audit("payment-method.refused", objectType: "payment_plan", objectId: submitted.planId,
                          summary: "the gateway refused the card given on the enrolment page (\(code)): \(message)")
        }
    }

    /// A payer's remittance: the payment and the contractual write-off in one transfer naming the claim
    /// and the trace number, allocated to the claim's charges. The claim's expected portion is no longer
    /// held back from collection.
    static func postRemittance(_ paid: ClaimPaid, _ context: inout EventContext) async throws {
        let clinicId = context.envelope.clinicId
        guard let currency = paid.lines.first?.paid.currency else { throw EventRejection.invalid("lines is empty") }
        var paidTotal: Int64 = 0, contractualTotal: Int64 = 0
        for (index, line) in paid.lines.enumerated() {
            for (name, money) in [("paid", line.paid), ("contractualAdjustment", line.contractualAdjustment)] {
                guard money.currency == currency, money.amount >= 0, money.amount <= Currency.maximumAmount else {
                    throw EventRejection.invalid("lines[\(index)].\(name) must be a non-negative amount in \(currency)")
                }
            }
            paidTotal += line.paid.amount
            contractualTotal += line.contractualAdjustment.amount
        }
        if paid.traceNumber.trimmingCharacters(in: .whitespaces).isEmpty { throw EventRejection.invalid("traceNumber is empty") }
        let transfer = Transfer.insurancePayment(claimId: paid.claimId, traceNumber: paid.traceNumber, patientId: paid.patientId,
                                                 paid: paidTotal, contractual: contractualTotal, currency: currency)
        let ledger = LedgerStore(connection: context.connection, logger: context.logger)
        guard try await !ledger.transferExists(clinicId: clinicId, transferId: transfer.id) else { return }  // posted already
        let change = paidTotal + contractualTotal
        try await context.connection.query("""
            UPDATE expected_insurance SET open = false, updated_at = \(context.now)
            WHERE clinic_id = \(clinicId) AND claim_id = \(paid.claimId)
            """, logger: context.logger)
        guard change > 0 else { return }
        let store = PaymentStore(connection: context.connection, logger: context.logger)
        let open = try await store.openCharges(clinicId: clinicId, patientId: paid.patientId, currency: currency)
        var allocations: [PaymentAllocation] = []
        for line in paid.lines {
            let part = line.paid.amount + line.contractualAdjustment.amount
            let room = open.first { $0.chargeId == line.chargeId }?.open ?? 0
            if min(part, room) > 0 {
                allocations.append(PaymentAllocation(chargeId: line.chargeId, amount: Money(amount: min(part, room), currency: currency)))
            }
        }
        try await store.allocate(clinicId: clinicId, paymentId: "insurance:\(paid.claimId):\(paid.traceNumber)", allocations)
        let (balance, version) = try await ledger.post(LedgerWrite(
            clinicId: clinicId, transfer: transfer, patientId: paid.patientId, chargeId: "", eventId: context.envelope.id))
        try context.publish(BalanceChanged(
            patientId: paid.patientId, balance: balance, change: Money(amount: -change, currency: currency), version: version,
            cause: BalanceChangeCause(claimId: paid.claimId)), aggregateId: paid.patientId)
        context.audit("insurance.posted", objectType: "claim", objectId: paid.claimId,
                      summary: "payer \(paid.payerId) paid \(paidTotal) \(currency), contractual write-off \(contractualTotal) (trace \(paid.traceNumber)); balance \(balance.amount)")
    }
}
