import Contracts
import Foundation
import Scoring
import WebAPI

/// The clinic's plan policy, the options calculator (risk-shaped for a known patient) and plan statistics.
enum PolicyRoutes {
    struct OptionsRequest: APIExample {
        var totalAmount: Money?
        var estimateId: String?
        /// The patient the options are for: their payment history shapes the terms.
        var patientId: String?
        var treatmentType: String?
        var frequencies: [PaymentFrequency]?
        var startDate: CalendarDate?

        static let example = OptionsRequest(
            totalAmount: Money(amount: 120_000, currency: "USD"), estimateId: nil, patientId: "pat-1001", treatmentType: "major",
            frequencies: [.monthly], startDate: CalendarDate(year: 2026, month: 12, day: 1))
    }

    struct Options: APIExample {
        var totalAmount: Money
        var risk: Risk?
        var options: [PlanOption]

        static let example = Options(
            totalAmount: Money(amount: 120_000, currency: "USD"),
            risk: Risk(PropensityModel.standard.score(PaymentHistory(onTimePayments: 4, latePayments: 2, missedPayments: 2, declines: 3))),
            options: PlanOptions.calculate(total: Money(amount: 120_000, currency: "USD"), treatmentType: "major",
                                           frequencies: [.monthly], startDate: CalendarDate(year: 2026, month: 12, day: 1)!,
                                           policy: .standard))
    }

    /// The patient's propensity to pay and how it shaped the terms.
    struct Risk: Codable, Sendable {
        var probability: Double
        var tier: RiskTier
        /// The facts that moved the score (payment behaviour only, never demographics).
        var reasons: [Propensity.Reason]
        var adjustment: RiskAdjustment

        init(_ score: Propensity) {
            probability = score.probability
            tier = score.tier
            reasons = score.reasons
            adjustment = RiskTerms.adjustment(for: score)
        }
    }

    struct Stats: APIExample {
        var byTerm: [Row]
        var outstanding: [Money]

        struct Row: Codable, Sendable {
            var numberOfPayments: Int
            var frequency: PaymentFrequency
            var plans: Int
            var active: Int
            var completed: Int
            var defaulted: Int
            var cancelled: Int
            /// completed ÷ (completed + defaulted); nil until one of them happened.
            var successRate: Double?
            /// Installments paid on their due date ÷ installments paid.
            var onTimeRate: Double?
        }

        static let example = Stats(
            byTerm: [Row(numberOfPayments: 6, frequency: .monthly, plans: 10, active: 4, completed: 5, defaulted: 1, cancelled: 0,
                         successRate: 0.833, onTimeRate: 0.91)],
            outstanding: [Money(amount: 480_000, currency: "USD")])
    }

