import Contracts
import Foundation
import Logging
import PostgresNIO

/// A payment as stored.
struct PaymentRecord: Sendable {
    var clinicId: String
    var paymentId: String
    var patientId: String
    var method: PaymentMethodKind
    var origin: PaymentOrigin
    var amount: Money
    var status: PaymentStatus
    var gateway: String?
    var source: StoredSource?
    var paymentMethodId: String?
    var gatewayChargeId: String?
    var cardBrand: String?
    var cardLast4: String?
    var failure: PaymentFailure?
    var softDecline: Bool?
    var reference: String?
    var note: String?
    var planId: String?
    var installmentId: String?
    var collectionKey: String?
    var attempt: Int
    var refunded: Int64
    var createdBy: String
    var requestId: String?
    var createdAt: Date

    var plan: PlanReference? { planId.map { PlanReference(planId: $0, installmentId: installmentId) } }
}

/// What the gateway is asked to charge, kept so that the janitor can ask again with the same key.
struct StoredSource: Codable, Sendable, Equatable {
    var cardToken: String?
    var bankToken: String?
    var gatewayMethodId: String?
    var customerId: String?
    var offSession: Bool?
    /// Financing: the lender and its approval reference (recorded, not charged).
    var lender: String?
    var approvalReference: String?

    var gatewaySource: GatewayChargeRequest.Source? {
        if let cardToken { return .cardToken(cardToken) }
        if let bankToken { return .bankToken(bankToken) }
        if let gatewayMethodId { return .savedMethod(gatewayMethodId: gatewayMethodId, customerId: customerId, offSession: offSession ?? false) }
        return nil
    }
}

/// The SQL of payments, allocations and refunds. Each function runs on the connection it is given
/// (inside the caller's transaction, or alone when the row must commit before a gateway call).
struct PaymentStore {
    let connection: PostgresConnection
    let logger: Logger

    static let columns = """
        clinic_id, payment_id, patient_id, method, origin, amount, currency, status, gateway, source::text AS source,
        payment_method_id, gateway_charge_id, card_brand, card_last4, failure::text AS failure, soft_decline, reference,
        note, plan_id, installment_id, collection_key, attempt, refunded, created_by, request_id, created_at
        """

