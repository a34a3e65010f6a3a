import Contracts
import Foundation
import Logging
import PostgresNIO
import Scoring

/// Plans' own copies of other services' facts (from their events): saved payment methods, each patient's
/// payment behaviour, charges tied to a treatment plan, what insurance paid on them, accepted estimates.
/// Inside the caller's transaction.
struct FactsStore {
    let connection: PostgresConnection
    let logger: Logger

    // MARK: Payment methods

    struct Method {
        var paymentMethodId: String
        var patientId: String
        var status: String
    }

    func saveMethod(clinicId: String, _ saved: PaymentMethodSaved, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO payment_methods (clinic_id, payment_method_id, patient_id, kind, brand, last4, auto_charge, status, updated_at)
            VALUES (\(clinicId), \(saved.paymentMethodId), \(saved.patientId), \(saved.kind), \(saved.brand), \(saved.last4),
                    \(saved.autoCharge != nil), 'active', \(now))
            ON CONFLICT (clinic_id, payment_method_id) DO NOTHING
            """, logger: logger)
    }

    func revokeMethod(clinicId: String, paymentMethodId: String, reason: String, at now: Date) async throws {
        try await connection.query("""
            UPDATE payment_methods SET status = \(reason), updated_at = \(now)
            WHERE clinic_id = \(clinicId) AND payment_method_id = \(paymentMethodId)
            """, logger: logger)
    }

    func method(clinicId: String, paymentMethodId: String) async throws -> Method? {
        for try await (id, patient, status) in try await connection.query("""
            SELECT payment_method_id, patient_id, status FROM payment_methods
            WHERE clinic_id = \(clinicId) AND payment_method_id = \(paymentMethodId)
            """, logger: logger).decode((String, String, String).self)
        {
            return Method(paymentMethodId: id, patientId: patient, status: status)
        }
        return nil
    }

    // MARK: Payment behaviour

    /// Adds to a patient's record of payment behaviour.
    struct HistoryChange {
        var onTime = 0, late = 0, missed = 0, declines = 0, defaults = 0, completedPlans = 0
    }

    func record(_ change: HistoryChange, clinicId: String, patientId: String) async throws {
        try await connection.query("""
            INSERT INTO payment_history AS h (clinic_id, patient_id, on_time, late, missed, declines, defaults, completed_plans)
            VALUES (\(clinicId), \(patientId), \(change.onTime), \(change.late), \(change.missed), \(change.declines),
                    \(change.defaults), \(change.completedPlans))
            ON CONFLICT (clinic_id, patient_id) DO UPDATE SET
                on_time = h.on_time + EXCLUDED.on_time, late = h.late + EXCLUDED.late, missed = h.missed + EXCLUDED.missed,
                declines = h.declines + EXCLUDED.declines, defaults = h.defaults + EXCLUDED.defaults,
                completed_plans = h.completed_plans + EXCLUDED.completed_plans
            """, logger: logger)
    }

    /// Since when the patient has owed money (nil: owes nothing).
    func setUnpaidSince(_ date: CalendarDate?, clinicId: String, patientId: String) async throws {
        try await connection.query("""
            INSERT INTO payment_history (clinic_id, patient_id, unpaid_since) VALUES (\(clinicId), \(patientId), \(date?.description)::date)
            ON CONFLICT (clinic_id, patient_id) DO UPDATE SET unpaid_since = EXCLUDED.unpaid_since
            """, logger: logger)
    }

    func history(clinicId: String, patientId: String, today: CalendarDate) async throws -> PaymentHistory {
        for try await (onTime, late, missed, declines, defaults, completed, since) in try await connection.query("""
            SELECT on_time, late, missed, declines, defaults, completed_plans, unpaid_since::text FROM payment_history
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)
            """, logger: logger).decode((Int, Int, Int, Int, Int, Int, String?).self)
        {
            let age = since.flatMap(CalendarDate.init).map { max(0, $0.days(until: today)) } ?? 0
            return PaymentHistory(onTimePayments: onTime, latePayments: late, missedPayments: missed, declines: declines,
                                  defaults: defaults, oldestUnpaidDays: age, completedPlans: completed)
        }
        return .empty
    }

    // MARK: Treatment, insurance, estimates

    func recordCharge(clinicId: String, _ charge: ChargeRecorded) async throws {
        try await connection.query("""
            INSERT INTO charges (clinic_id, charge_id, patient_id, treatment_plan_id, fee, currency)
            VALUES (\(clinicId), \(charge.chargeId), \(charge.patientId), \(charge.treatmentPlanId), \(charge.fee.amount),
                    \(charge.fee.currency))
            ON CONFLICT (clinic_id, charge_id) DO NOTHING
            """, logger: logger)
    }

    func reverseCharge(clinicId: String, chargeId: String) async throws {
        try await connection.query("""
            UPDATE charges SET reversed = true WHERE clinic_id = \(clinicId) AND charge_id = \(chargeId)
            """, logger: logger)
    }

    /// Keeps a remittance's lines; false when this claim and trace number were recorded already.
    func recordInsurancePayment(clinicId: String, _ paid: ClaimPaid) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO insurance_payments (clinic_id, claim_id, trace_number, charge_id, paid, contractual)
            SELECT \(clinicId), \(paid.claimId), \(paid.traceNumber), c, p, a
            FROM unnest(\(paid.lines.map(\.chargeId)), \(paid.lines.map(\.paid.amount)),
                        \(paid.lines.map(\.contractualAdjustment.amount))) AS x(c, p, a)
            ON CONFLICT DO NOTHING
            RETURNING charge_id
            """, logger: logger)
        var inserted = 0
        for try await _ in rows { inserted += 1 }
        return inserted > 0
    }

    /// The treatment plans the charges belong to.
    func treatmentPlans(clinicId: String, chargeIds: [String]) async throws -> [String] {
        var found: [String] = []
        for try await id in try await connection.query("""
            SELECT DISTINCT treatment_plan_id FROM charges
            WHERE clinic_id = \(clinicId) AND charge_id = ANY(\(chargeIds)) AND treatment_plan_id IS NOT NULL
            """, logger: logger).decode(String.self)
        {
            found.append(id)
        }
        return found
    }

    /// What the patient owes for a treatment plan's charges once insurance paid and wrote off its part.
    func patientShare(clinicId: String, treatmentPlanId: String) async throws -> Int64 {
        for try await share in try await connection.query("""
            SELECT (coalesce(sum(c.fee), 0) - coalesce((SELECT sum(i.paid + i.contractual) FROM insurance_payments i
                      JOIN charges x ON x.clinic_id = i.clinic_id AND x.charge_id = i.charge_id
                      WHERE x.clinic_id = \(clinicId) AND x.treatment_plan_id = \(treatmentPlanId) AND NOT x.reversed), 0))::bigint
            FROM charges c WHERE c.clinic_id = \(clinicId) AND c.treatment_plan_id = \(treatmentPlanId) AND NOT c.reversed
            """, logger: logger).decode(Int64.self)
        {
            return share
        }
        return 0
    }

    func recordEstimate(clinicId: String, _ estimate: EstimateAccepted) async throws {
        try await connection.query("""
            INSERT INTO accepted_estimates (clinic_id, estimate_id, patient_id, treatment_plan_id, treatment_type, patient_portion,
                                            currency, accepted_by, accepted_at)
            VALUES (\(clinicId), \(estimate.estimateId), \(estimate.patientId), \(estimate.treatmentPlanId), \(estimate.treatmentType),
                    \(estimate.patientPortion.amount), \(estimate.patientPortion.currency), \(estimate.acceptedBy),
                    \(estimate.acceptedAt.date))
            ON CONFLICT (clinic_id, estimate_id) DO NOTHING
            """, logger: logger)
    }

    struct Estimate {
        var patientId: String
        var treatmentPlanId: String?
        var treatmentType: String?
        var patientPortion: Money
    }

    func estimate(clinicId: String, estimateId: String) async throws -> Estimate? {
        for try await (patient, treatment, type, portion, currency) in try await connection.query("""
            SELECT patient_id, treatment_plan_id, treatment_type, patient_portion, currency FROM accepted_estimates
            WHERE clinic_id = \(clinicId) AND estimate_id = \(estimateId)
            """, logger: logger).decode((String, String?, String?, Int64, String).self)
        {
            return Estimate(patientId: patient, treatmentPlanId: treatment, treatmentType: type,
                            patientPortion: Money(amount: portion, currency: currency))
        }
        return nil
    }
}