    static func add(to api: APIRoutes, _ context: PlansContext) {
        let base = PlanRoutes.base
        api.get(base + "/policy", .staff(.billingRead), summary: "The clinic's payment plan policy", output: PlanPolicy.self) { call in
            try await context.resources.client.withConnection { connection in
                try await PlanStore(connection: connection, logger: context.resources.logger).policy(clinicId: call.caller.clinicId)
            }
        }

        api.write(.put, base + "/policy", .staff(.settingsUpdate),
                  summary: "Set the clinic's payment plan policy (keys left out keep their standard value)",
                  idempotent: false, input: PlanPolicy.self, output: PlanPolicy.self) { policy, call, change in
            if let problem = policy.problems.first { throw problem.apiError }
            try await PlanStore(connection: change.connection, logger: change.logger)
                .savePolicy(policy, clinicId: call.caller.clinicId, by: call.caller.subject, at: change.now)
            try change.audit("plan.policy-updated", objectType: "plan_policy", objectId: call.caller.clinicId,
                             summary: String(decoding: try JSONCoders.encoder.encode(policy), as: UTF8.self))
            return policy
        }

        api.write(.post, base + "/options", .staff(.billingRead),
                  summary: "Calculate plan options for a total or an accepted estimate, within the policy and shaped by the patient's payment history",
                  idempotent: false, input: OptionsRequest.self, output: Options.self) { request, call, change in
            let clinicId = call.caller.clinicId
            let facts = FactsStore(connection: change.connection, logger: change.logger)
            var total = request.totalAmount, treatmentType = request.treatmentType, patientId = request.patientId
            if let estimateId = request.estimateId {
                guard let estimate = try await facts.estimate(clinicId: clinicId, estimateId: estimateId) else {
                    throw APIError.unprocessable("no accepted estimate \(estimateId)", param: "estimateId", code: "estimate_unknown")
                }
                total = total ?? estimate.patientPortion
                treatmentType = treatmentType ?? estimate.treatmentType
                patientId = patientId ?? estimate.patientId
            }
            guard let total, total.amount > 0, Currency.isKnown(total.currency) else {
                throw APIError.invalid("send a positive totalAmount in a known currency, or estimateId", param: "totalAmount")
            }
            let today = context.settings.today(change.now)
            let policy = try await PlanStore(connection: change.connection, logger: change.logger).policy(clinicId: clinicId)
            var risk: Risk?
            if let patientId {
                let history = try await facts.history(clinicId: clinicId, patientId: patientId, today: today)
                let score = PropensityModel.standard.score(history)
                risk = Risk(score)
                try change.audit("plan.risk-scored", objectType: "patient", objectId: patientId,
                                 summary: RiskTerms.summary(score))
            }
            let options = PlanOptions.calculate(
                total: total, treatmentType: treatmentType, frequencies: request.frequencies ?? [.monthly],
                startDate: request.startDate ?? today, policy: policy, risk: risk?.adjustment ?? .none)
            return Options(totalAmount: total, risk: risk, options: options)
        }

        api.get(base + "/stats", .staff(.billingRead),
                summary: "Plan success by term length and frequency (completed vs defaulted, on-time installments), and what plans still finance",
                output: Stats.self) { call in
            try await stats(clinicId: call.caller.clinicId, context)
        }
    }

    static func stats(clinicId: String, _ context: PlansContext) async throws -> Stats {
        try await context.resources.client.withConnection { connection in
            var rows: [Stats.Row] = []
            for try await (count, frequency, plans, active, completed, defaulted, cancelled, paid, onTime) in try await connection.query("""
                SELECT p.number_of_payments, p.frequency, count(*)::int,
                       count(*) FILTER (WHERE p.status IN ('ACTIVE', 'PAUSED', 'PENDING'))::int,
                       count(*) FILTER (WHERE p.status = 'COMPLETED')::int,
                       count(*) FILTER (WHERE p.status = 'DEFAULTED')::int,
                       count(*) FILTER (WHERE p.status = 'CANCELLED')::int,
                       coalesce(sum(s.paid_count), 0)::int, coalesce(sum(s.on_time), 0)::int
                FROM payment_plans p
                LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE status = 'PAID' AND number > 0) AS paid_count,
                                          count(*) FILTER (WHERE status = 'PAID' AND number > 0 AND days_late = 0) AS on_time
                                   FROM scheduled_payments WHERE clinic_id = p.clinic_id AND plan_id = p.plan_id) s ON true
                WHERE p.clinic_id = \(clinicId) AND p.deleted_at IS NULL
                GROUP BY p.number_of_payments, p.frequency ORDER BY p.frequency, p.number_of_payments
                """, logger: context.resources.logger).decode((Int, String, Int, Int, Int, Int, Int, Int, Int).self)
            {
                func rate(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : (Double(part) / Double(whole) * 1000).rounded() / 1000 }
                rows.append(Stats.Row(numberOfPayments: count, frequency: PaymentFrequency(rawValue: frequency) ?? .monthly,
                                      plans: plans, active: active, completed: completed, defaulted: defaulted, cancelled: cancelled,
                                      successRate: rate(completed, completed + defaulted), onTimeRate: rate(onTime, paid)))
            }
            var outstanding: [Money] = []
            for try await (amount, currency) in try await connection.query("""
                SELECT sum(remaining_balance)::bigint, currency FROM payment_plans
                WHERE clinic_id = \(clinicId) AND deleted_at IS NULL AND status IN ('ACTIVE', 'PAUSED', 'PENDING')
                GROUP BY currency ORDER BY currency
                """, logger: context.resources.logger).decode((Int64, String).self)
            {
                outstanding.append(Money(amount: amount, currency: currency))
            }
            return Stats(byTerm: rows, outstanding: outstanding)
        }
    }
}
