import Contracts
import Foundation
import Logging
import PostgresNIO

public enum RefundStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case pending, succeeded, failed, unknown
}

struct RefundRecord: Sendable {
    var clinicId: String
    var refundId: String
    var paymentId: String
    var amount: Money
    var status: RefundStatus
    var gateway: String?
    var gatewayChargeId: String?
    var gatewayRefundId: String?
    var failure: PaymentFailure?
    var reason: String?
    var createdBy: String
    var requestId: String?
    var createdAt: Date
}

/// The SQL of refunds.
struct RefundStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Inserts the refund unless one with its id exists; returns whether it did. `callingNow`: the
    /// gateway is called right after.
    func insert(_ r: RefundRecord, callingNow: Bool) async throws -> Bool {
        try await connection.query("""
            INSERT INTO refunds (clinic_id, refund_id, payment_id, amount, currency, status, gateway, reason, created_by,
                                 request_id, created_at, gateway_called_at)
            VALUES (\(r.clinicId), \(r.refundId), \(r.paymentId), \(r.amount.amount), \(r.amount.currency), \(r.status.rawValue),
                    \(r.gateway), \(r.reason), \(r.createdBy), \(r.requestId), \(r.createdAt), CASE WHEN \(callingNow) THEN now() END)
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger).collect().count == 1
    }

    func load(clinicId: String, refundId: String, lock: Bool = false) async throws -> RefundRecord? {
        try await connection.query("""
            SELECT r.refund_id, r.payment_id, r.amount, r.currency, r.status, r.gateway, p.gateway_charge_id, r.gateway_refund_id,
                   r.failure::text AS failure, r.reason, r.created_by, r.request_id, r.created_at
            FROM refunds r JOIN payments p USING (clinic_id, payment_id)
            WHERE r.clinic_id = \(clinicId) AND r.refund_id = \(refundId) \(unescaped: lock ? "FOR UPDATE OF r" : "")
            """, logger: logger).collect().first.map { row in
            let r = row.makeRandomAccess()
            return RefundRecord(
                clinicId: clinicId, refundId: try r["refund_id"].decode(String.self), paymentId: try r["payment_id"].decode(String.self),
                amount: Money(amount: try r["amount"].decode(Int64.self), currency: try r["currency"].decode(String.self)),
                status: RefundStatus(rawValue: try r["status"].decode(String.self)) ?? .unknown,
                gateway: try r["gateway"].decode(String?.self), gatewayChargeId: try r["gateway_charge_id"].decode(String?.self),
                gatewayRefundId: try r["gateway_refund_id"].decode(String?.self),
                failure: try r["failure"].decode(String?.self).map { try JSONDecoder().decode(PaymentFailure.self, from: Data($0.utf8)) },
                reason: try r["reason"].decode(String?.self), createdBy: try r["created_by"].decode(String.self),
                requestId: try r["request_id"].decode(String?.self), createdAt: try r["created_at"].decode(Date.self))
        }
    }

    /// What is being refunded from a payment and not settled yet: it counts against what is left.
    func pendingAmount(clinicId: String, paymentId: String) async throws -> Int64 {
        try await connection.query("""
            SELECT coalesce(sum(amount), 0)::bigint FROM refunds
            WHERE clinic_id = \(clinicId) AND payment_id = \(paymentId) AND status IN ('pending', 'unknown')
            """, logger: logger).decode(Int64.self).all().first ?? 0
    }

    func claimForGateway(clinicId: String, refundId: String, grace: PaymentStore.Grace) async throws -> Bool {
        try await connection.query("""
            UPDATE refunds SET gateway_called_at = now()
            WHERE clinic_id = \(clinicId) AND refund_id = \(refundId) AND status IN ('pending', 'unknown') AND gateway IS NOT NULL
              AND (gateway_called_at IS NULL OR gateway_called_at < now() - make_interval(secs => CASE WHEN status = 'pending' AND gateway_refund_id IS NULL
                                                                   THEN \(grace.inFlight) ELSE \(grace.answered) END))
            RETURNING 1
            """, logger: logger).collect().count == 1
    }

    func unsettled(gateway: String, grace: PaymentStore.Grace, limit: Int) async throws -> [(String, String)] {
        try await connection.query("""
            SELECT clinic_id, refund_id FROM refunds
            WHERE status IN ('pending', 'unknown') AND gateway = \(gateway)
              AND (gateway_called_at IS NULL OR gateway_called_at < now() - make_interval(secs => CASE WHEN status = 'pending' AND gateway_refund_id IS NULL
                                                                   THEN \(grace.inFlight) ELSE \(grace.answered) END))
            ORDER BY created_at LIMIT \(limit)
            """, logger: logger).decode((String, String).self).all().map { ($0.0, $0.1) }
    }

    func recordOutcome(clinicId: String, refundId: String, status: RefundStatus, gatewayRefundId: String?,
                       failure: PaymentFailure?) async throws {
        let failureJSON = try failure.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await connection.query("""
            UPDATE refunds SET status = \(status.rawValue), gateway_refund_id = coalesce(\(gatewayRefundId), gateway_refund_id),
                               failure = \(failureJSON)::jsonb
            WHERE clinic_id = \(clinicId) AND refund_id = \(refundId)
            """, logger: logger)
    }

    /// Adds a settled refund to its payment's refunded total (the table's check keeps it within the amount).
    func addRefunded(clinicId: String, paymentId: String, amount: Int64) async throws -> Int64 {
        try await connection.query("""
            UPDATE payments SET refunded = refunded + \(amount) WHERE clinic_id = \(clinicId) AND payment_id = \(paymentId)
            RETURNING refunded
            """, logger: logger).decode(Int64.self).all().first ?? 0
    }
}
