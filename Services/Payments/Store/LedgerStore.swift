import Contracts
import Logging
import PostgresNIO

/// The SQL of charges, ledger entries and balances. Every function runs inside the caller's transaction.
struct LedgerStore {
    let connection: PostgresConnection
    let logger: Logger
    let clinicId: String

    /// Inserts the charge unless its id is already there; returns the recorded charge when it was.
    func insertCharge(_ charge: ChargePosted, eventId: String) async throws -> RecordedCharge? {
        let inserted = try await connection.query("""
            INSERT INTO charges (clinic_id, charge_id, patient_id, provider_id, service_date, procedure_code, code_system,
                                 tooth, surfaces, diagnosis_codes, appointment_id, fee_amount, currency, posted_event_id)
            VALUES (\(clinicId), \(charge.chargeId), \(charge.patientId), \(charge.providerId),
                    \(charge.serviceDate.description)::date, \(charge.procedure.code), \(charge.procedure.codeSystem.rawValue),
                    \(charge.procedure.tooth), \(charge.procedure.surfaces), \(charge.diagnosisCodes),
                    \(charge.appointmentId), \(charge.fee.amount), \(charge.fee.currency), \(eventId))
            ON CONFLICT (clinic_id, charge_id) DO NOTHING
            RETURNING 1
            """, logger: logger).collect()
        if !inserted.isEmpty { return nil }
        return try await recordedCharge(charge.chargeId, lock: false)
    }

    func recordedCharge(_ chargeId: String, lock: Bool) async throws -> RecordedCharge? {
        let sql: PostgresQuery = lock
            ? "SELECT patient_id, fee_amount, currency, reversed_at IS NOT NULL FROM charges WHERE clinic_id = \(clinicId) AND charge_id = \(chargeId) FOR UPDATE"
            : "SELECT patient_id, fee_amount, currency, reversed_at IS NOT NULL FROM charges WHERE clinic_id = \(clinicId) AND charge_id = \(chargeId)"
        for try await (patientId, amount, currency, reversed) in try await connection.query(sql, logger: logger)
            .decode((String, Int64, String, Bool).self)
        {
            return RecordedCharge(chargeId: chargeId, patientId: patientId, fee: Money(amount: amount, currency: currency),
                                  isReversed: reversed)
        }
        return nil
    }

    func markReversed(_ chargeId: String, eventId: String, reason: String?) async throws {
        try await connection.query("""
            UPDATE charges SET reversed_at = now(), void_event_id = \(eventId), void_reason = \(reason)
            WHERE clinic_id = \(clinicId) AND charge_id = \(chargeId)
            """, logger: logger)
    }

    /// Writes the transfer's postings. The unique (transfer, account) key makes a second write fail
    /// loudly instead of doubling money.
    func append(_ transfer: Transfer, patientId: String, chargeId: String, eventId: String) async throws {
        precondition(transfer.isBalanced, "unbalanced transfer \(transfer.id)")
        let accounts = transfer.postings.map(\.account.name)
        let amounts = transfer.postings.map(\.amount)
        let patients = transfer.postings.map { $0.account == .receivable(patientId: patientId) ? patientId : "" }
        try await connection.query("""
            INSERT INTO ledger_entries (clinic_id, transfer_id, kind, account, patient_id, charge_id, amount, currency, event_id)
            SELECT \(clinicId), \(transfer.id), \(transfer.kind.rawValue), a, NULLIF(p, ''), \(chargeId), m, \(transfer.currency), \(eventId)
            FROM unnest(\(accounts), \(patients), \(amounts)) AS t(a, p, m)
            """, logger: logger)
    }

    /// Adds `change` to the patient's balance in that currency; returns the new balance and its version.
    func changeBalance(patientId: String, by change: Money) async throws -> (balance: Int64, version: Int64) {
        let rows = try await connection.query("""
            INSERT INTO patient_balances (clinic_id, patient_id, currency, balance, version)
            VALUES (\(clinicId), \(patientId), \(change.currency), \(change.amount), 1)
            ON CONFLICT (clinic_id, patient_id, currency) DO UPDATE
            SET balance = patient_balances.balance + EXCLUDED.balance, version = patient_balances.version + 1,
                updated_at = now()
            RETURNING balance, version
            """, logger: logger)
        for try await row in rows.decode((Int64, Int64).self) { return row }
        throw PaymentsStoreError("balance of \(patientId) was not written")
    }
}

struct PaymentsStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