    /// Inserts the payment unless its collection (key and attempt), its installment or its id already has
    /// one; returns whether it was inserted. `calledGateway`: the caller calls the gateway right after.
    func insert(_ p: PaymentRecord, calledGateway: Bool) async throws -> Bool {
        let source = try p.source.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let rows = try await connection.query("""
            INSERT INTO payments (clinic_id, payment_id, patient_id, method, origin, amount, currency, status, gateway, source,
                                  payment_method_id, reference, note, plan_id, installment_id, collection_key, attempt,
                                  created_by, request_id, created_at, gateway_called_at)
            VALUES (\(p.clinicId), \(p.paymentId), \(p.patientId), \(p.method.rawValue), \(p.origin.rawValue), \(p.amount.amount),
                    \(p.amount.currency), \(p.status.rawValue), \(p.gateway), \(source)::jsonb, \(p.paymentMethodId), \(p.reference),
                    \(p.note), \(p.planId), \(p.installmentId), \(p.collectionKey), \(p.attempt), \(p.createdBy), \(p.requestId),
                    \(p.createdAt), CASE WHEN \(calledGateway) THEN now() END)
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    func load(clinicId: String, paymentId: String, lock: Bool = false) async throws -> PaymentRecord? {
        let rows = try await connection.query("""
            SELECT \(unescaped: Self.columns) FROM payments WHERE clinic_id = \(clinicId) AND payment_id = \(paymentId)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        return try await rows.collect().first.map(PaymentRecord.init(row:))
    }

    /// A patient's payments, newest first, a page at a time (`before`: the last id of the previous page).
    func list(clinicId: String, patientId: String, before: String?, limit: Int) async throws -> [PaymentRecord] {
        let rows = try await connection.query("""
            SELECT \(unescaped: Self.columns) FROM payments
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)
              AND (\(before)::text IS NULL OR (created_at, payment_id) < (
                   SELECT created_at, payment_id FROM payments WHERE clinic_id = \(clinicId) AND payment_id = \(before)))
            ORDER BY created_at DESC, payment_id DESC LIMIT \(limit + 1)
            """, logger: logger)
        return try await rows.collect().map(PaymentRecord.init(row:))
    }

    /// How long after a gateway call the janitor leaves a payment alone (wall time, so a moved service
    /// clock cannot break it): `inFlight` seconds while the call may still be running (no answer yet),
    /// `answered` seconds between polls once the gateway answered `unknown` or `processing`.
    struct Grace: Sendable {
        var inFlight: Int
        var answered: Int
    }

    /// Claims a payment for a gateway call when the janitor's grace has passed since the last call. nil:
    /// not claimed; otherwise whether the gateway may have been called before.
    func claimForGateway(clinicId: String, paymentId: String, grace: Grace) async throws -> Bool? {
        try await connection.query("""
            UPDATE payments p SET gateway_called_at = now()
            FROM (SELECT clinic_id, payment_id, gateway_called_at AS before FROM payments
                  WHERE clinic_id = \(clinicId) AND payment_id = \(paymentId) FOR UPDATE) o
            WHERE p.clinic_id = o.clinic_id AND p.payment_id = o.payment_id AND p.status IN ('processing', 'unknown')
              AND (o.before IS NULL OR o.before < now() - make_interval(secs => CASE WHEN status = 'processing' AND gateway_charge_id IS NULL
                                                               THEN \(grace.inFlight) ELSE \(grace.answered) END))
            RETURNING o.before IS NOT NULL
            """, logger: logger).decode(Bool.self).all().first
    }

    /// Payments whose gateway outcome is not final and that nobody is calling about: (clinic, payment id).
    /// Only `gateway`'s: a replica configured with another gateway must not ask the wrong one.
    func unsettled(gateway: String, grace: Grace, limit: Int) async throws -> [(String, String)] {
        try await connection.query("""
            SELECT clinic_id, payment_id FROM payments
            WHERE status IN ('processing', 'unknown') AND gateway = \(gateway)
              AND (gateway_called_at IS NULL OR gateway_called_at < now() - make_interval(secs => CASE WHEN status = 'processing' AND gateway_charge_id IS NULL
                                                               THEN \(grace.inFlight) ELSE \(grace.answered) END))
            ORDER BY created_at LIMIT \(limit)
            """, logger: logger).decode((String, String).self).all().map { ($0.0, $0.1) }
    }

    func recordOutcome(_ p: PaymentRecord, status: PaymentStatus, charge: GatewayCharge?, decline: GatewayDecline?,
                       at now: Date) async throws {
        let failure = try decline.map { String(decoding: try JSONEncoder().encode($0.failure), as: UTF8.self) }
        try await connection.query("""
            UPDATE payments SET status = \(status.rawValue),
                gateway_charge_id = coalesce(NULLIF(\(charge?.id), ''), gateway_charge_id),
                card_brand = coalesce(\(charge?.cardBrand), card_brand), card_last4 = coalesce(\(charge?.cardLast4), card_last4),
                failure = \(failure)::jsonb, soft_decline = \(decline?.soft),
                settled_at = CASE WHEN \(status.isFinal) THEN \(now) END
            WHERE clinic_id = \(p.clinicId) AND payment_id = \(p.paymentId)
            """, logger: logger)
    }

    /// Declines of card payments for a patient, or on one saved method (patient nil: the method's only), in the
    /// `seconds` before `now`.
    func recentDeclines(clinicId: String, patientId: String?, paymentMethodId: String?, seconds: Int, now: Date)
        async throws -> Int
    {
        let rows = try await connection.query("""
            SELECT count(*)::bigint FROM payments
            WHERE clinic_id = \(clinicId) AND status = 'failed' AND method IN ('card', 'card_on_file')
              AND settled_at > \(now) - make_interval(secs => \(seconds))
              AND (patient_id = \(patientId) OR (\(paymentMethodId)::text IS NOT NULL AND payment_method_id = \(paymentMethodId)))
            """, logger: logger).decode(Int64.self).all()
        return Int(rows.first ?? 0)
    }

    // MARK: allocation

    /// The patient's charges with money still open on them, oldest service first, locked.
    func openCharges(clinicId: String, patientId: String, currency: String) async throws -> [OpenCharge] {
        try await connection.query("""
            SELECT charge_id, fee_amount - paid FROM charges
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId) AND currency = \(currency)
              AND reversed_at IS NULL AND fee_amount > paid
            ORDER BY service_date, recorded_at, charge_id FOR UPDATE
            """, logger: logger).decode((String, Int64).self).all().map { OpenCharge(chargeId: $0.0, open: $0.1) }
    }

    /// Records what a payment (or remittance) paid on each charge.
    func allocate(clinicId: String, paymentId: String, _ allocations: [PaymentAllocation]) async throws {
        guard !allocations.isEmpty else { return }
        try await connection.query("""
            WITH a AS (SELECT * FROM unnest(\(allocations.map(\.chargeId)), \(allocations.map(\.amount.amount))) AS x(charge_id, amount)),
                 paid AS (UPDATE charges c SET paid = c.paid + a.amount FROM a
                          WHERE c.clinic_id = \(clinicId) AND c.charge_id = a.charge_id RETURNING 1)
            INSERT INTO payment_allocations (clinic_id, payment_id, charge_id, amount)
            SELECT \(clinicId), \(paymentId), charge_id, amount FROM a
            """, logger: logger)
    }

    func allocations(clinicId: String, paymentId: String, currency: String) async throws -> [PaymentAllocation] {
        try await connection.query("""
            SELECT a.charge_id, a.amount FROM payment_allocations a JOIN charges c USING (clinic_id, charge_id)
            WHERE a.clinic_id = \(clinicId) AND a.payment_id = \(paymentId) ORDER BY c.service_date, c.recorded_at, a.charge_id
            """, logger: logger).decode((String, Int64).self).all().map {
            PaymentAllocation(chargeId: $0.0, amount: Money(amount: $0.1, currency: currency))
        }
    }

    /// A refund gives back the newest allocations of the payment first, so the oldest charges stay paid.
    func deallocate(clinicId: String, paymentId: String, amount: Int64) async throws {
        var left = amount
        let current = try await connection.query("""
            SELECT a.charge_id, a.amount FROM payment_allocations a JOIN charges c USING (clinic_id, charge_id)
            WHERE a.clinic_id = \(clinicId) AND a.payment_id = \(paymentId)
            ORDER BY c.service_date DESC, c.recorded_at DESC, a.charge_id DESC FOR UPDATE OF a
            """, logger: logger).decode((String, Int64).self).all()
        for (chargeId, allocated) in current where left > 0 {
            let part = min(left, allocated)
            left -= part
            // An allocation given back in full goes; a part of one shrinks it.
            try await connection.query("""
                WITH gone AS (DELETE FROM payment_allocations
                              WHERE clinic_id = \(clinicId) AND payment_id = \(paymentId) AND charge_id = \(chargeId)
                                AND amount = \(part) RETURNING 1),
                     less AS (UPDATE payment_allocations SET amount = amount - \(part)
                              WHERE clinic_id = \(clinicId) AND payment_id = \(paymentId) AND charge_id = \(chargeId)
                                AND amount > \(part) RETURNING 1)
                UPDATE charges SET paid = paid - \(part) WHERE clinic_id = \(clinicId) AND charge_id = \(chargeId)
                """, logger: logger)
        }
    }
}

extension PaymentRecord {
    init(row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        func text(_ name: String) throws -> String? { try r[name].decode(String?.self) }
        let decoder = JSONDecoder()
        clinicId = try r["clinic_id"].decode(String.self)
        paymentId = try r["payment_id"].decode(String.self)
        patientId = try r["patient_id"].decode(String.self)
        method = PaymentMethodKind(rawValue: try r["method"].decode(String.self)) ?? .cash
        origin = PaymentOrigin(rawValue: try r["origin"].decode(String.self)) ?? .desk
        amount = Money(amount: try r["amount"].decode(Int64.self), currency: try r["currency"].decode(String.self))
        status = PaymentStatus(rawValue: try r["status"].decode(String.self)) ?? .unknown
        gateway = try text("gateway")
        source = try text("source").map { try decoder.decode(StoredSource.self, from: Data($0.utf8)) }
        paymentMethodId = try text("payment_method_id")
        gatewayChargeId = try text("gateway_charge_id")
        cardBrand = try text("card_brand")
        cardLast4 = try text("card_last4")
        failure = try text("failure").map { try decoder.decode(PaymentFailure.self, from: Data($0.utf8)) }
        softDecline = try r["soft_decline"].decode(Bool?.self)
        reference = try text("reference")
        note = try text("note")
        planId = try text("plan_id")
        installmentId = try text("installment_id")
        collectionKey = try text("collection_key")
        attempt = Int(try r["attempt"].decode(Int32.self))
        refunded = try r["refunded"].decode(Int64.self)
        createdBy = try r["created_by"].decode(String.self)
        requestId = try text("request_id")
        createdAt = try r["created_at"].decode(Date.self)
    }
}

extension AsyncSequence {
    /// Every element, in order (decoded rows as an array).
    func all() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
