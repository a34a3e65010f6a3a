import Contracts
import Foundation
import Logging
import PostgresNIO

/// The SQL of payment plans. A plan is read and written whole (the aggregate in `body`); the spec's
/// columns and `scheduled_payments` are projections of it, rewritten on every save. Inside the caller's
/// transaction.
struct PlanStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// A human-readable, unique plan number: `PP-2026-000042`.
    func nextPlanNumber(year: Int) async throws -> String {
        let rows = try await connection.query("SELECT nextval('plan_numbers')", logger: logger).decode(Int64.self)
        var next: Int64 = 0
        for try await value in rows { next = value }
        let digits = String(next)
        return "PP-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The plan, locked until the transaction ends when `lock`; nil when unknown or deleted.
    func load(clinicId: String, planId: String, lock: Bool = false) async throws -> PaymentPlan? {
        let rows = try await connection.query("""
            SELECT body::text FROM payment_plans WHERE clinic_id = \(clinicId) AND plan_id = \(planId) AND deleted_at IS NULL
            \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger).decode(String.self)
        for try await body in rows { return try JSONDecoder().decode(PaymentPlan.self, from: Data(body.utf8)) }
        return nil
    }

    /// The plans a query selects (its one column: `body::text`); it says its own order and locks.
    func plans(_ query: PostgresQuery) async throws -> [PaymentPlan] {
        var plans: [PaymentPlan] = []
        for try await body in try await connection.query(query, logger: logger).decode(String.self) {
            plans.append(try JSONDecoder().decode(PaymentPlan.self, from: Data(body.utf8)))
        }
        return plans
    }

    func save(_ plan: PaymentPlan) async throws {
        let body = String(decoding: try Self.encoder.encode(plan), as: UTF8.self)
        try await connection.query("""
            INSERT INTO payment_plans (
                clinic_id, plan_id, plan_number, account_id, status, currency, total_amount, down_payment, financed_amount,
                monthly_payment, remaining_balance, number_of_payments, completed_payments, frequency, start_date,
                next_payment_date, end_date, paused_until, payment_method_id, auto_pay_enabled, treatment_plan_id, signed_at,
                signed_by, created_at, updated_at, deleted_at, created_by, updated_by, body)
            VALUES (\(plan.clinicId), \(plan.id), \(plan.planNumber), \(plan.patientId), \(plan.status.rawValue), \(plan.currency),
                    \(plan.totalAmount), \(plan.downPayment), \(plan.financedAmount), \(plan.monthlyPayment),
                    \(plan.remainingBalance), \(plan.numberOfPayments), \(plan.completedPayments), \(plan.frequency.rawValue),
                    \(plan.startDate.description)::date, \(plan.nextPaymentDate?.description)::date,
                    \(plan.endDate?.description)::date, \(plan.pause?.until.description)::date, \(plan.paymentMethodId),
                    \(plan.autoPayEnabled), \(plan.treatmentPlanId), \(plan.signature?.signedAt), \(plan.signature?.signedBy),
                    \(plan.createdAt), \(plan.updatedAt), \(plan.deletedAt), \(plan.createdBy), \(plan.updatedBy), \(body)::jsonb)
            ON CONFLICT (clinic_id, plan_id) DO UPDATE SET
                status = EXCLUDED.status, total_amount = EXCLUDED.total_amount, financed_amount = EXCLUDED.financed_amount,
                monthly_payment = EXCLUDED.monthly_payment, remaining_balance = EXCLUDED.remaining_balance,
                number_of_payments = EXCLUDED.number_of_payments, completed_payments = EXCLUDED.completed_payments,
                next_payment_date = EXCLUDED.next_payment_date, end_date = EXCLUDED.end_date,
                paused_until = EXCLUDED.paused_until, payment_method_id = EXCLUDED.payment_method_id,
                auto_pay_enabled = EXCLUDED.auto_pay_enabled, signed_at = EXCLUDED.signed_at, signed_by = EXCLUDED.signed_by,
                updated_at = EXCLUDED.updated_at, deleted_at = EXCLUDED.deleted_at, updated_by = EXCLUDED.updated_by,
                body = EXCLUDED.body
            """, logger: logger)
        try await connection.query("""
            DELETE FROM scheduled_payments WHERE clinic_id = \(plan.clinicId) AND plan_id = \(plan.id)
            """, logger: logger)
        let lines = plan.payments
        try await connection.query("""
            INSERT INTO scheduled_payments (clinic_id, plan_id, installment_id, number, due_date, amount, principal, interest,
                                            paid, status, paid_at, days_late)
            SELECT \(plan.clinicId), \(plan.id), i, n, d::date, a, p, r, g, s, NULLIF(t, '')::timestamptz, NULLIF(l, -1)
            FROM unnest(\(lines.map(\.id)), \(lines.map(\.number)), \(lines.map(\.dueDate.description)), \(lines.map(\.amount)),
                        \(lines.map(\.principal)), \(lines.map(\.interest)), \(lines.map(\.paid)), \(lines.map(\.status.rawValue)),
                        \(lines.map { $0.paidAt.map { Timestamp($0).description } ?? "" }),
                        \(lines.map { $0.daysLate ?? -1 })) AS x(i, n, d, a, p, r, g, s, t, l)
            """, logger: logger)
    }

    // MARK: Policy

    func policy(clinicId: String) async throws -> PlanPolicy {
        for try await text in try await connection.query("""
            SELECT policy::text FROM plan_policies WHERE clinic_id = \(clinicId)
            """, logger: logger).decode(String.self)
        {
            return try JSONDecoder().decode(PlanPolicy.self, from: Data(text.utf8))
        }
        return .standard
    }

    func savePolicy(_ policy: PlanPolicy, clinicId: String, by actor: String, at now: Date) async throws {
        let text = String(decoding: try Self.encoder.encode(policy), as: UTF8.self)
        try await connection.query("""
            INSERT INTO plan_policies (clinic_id, policy, updated_by, updated_at) VALUES (\(clinicId), \(text)::jsonb, \(actor), \(now))
            ON CONFLICT (clinic_id) DO UPDATE SET policy = EXCLUDED.policy, updated_by = EXCLUDED.updated_by,
                                                  updated_at = EXCLUDED.updated_at
            """, logger: logger)
    }
}
