import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// The spec's plan endpoints: list, read, create, update (`/api/billing/payment-plans`).
enum PlanRoutes {
    static let base = "/api/billing/payment-plans"

    struct CreatePlan: APIExample {
        var patientId: String
        /// The total the plan covers; from an accepted estimate's patient portion when `estimateId` is given.
        var totalAmount: Money?
        var estimateId: String?
        /// At least the clinic's minimum; the minimum when left out.
        var downPayment: Money?
        var numberOfPayments: Int
        var frequency: PaymentFrequency?
        /// The down payment's date; installments follow one period apart. Today when left out.
        var startDate: CalendarDate?
        var paymentMethodId: String?
        var autoPayEnabled: Bool?
        var treatmentType: String?
        var treatmentPlanId: String?
        var description: String?

        static let example = CreatePlan(
            patientId: "pat-1001", totalAmount: Money(amount: 120_000, currency: "USD"), estimateId: "est-311",
            downPayment: Money(amount: 24_000, currency: "USD"), numberOfPayments: 6, frequency: .monthly,
            startDate: CalendarDate(year: 2026, month: 12, day: 1), paymentMethodId: "pm_4f2b", autoPayEnabled: true,
            treatmentType: "major", treatmentPlanId: "tp-77", description: "Crown and bridge, upper right")
    }

    struct UpdatePlan: APIExample {
        /// A new installment amount: the open installments are recalculated at this amount.
        var installmentAmount: Money?
        /// A new total number of installments (paid ones included): extends or shortens the term.
        var numberOfPayments: Int?
        var paymentMethodId: String?
        var autoPayEnabled: Bool?
        var description: String?

        static let example = UpdatePlan(installmentAmount: Money(amount: 12_000, currency: "USD"), numberOfPayments: 9,
                                        paymentMethodId: "pm_4f2b", autoPayEnabled: true, description: "Crown and bridge")
    }

    static func add(to api: APIRoutes, _ context: PlansContext) {
        api.get(base, .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "Payment plans, newest first (a patient sees its own)",
                query: [.string("status", "PENDING, ACTIVE, PAUSED, COMPLETED, DEFAULTED or CANCELLED"),
                        .string("patientId", "the patient (account)"),
                        .string("nextPaymentBefore", "only plans whose next payment is due before this date (YYYY-MM-DD)")]
                    + QueryParameter.paging,
                output: Page<PlanView>.self) { call in
            try await list(call, context)
        }

        api.get(base + "/:planId", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "One payment plan", output: PlanView.self) { call in
            PlanView(try await context.read(call))
        }

        api.write(.post, base, .staff(.billingCreate),
                  summary: "Create a payment plan from a total or an accepted estimate, within the clinic's policy",
                  idempotent: true, input: CreatePlan.self, output: PlanView.self, status: .created) { request, call, change in
            try await create(request, call, &change, context)
        }

        addDelete(to: api, context)

        api.write(.put, base + "/:planId", .staff(.billingUpdate),
                  summary: "Change the installment amount or the term (the open installments are recalculated), the card or autopay",
                  idempotent: false, input: UpdatePlan.self, output: PlanView.self) { request, call, change in
            try await context.change(call, &change) { plan, today, change in
                var news: [PlanNews] = []
                if let amount = request.installmentAmount, amount.currency != plan.currency {
                    throw PlanProblem(code: "currency_mismatch", message: "installmentAmount must be in \(plan.currency)",
                                      param: "installmentAmount")
                }
                if request.installmentAmount != nil || request.numberOfPayments != nil {
                    let policy = try await PlanStore(connection: change.connection, logger: change.logger)
                        .policy(clinicId: plan.clinicId)
                    news += try plan.modify(installmentAmount: request.installmentAmount?.amount,
                                            numberOfPayments: request.numberOfPayments,
                                            maxTermMonths: policy.maxTerm(total: plan.totalAmount, treatmentType: plan.treatmentType),
                                            at: change.now, by: call.caller.subject)
                }
                if request.paymentMethodId != nil || request.autoPayEnabled != nil {
                    let method = request.paymentMethodId ?? plan.paymentMethodId
                    let autoPay = request.autoPayEnabled ?? plan.autoPayEnabled
                    try await context.checkAutoPay(autoPay, method: method, patientId: plan.patientId, change)
                    if plan.paymentMethodId != method || plan.autoPayEnabled != autoPay {
                        plan.paymentMethodId = method
                        plan.autoPayEnabled = autoPay
                        plan.termsVersion += 1  // the autopay authorization is part of the agreement
                        news.append(.updated)
                    }
                }
                if let description = request.description { plan.description = description }
                plan.updatedAt = change.now
                plan.updatedBy = call.caller.subject
                return news
            }
        }
    }

    static func addDelete(to api: APIRoutes, _ context: PlansContext) {
        api.write(.delete, base + "/:planId", .staff(.billingUpdate),
                  summary: "Delete a plan made by mistake (soft delete; refused once money was paid on it)",
                  idempotent: false, input: NoBody.self, output: PlanView.self) { _, call, change in
            try await context.change(call, &change) { plan, _, change in
                let news = try plan.delete(at: change.now, by: call.caller.subject)
                try change.note("plan.deleted", clinicId: plan.clinicId, objectId: plan.id, summary: "\(plan.planNumber) deleted")
                return news
            }
        }
    }

