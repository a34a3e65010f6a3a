import Contracts
import Foundation
import Logging
import PostgresNIO
import WebAPI

/// The daily auto-charge run, in one change: for every balance with something collectible, a payment
/// on the patient's authorized card (committed here, charged by the janitor right after), or — without
/// such a card — `payments.balance.due.v1` and a note for staff. Each balance gets one try per run date,
/// whatever the number of replicas, concurrent runs or restarts: the try's collection key is unique.
struct AutoChargeRun {
    let gateway: String

    struct Summary: Codable, Sendable {
        var runDate: String
        /// Payments created for authorized cards (charged within seconds).
        var intents: Int
        /// Balances told as due (no authorized, usable card).
        var balanceDue: Int
    }

    /// `clinicId` nil: every clinic (the daily job); set: one clinic (an admin's run).
    func run(clinicId: String?, runDate: CalendarDate, change: inout Change) async throws -> Summary {
        var summary = Summary(runDate: runDate.description, intents: 0, balanceDue: 0)
        for due in try await balancesDue(clinicId: clinicId, runDate: runDate, change) {
            let collectible = Collections.collectible(balance: due.balance, financedByPlans: due.financed,
                                                      expectedInsurance: due.expectedInsurance)
            guard collectible > 0 else { continue }
            let money = Money(amount: collectible, currency: due.currency)
            // A card in a retry series is left to its retries; one that failed for good is not tried daily.
            if due.retrying { continue }
            if let method = due.method, !due.declinedForGood {
                let amount = Collections.autoChargeAmount(collectible: collectible, maximumPerCharge: method.maximum)
                let key = "auto:\(due.patientId):\(due.currency):\(runDate)"
                let payment = PaymentRecord(
                    clinicId: due.clinicId, paymentId: NewId.make("pay_"), patientId: due.patientId,
                    method: .cardOnFile, origin: .autoCharge, amount: Money(amount: amount, currency: due.currency),
                    status: .processing, gateway: gateway,
                    source: StoredSource(gatewayMethodId: method.gatewayMethodId, customerId: method.customerId, offSession: true),
                    paymentMethodId: method.paymentMethodId, gatewayChargeId: nil, cardBrand: method.brand, cardLast4: method.last4,
                    failure: nil, softDecline: nil, reference: "auto-charge \(runDate)", note: nil, planId: nil, installmentId: nil,
                    collectionKey: key, attempt: 0, refunded: 0, createdBy: "system:auto-charge", requestId: change.requestId,
                    createdAt: change.now)
                if try await PaymentStore(connection: change.connection, logger: change.logger).insert(payment, calledGateway: false) {
                    summary.intents += 1
                    try change.audit("auto-charge.scheduled", objectType: "payment", objectId: payment.paymentId,
                                     summary: "auto-charge of \(payment.amount) on \(method.brand ?? "card") ending \(method.last4) (authorized) for a collectible \(money)",
                                     clinicId: due.clinicId)
                }
            } else if try await notice(due, reason: due.reason, runDate: runDate, change) {
                summary.balanceDue += 1
                try change.publish(BalanceDue(
                    patientId: due.patientId, balance: Money(amount: due.balance, currency: due.currency), collectible: money,
                    reason: due.reason,
                    oldestServiceDate: due.oldestServiceDate, runDate: runDate), clinicId: due.clinicId, aggregateId: due.patientId)
                try change.audit("balance.due", objectType: "patient", objectId: due.patientId,
                                 summary: "\(money) collectible, no card could be charged (\(due.reason))", clinicId: due.clinicId)
            }
        }
        return summary
    }

    struct Due {
        var clinicId: String
        var patientId: String
        var currency: String
        var balance: Int64
        var financed: Int64
        var expectedInsurance: Int64
        var method: Method?
        /// The patient has an authorized method, but it is expired, flagged or blocked.
        var unusableMethod: Bool
        /// A soft decline of an automatic charge is waiting for its retry.
        var retrying: Bool
        /// The chosen card's automatic charges failed for good (retries exhausted or a hard decline).
        var declinedForGood: Bool
        var oldestServiceDate: CalendarDate?

        /// Why no card is charged, as `payments.balance.due.v1` says it.
        var reason: String {
            declinedForGood ? "declined" : unusableMethod ? "method_needs_updating" : "no_authorized_method"
        }
    }

    struct Method {
        var paymentMethodId: String
        var gatewayMethodId: String
        var customerId: String?
        var brand: String?
        var last4: String
        var maximum: Int64?
    }

