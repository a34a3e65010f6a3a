import Contracts
import Foundation
import Logging
import PostgresNIO

public enum PaymentMethodStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case active, revoked
    /// A hard decline (expired, lost card): the patient must give a new card.
    case needsUpdating = "needs_updating"
    /// Too many declines in a short time (card testing).
    case blocked

    var revocationReason: String {
        switch self {
        case .active, .revoked: "revoked"
        case .needsUpdating: "card_needs_updating"
        case .blocked: "blocked_for_declines"
        }
    }
}

/// A saved card or bank account, as stored: the gateway's token, never a number.
struct SavedMethod: Sendable {
    var paymentMethodId: String
    var patientId: String
    var gateway: String
    var gatewayMethodId: String
    var customerId: String?
    var kind: String
    var brand: String?
    var last4: String
    var expMonth: Int?
    var expYear: Int?
    var status: PaymentMethodStatus
    var autoCharge: AutoChargeAuthorization?
    var createdAt: Date
}

/// The SQL of saved payment methods.
struct PaymentMethodStore {
    let connection: PostgresConnection
    let logger: Logger

    static let columns = """
        payment_method_id, patient_id, gateway, gateway_method_id, customer_id, kind, brand, last4, exp_month, exp_year,
        status, auto_charge::text AS auto_charge, created_at
        """

    func insert(clinicId: String, _ m: SavedMethod) async throws {
        let authorization = try m.autoCharge.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await connection.query("""
            INSERT INTO payment_methods (clinic_id, payment_method_id, patient_id, gateway, gateway_method_id, customer_id, kind,
                                         brand, last4, exp_month, exp_year, status, auto_charge, created_at)
            VALUES (\(clinicId), \(m.paymentMethodId), \(m.patientId), \(m.gateway), \(m.gatewayMethodId), \(m.customerId), \(m.kind),
                    \(m.brand), \(m.last4), \(m.expMonth), \(m.expYear), \(m.status.rawValue), \(authorization)::jsonb, \(m.createdAt))
            """, logger: logger)
    }

    func load(clinicId: String, paymentMethodId: String) async throws -> SavedMethod? {
        try await connection.query("""
            SELECT \(unescaped: Self.columns) FROM payment_methods WHERE clinic_id = \(clinicId) AND payment_method_id = \(paymentMethodId)
            """, logger: logger).collect().first.map(SavedMethod.init(row:))
    }

    func list(clinicId: String, patientId: String) async throws -> [SavedMethod] {
        try await connection.query("""
            SELECT \(unescaped: Self.columns) FROM payment_methods WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)
            ORDER BY created_at DESC, payment_method_id
            """, logger: logger).collect().map(SavedMethod.init(row:))
    }

    /// The gateway customer a patient already has, so that all their methods hang on one customer.
    func customerId(clinicId: String, patientId: String, gateway: String) async throws -> String? {
        try await connection.query("""
            SELECT customer_id FROM payment_methods
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId) AND gateway = \(gateway) AND customer_id IS NOT NULL
            ORDER BY created_at LIMIT 1
            """, logger: logger).decode(String.self).all().first
    }

    /// Moves an active method to `status` (a revocation applies to any method not yet revoked); false when
    /// nothing changed.
    func setStatus(clinicId: String, paymentMethodId: String, _ status: PaymentMethodStatus, at now: Date) async throws -> Bool {
        try await connection.query("""
            UPDATE payment_methods SET status = \(status.rawValue), status_changed_at = \(now)
            WHERE clinic_id = \(clinicId) AND payment_method_id = \(paymentMethodId) AND status <> 'revoked'
              AND (status = 'active' OR \(status.rawValue) = 'revoked')
            RETURNING 1
            """, logger: logger).collect().count == 1
    }
}

extension SavedMethod {
    init(row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        paymentMethodId = try r["payment_method_id"].decode(String.self)
        patientId = try r["patient_id"].decode(String.self)
        gateway = try r["gateway"].decode(String.self)
        gatewayMethodId = try r["gateway_method_id"].decode(String.self)
        customerId = try r["customer_id"].decode(String?.self)
        kind = try r["kind"].decode(String.self)
        brand = try r["brand"].decode(String?.self)
        last4 = try r["last4"].decode(String.self)
        expMonth = try r["exp_month"].decode(Int32?.self).map(Int.init)
        expYear = try r["exp_year"].decode(Int32?.self).map(Int.init)
        status = PaymentMethodStatus(rawValue: try r["status"].decode(String.self)) ?? .revoked
        autoCharge = try r["auto_charge"].decode(String?.self).map {
            try JSONDecoder().decode(AutoChargeAuthorization.self, from: Data($0.utf8))
        }
        createdAt = try r["created_at"].decode(Date.self)
    }
}

