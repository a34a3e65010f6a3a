import Contracts
import Foundation
import Logging
import PostgresNIO

/// The SQL of claims: stored whole (sealed, it names the patient and subscriber) and projected into the
/// columns that lists and jobs filter on. Inside the caller's transaction.
struct ClaimStore {
    let connection: PostgresConnection
    let logger: Logger
    let sealed: SealedJSON

    func load(clinicId: String, claimId: String, lock: Bool = false) async throws -> Claim? {
        try await claims("""
            SELECT body FROM claims WHERE clinic_id = \(clinicId) AND claim_id = \(claimId) \(unescaped: lock ? "FOR UPDATE" : "")
            """).first
    }

    /// Any clinic's claim by its id (inbound files name claims, not clinics).
    func load(claimId: String, lock: Bool) async throws -> Claim? {
        try await claims("SELECT body FROM claims WHERE claim_id = \(claimId) \(unescaped: lock ? "FOR UPDATE" : "")").first
    }

    /// The claims a query selects (its one column: `body`); it says its own order and locks.
    func claims(_ query: PostgresQuery) async throws -> [Claim] {
        var found: [Claim] = []
        for try await body in try await connection.query(query, logger: logger).decode(String.self) {
            found.append(try sealed.open(Claim.self, body))
        }
        return found
    }

    func save(_ claim: Claim, appointmentId: String?, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO claims (clinic_id, claim_id, patient_id, payer_id, kind, status, appointment_id,
                                interchange_control_number, created_at, updated_at, body)
            VALUES (\(claim.clinicId), \(claim.claimId), \(claim.patientId), \(claim.payerId), \(claim.kind.rawValue),
                    \(claim.status.rawValue), \(appointmentId), \(claim.interchangeControlNumber), \(now), \(now),
                    \(try sealed.seal(claim)))
            ON CONFLICT (clinic_id, claim_id) DO UPDATE SET payer_id = EXCLUDED.payer_id, status = EXCLUDED.status,
                interchange_control_number = EXCLUDED.interchange_control_number, updated_at = EXCLUDED.updated_at,
                body = EXCLUDED.body
            """, logger: logger)
    }

    /// Ties charges to the claim that carries them.
    func assign(clinicId: String, chargeIds: [String], to claimId: String) async throws {
        try await connection.query(
            "UPDATE charges SET claim_id = \(claimId) WHERE clinic_id = \(clinicId) AND charge_id = ANY(\(chargeIds))", logger: logger)
    }

    /// What each payer did with each code before: the denial-risk model learns from it.
    func denialRisk(clinicId: String) async throws -> DenialRiskModel {
        var rows: [DenialHistoryRow] = []
        for try await (payer, code, denied) in try await connection.query(
            "SELECT payer_id, code, denied FROM claim_outcomes WHERE clinic_id = \(clinicId)", logger: logger
        ).decode((String, String, Bool).self) {
            rows.append(DenialHistoryRow(payerId: payer, procedureCode: code, denied: denied))
        }
        return DenialRiskModel(history: rows)
    }

    func recordOutcome(_ claim: Claim, denied: Bool) async throws {
        for line in claim.lines {
            try await connection.query("""
                INSERT INTO claim_outcomes (clinic_id, claim_id, payer_id, code, denied)
                VALUES (\(claim.clinicId), \(claim.claimId), \(claim.payerId), \(line.procedure.code), \(denied))
                ON CONFLICT (clinic_id, claim_id, code) DO UPDATE SET denied = EXCLUDED.denied
                """, logger: logger)
        }
    }
}