    static func list(_ call: RouteCall, _ context: PlansContext) async throws -> Page<PlanView> {
        let page = try PageRequest(call.query)
        let status = call.query["status"]
        if let status, PlanStatus(rawValue: status) == nil {
            throw APIError.invalid("status must be one of \(PlanStatus.allCases.map(\.rawValue).joined(separator: ", "))", param: "status")
        }
        let before = try call.query["nextPaymentBefore"].map { text throws(APIError) -> CalendarDate in
            guard let date = CalendarDate(text) else { throw APIError.invalid("nextPaymentBefore must be YYYY-MM-DD", param: "nextPaymentBefore") }
            return date
        }
        var patientId = call.query["patientId"].flatMap { $0.isEmpty ? nil : $0 }
        if call.caller.role == .patient { patientId = call.caller.patientId }
        let clinicId = call.caller.clinicId
        return try await context.resources.client.withConnection { connection in
            let store = PlanStore(connection: connection, logger: context.resources.logger)
            let plans = try await store.plans("""
                SELECT body::text FROM payment_plans
                WHERE clinic_id = \(clinicId) AND deleted_at IS NULL
                  AND (\(status)::text IS NULL OR status = \(status))
                  AND (\(patientId)::text IS NULL OR account_id = \(patientId))
                  AND (\(before?.description)::date IS NULL OR next_payment_date < \(before?.description)::date)
                  AND (\(page.startingAfter)::text IS NULL OR seq < (
                       SELECT seq FROM payment_plans WHERE clinic_id = \(clinicId) AND plan_id = \(page.startingAfter)))
                ORDER BY seq DESC LIMIT \(page.limit + 1)
                """)
            return Page(fetched: plans.map(PlanView.init), limit: page.limit)
        }
    }

    static func create(_ request: CreatePlan, _ call: RouteCall, _ change: inout Change, _ context: PlansContext) async throws -> PlanView {
        let clinicId = call.caller.clinicId
        let store = PlanStore(connection: change.connection, logger: change.logger)
        let facts = FactsStore(connection: change.connection, logger: change.logger)
        let policy = try await store.policy(clinicId: clinicId)
        let today = context.settings.today(change.now)
        var total = request.totalAmount
        var treatmentType = request.treatmentType, treatmentPlanId = request.treatmentPlanId
        if let estimateId = request.estimateId {
            guard let estimate = try await facts.estimate(clinicId: clinicId, estimateId: estimateId), estimate.patientId == request.patientId else {
                throw APIError.unprocessable("no accepted estimate \(estimateId) for patient \(request.patientId)", param: "estimateId",
                                             code: "estimate_unknown")
            }
            if let total, total.currency != estimate.patientPortion.currency || total.amount > estimate.patientPortion.amount {
                throw APIError.unprocessable("totalAmount may not exceed the estimate's patient portion \(estimate.patientPortion.display)",
                                             param: "totalAmount", code: "amount_invalid")
            }
            total = total ?? estimate.patientPortion
            treatmentType = treatmentType ?? estimate.treatmentType
            treatmentPlanId = treatmentPlanId ?? estimate.treatmentPlanId
        }
        guard let total else {
            throw APIError.invalid("send totalAmount, or estimateId of an accepted estimate", param: "totalAmount", code: "parameter_missing")
        }
        guard Currency.isKnown(total.currency) else { throw APIError.invalid("unknown currency \(total.currency)", param: "totalAmount") }
        if let down = request.downPayment, down.currency != total.currency {
            throw APIError.invalid("downPayment must be in \(total.currency)", param: "downPayment")
        }
        let terms = PlanTerms(total: total, downPayment: request.downPayment?.amount ?? policy.minimumDownPayment(total: total.amount),
                              numberOfPayments: request.numberOfPayments, frequency: request.frequency ?? .monthly,
                              startDate: request.startDate ?? today, treatmentType: treatmentType)
        if let problem = terms.problems(under: policy, today: today).first { throw problem.apiError }
        let autoPay = request.autoPayEnabled ?? (request.paymentMethodId != nil)
        try await context.checkAutoPay(autoPay, method: request.paymentMethodId, patientId: request.patientId, change)
        let planId = call.idempotentId(prefix: "plan_") ?? NewId.make("plan_")
        var plan = PaymentPlan.new(
            id: planId, clinicId: clinicId, patientId: request.patientId,
            planNumber: try await store.nextPlanNumber(year: today.year), terms: terms, policy: policy,
            paymentMethodId: request.paymentMethodId, autoPay: autoPay, treatmentPlanId: treatmentPlanId,
            estimateId: request.estimateId, description: request.description, by: call.caller.subject, at: change.now)
        let news = plan.start(today: today, at: change.now)
        try await PlanCommit.record(plan, was: nil, news: news, at: change.now, &change)
        return PlanView(plan)
    }
}

extension PlanProblem {
    /// Rules broken → 422; a plan in the wrong state for the request → 409.
    var apiError: APIError {
        let conflicts: Set = ["plan_closed", "plan_not_active", "plan_not_paused", "already_signed", "agreement_changed",
                              "nothing_to_change", "plan_has_payments"]
        return conflicts.contains(code)
            ? APIError(.conflict, code: code, message: message, param: param)
            : APIError.unprocessable(message, param: param, code: code)
    }
}