/// Soft declines of automatic collections (auto-charge, plan installments), retried on a schedule.
struct RetryStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Records a failed try of a collection; returns when the next try is due, or nil when there is none
    /// (a hard decline, or the schedule is exhausted).
    func afterFailure(_ payment: PaymentRecord, collectionKey: String, paymentMethodId: String, soft: Bool,
                      schedule: RetrySchedule, now: Date) async throws -> Date? {
        let first = try await connection.query("""
            INSERT INTO collection_retries (clinic_id, collection_key, patient_id, origin, payment_method_id, amount, currency,
                                            plan_id, installment_id, first_failed_at, attempts_made, state, next_retry_at)
            VALUES (\(payment.clinicId), \(collectionKey), \(payment.patientId), \(payment.origin.rawValue), \(paymentMethodId),
                    \(payment.amount.amount), \(payment.amount.currency), \(payment.planId), \(payment.installmentId), \(now),
                    \(payment.attempt), 'retrying', NULL)
            ON CONFLICT (clinic_id, collection_key) DO UPDATE SET attempts_made = EXCLUDED.attempts_made
            RETURNING first_failed_at
            """, logger: logger).decode(Date.self).all().first ?? now
        let next = soft ? schedule.nextRetry(firstFailure: first, retriesMade: payment.attempt) : nil
        try await connection.query("""
            UPDATE collection_retries SET next_retry_at = \(next), state = \(next == nil ? "failed" : "retrying")
            WHERE clinic_id = \(payment.clinicId) AND collection_key = \(collectionKey)
            """, logger: logger)
        return next
    }

    /// A collection that succeeded is not retried, and leaves no trace here (a `failed` row keeps the
    /// auto-charge run from trying that card again).
    func finish(clinicId: String, collectionKey: String) async throws {
        try await connection.query("""
            DELETE FROM collection_retries WHERE clinic_id = \(clinicId) AND collection_key = \(collectionKey)
            """, logger: logger)
    }

    /// A collection whose method can no longer be charged: no try follows.
    func giveUp(clinicId: String, collectionKey: String) async throws {
        try await connection.query("""
            UPDATE collection_retries SET state = 'failed', next_retry_at = NULL
            WHERE clinic_id = \(clinicId) AND collection_key = \(collectionKey)
            """, logger: logger)
    }

    struct DueRetry: Sendable {
        var clinicId: String
        var collectionKey: String
        var patientId: String
        var origin: PaymentOrigin
        var paymentMethodId: String
        var amount: Money
        var planId: String?
        var installmentId: String?
        var attempt: Int
    }

    /// Retries due at `now`, taken off the schedule (the try they make sets the next one). Locked rows
    /// another replica is taking are skipped. Only retries on `gateway`'s methods: a replica configured
    /// with another gateway leaves them alone.
    func takeDue(gateway: String, now: Date, limit: Int) async throws -> [DueRetry] {
        try await connection.query("""
            UPDATE collection_retries r SET next_retry_at = NULL
            FROM (SELECT t.clinic_id, t.collection_key FROM collection_retries t
                  JOIN payment_methods m ON m.clinic_id = t.clinic_id AND m.payment_method_id = t.payment_method_id
                  WHERE t.state = 'retrying' AND t.next_retry_at <= \(now) AND m.gateway = \(gateway)
                  ORDER BY t.next_retry_at LIMIT \(limit) FOR UPDATE OF t SKIP LOCKED) due
            WHERE r.clinic_id = due.clinic_id AND r.collection_key = due.collection_key
            RETURNING r.clinic_id, r.collection_key, r.patient_id, r.origin, r.payment_method_id, r.amount, r.currency,
                      r.plan_id, r.installment_id, r.attempts_made
            """, logger: logger).collect().map { row in
            let r = row.makeRandomAccess()
            return DueRetry(
                clinicId: try r["clinic_id"].decode(String.self), collectionKey: try r["collection_key"].decode(String.self),
                patientId: try r["patient_id"].decode(String.self),
                origin: PaymentOrigin(rawValue: try r["origin"].decode(String.self)) ?? .autoCharge,
                paymentMethodId: try r["payment_method_id"].decode(String.self),
                amount: Money(amount: try r["amount"].decode(Int64.self), currency: try r["currency"].decode(String.self)),
                planId: try r["plan_id"].decode(String?.self), installmentId: try r["installment_id"].decode(String?.self),
                attempt: Int(try r["attempts_made"].decode(Int32.self)) + 1)
        }
    }
}