    /// Positive balances, with what plans finance, what insurance is expected to pay, and the newest
    /// authorized, active, unexpired method of this gateway.
    private func balancesDue(clinicId: String?, runDate: CalendarDate, _ change: Change) async throws -> [Due] {
        let rows = try await change.connection.query("""
            SELECT b.clinic_id, b.patient_id, b.currency, b.balance,
                   (SELECT coalesce(sum(f.financed), 0)::bigint FROM plan_financing f
                    WHERE f.clinic_id = b.clinic_id AND f.patient_id = b.patient_id AND f.currency = b.currency
                      AND f.status NOT IN ('defaulted', 'completed', 'cancelled')) AS financed,
                   (SELECT coalesce(sum(e.expected), 0)::bigint FROM expected_insurance e
                    WHERE e.clinic_id = b.clinic_id AND e.patient_id = b.patient_id AND e.currency = b.currency AND e.open) AS expected,
                   m.payment_method_id, m.gateway_method_id, m.customer_id, m.brand, m.last4,
                   (m.auto_charge->'maximumPerCharge'->>'amount')::bigint AS maximum,
                   EXISTS (SELECT 1 FROM payment_methods u WHERE u.clinic_id = b.clinic_id AND u.patient_id = b.patient_id
                           AND u.auto_charge IS NOT NULL AND u.status IN ('needs_updating', 'blocked')) AS unusable,
                   EXISTS (SELECT 1 FROM collection_retries r WHERE r.clinic_id = b.clinic_id AND r.patient_id = b.patient_id
                           AND r.currency = b.currency AND r.origin = 'auto_charge' AND r.state = 'retrying') AS retrying,
                   EXISTS (SELECT 1 FROM collection_retries r WHERE r.clinic_id = b.clinic_id AND r.patient_id = b.patient_id
                           AND r.currency = b.currency AND r.origin = 'auto_charge' AND r.state = 'failed'
                           AND r.payment_method_id = m.payment_method_id) AS failed_for_good,
                   (SELECT min(c.service_date)::text FROM charges c
                    WHERE c.clinic_id = b.clinic_id AND c.patient_id = b.patient_id AND c.reversed_at IS NULL
                      AND c.fee_amount > c.paid) AS oldest
            FROM patient_balances b
            LEFT JOIN LATERAL (
                SELECT * FROM payment_methods m
                WHERE m.clinic_id = b.clinic_id AND m.patient_id = b.patient_id AND m.status = 'active'
                  AND m.auto_charge IS NOT NULL AND m.gateway = \(gateway) AND m.kind = 'card'
                  AND (m.exp_year IS NULL OR make_date(m.exp_year, m.exp_month, 1) + interval '1 month' > \(runDate.description)::date)
                ORDER BY m.created_at DESC LIMIT 1) m ON true
            WHERE b.balance > 0 AND (\(clinicId)::text IS NULL OR b.clinic_id = \(clinicId))
            ORDER BY b.clinic_id, b.patient_id, b.currency
            """, logger: change.logger)
        return try await rows.collect().map { row in
            let r = row.makeRandomAccess()
            let methodId = try r["payment_method_id"].decode(String?.self)
            return Due(
                clinicId: try r["clinic_id"].decode(String.self), patientId: try r["patient_id"].decode(String.self),
                currency: try r["currency"].decode(String.self), balance: try r["balance"].decode(Int64.self),
                financed: try r["financed"].decode(Int64.self), expectedInsurance: try r["expected"].decode(Int64.self),
                method: try methodId.map {
                    Method(paymentMethodId: $0, gatewayMethodId: try r["gateway_method_id"].decode(String.self),
                           customerId: try r["customer_id"].decode(String?.self), brand: try r["brand"].decode(String?.self),
                           last4: try r["last4"].decode(String.self), maximum: try r["maximum"].decode(Int64?.self))
                },
                unusableMethod: try r["unusable"].decode(Bool.self), retrying: try r["retrying"].decode(Bool.self),
                declinedForGood: try r["failed_for_good"].decode(Bool.self),
                oldestServiceDate: try r["oldest"].decode(String?.self).flatMap(CalendarDate.init))
        }
    }

    /// Records that this run told of this balance, with a note for staff; false when it already did.
    private func notice(_ due: Due, reason: String, runDate: CalendarDate, _ change: Change) async throws -> Bool {
        let inserted = try await change.connection.query("""
            INSERT INTO balance_due_notices (clinic_id, patient_id, currency, run_date, reason)
            VALUES (\(due.clinicId), \(due.patientId), \(due.currency), \(runDate.description)::date, \(reason))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: change.logger).collect().count == 1
        if inserted {
            try await change.connection.query("""
                INSERT INTO account_notes (clinic_id, patient_id, note, created_at)
                VALUES (\(due.clinicId), \(due.patientId),
                        \("Auto-charge \(runDate): \(due.currency) balance due and no authorized card could be charged (\(reason)); a payment link was sent."),
                        \(change.now))
                """, logger: change.logger)
        }
        return inserted
    }
}
