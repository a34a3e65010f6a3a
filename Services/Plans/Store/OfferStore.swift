import Contracts
import Crypto
import Foundation
import Logging
import PostgresNIO
import Storage

/// A plan offered to a patient: its options and a single-use link. Only the link token's SHA-256 is
/// kept, so the table alone cannot open an offer. Inside the caller's transaction.
struct OfferStore {
    let connection: PostgresConnection
    let logger: Logger

    struct Offer: Sendable {
        var clinicId: String
        var offerId: String
        var patientId: String
        var amount: Money
        var options: [PlanOption]
        var expiresAt: Date
        var usedAt: Date?
        var planId: String?
    }

    static func tokenHash(_ token: String) -> String { Hex.encode(SHA256.hash(data: Array(token.utf8))) }

    /// An open offer or plan already stands for this patient: no second offer.
    func hasOpenOfferOrPlan(clinicId: String, patientId: String, now: Date) async throws -> Bool {
        let rows = try await connection.query("""
            SELECT EXISTS (SELECT 1 FROM plan_offers WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)
                             AND used_at IS NULL AND expires_at > \(now))
                OR EXISTS (SELECT 1 FROM payment_plans WHERE clinic_id = \(clinicId) AND account_id = \(patientId)
                             AND deleted_at IS NULL AND status IN ('PENDING', 'ACTIVE', 'PAUSED'))
            """, logger: logger).decode(Bool.self)
        for try await exists in rows { return exists }
        return false
    }

    func insert(_ offer: Offer, token: String, risk: String, reason: String, at now: Date) async throws {
        let options = String(decoding: try JSONEncoder().encode(offer.options), as: UTF8.self)
        try await connection.query("""
            INSERT INTO plan_offers (clinic_id, offer_id, token_hash, patient_id, amount, currency, options, risk, reason,
                                     expires_at, created_at)
            VALUES (\(offer.clinicId), \(offer.offerId), \(Self.tokenHash(token)), \(offer.patientId), \(offer.amount.amount),
                    \(offer.amount.currency), \(options)::jsonb, \(risk)::jsonb, \(reason), \(offer.expiresAt), \(now))
            """, logger: logger)
    }

    /// The offer a link opens, locked when `lock`.
    func find(token: String, lock: Bool) async throws -> Offer? {
        let hash = Self.tokenHash(token)
        let rows = try await connection.query("""
            SELECT clinic_id, offer_id, patient_id, amount, currency, options::text, expires_at, used_at, plan_id
            FROM plan_offers WHERE token_hash = \(hash) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger).decode((String, String, String, Int64, String, String, Date, Date?, String?).self)
        for try await (clinic, offer, patient, amount, currency, options, expires, used, plan) in rows {
            return Offer(clinicId: clinic, offerId: offer, patientId: patient, amount: Money(amount: amount, currency: currency),
                         options: try JSONDecoder().decode([PlanOption].self, from: Data(options.utf8)), expiresAt: expires,
                         usedAt: used, planId: plan)
        }
        return nil
    }

    func markUsed(clinicId: String, offerId: String, planId: String, at now: Date) async throws {
        try await connection.query("""
            UPDATE plan_offers SET used_at = \(now), plan_id = \(planId) WHERE clinic_id = \(clinicId) AND offer_id = \(offerId)
            """, logger: logger)
    }
}
