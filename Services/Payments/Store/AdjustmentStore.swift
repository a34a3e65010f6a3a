import Contracts
import Foundation
import Logging
import PostgresNIO

/// The SQL of adjustments. Inside the caller's transaction.
struct AdjustmentStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The patient's balance in `currency`, locked until the transaction ends; nil when there is no account.
    func lockedBalance(clinicId: String, patientId: String, currency: String) async throws -> Int64? {
        for try await balance in try await connection.query("""
            SELECT balance FROM patient_balances
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId) AND currency = \(currency) FOR UPDATE
            """, logger: logger).decode(Int64.self)
        {
            return balance
        }
        return nil
    }

    /// The patient's balance, in the account's currency; nil when the patient has no account yet.
    func balance(clinicId: String, patientId: String) async throws -> Money? {
        for try await (balance, currency) in try await connection.query("""
            SELECT balance, currency FROM patient_balances WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)
            ORDER BY updated_at DESC LIMIT 1
            """, logger: logger).decode((Int64, String).self)
        {
            return Money(amount: balance, currency: currency)
        }
        return nil
    }

    func insert(id: String, clinicId: String, request: AdjustmentRequest, createdBy: String, requestId: String,
                at now: Date) async throws {
        try await connection.query("""
            INSERT INTO adjustments (clinic_id, adjustment_id, patient_id, kind, amount, currency, balance_change, reason,
                                     note, created_by, request_id, created_at)
            VALUES (\(clinicId), \(id), \(request.patientId), \(request.kind.rawValue), \(request.amount.amount),
                    \(request.amount.currency), \(request.balanceChange), \(request.reason), \(request.note), \(createdBy),
                    \(requestId), \(now))
            """, logger: logger)
    }
}
