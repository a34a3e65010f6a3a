import Contracts
import Logging
import PostgresNIO

struct ChargeKey: Hashable {
    var clinicId: String
    var chargeId: String
}

struct BalanceKey: Hashable {
    var clinicId: String
    var patientId: String
    var currency: String
}

/// Set-based SQL for many charges at once: a statement per table, not per charge. Inside the caller's
/// transaction.
struct LedgerBatchStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Inserts the charges whose ids are new; returns those it inserted.
    func insertCharges(_ charges: [(event: ChargePosted, envelope: EventEnvelope)]) async throws -> Set<ChargeKey> {
        let c = charges.map(\.event)
        let rows = try await connection.query("""
            INSERT INTO charges (clinic_id, charge_id, patient_id, provider_id, service_date, procedure_code, code_system,
                                 tooth, fee_amount, currency, posted_event_id)
            SELECT c, id, p, pr, d, code, sys, NULLIF(t, ''), m, cu, e
            FROM unnest(\(charges.map(\.envelope.clinicId)), \(c.map(\.chargeId)), \(c.map(\.patientId)),
                                 \(c.map(\.providerId)), \(c.map(\.serviceDate.description))::date[],
                                 \(c.map(\.procedure.code)), \(c.map(\.procedure.codeSystem.rawValue)),
                                 \(c.map { $0.procedure.tooth ?? "" }), \(c.map(\.fee.amount)), \(c.map(\.fee.currency)),
                                 \(charges.map(\.envelope.id))) AS x(c, id, p, pr, d, code, sys, t, m, cu, e)
            ON CONFLICT (clinic_id, charge_id) DO NOTHING
            RETURNING clinic_id, charge_id
            """, logger: logger)
        var inserted = Set<ChargeKey>()
        for try await (clinicId, chargeId) in rows.decode((String, String).self) {
            inserted.insert(ChargeKey(clinicId: clinicId, chargeId: chargeId))
        }
        // Surfaces, diagnoses and appointments are rarer (and arrays do not nest in unnest): set them
        // for the charges that have them.
        for (charge, envelope) in charges
        where charge.procedure.surfaces != nil || charge.diagnosisCodes != nil || charge.appointmentId != nil {
            try await connection.query("""
                UPDATE charges SET surfaces = \(charge.procedure.surfaces), diagnosis_codes = \(charge.diagnosisCodes),
                                   appointment_id = \(charge.appointmentId)
                WHERE clinic_id = \(envelope.clinicId) AND charge_id = \(charge.chargeId)
                """, logger: logger)
        }
        return inserted
    }

    /// Two postings per charge: the patient owes the fee, the practice produced it.
    func appendChargeTransfers(_ charges: [(event: ChargePosted, envelope: EventEnvelope)]) async throws {
        var clinics: [String] = [], transfers: [String] = [], accounts: [String] = [], patients: [String] = []
        var chargeIds: [String] = [], amounts: [Int64] = [], currencies: [String] = [], events: [String] = []
        for (charge, envelope) in charges {
            let transfer = Transfer.charge(chargeId: charge.chargeId, patientId: charge.patientId, fee: charge.fee)
            precondition(transfer.isBalanced, "unbalanced transfer \(transfer.id)")
            for posting in transfer.postings {
                clinics.append(envelope.clinicId)
                transfers.append(transfer.id)
                accounts.append(posting.account.name)
                patients.append(posting.account == .receivable(patientId: charge.patientId) ? charge.patientId : "")
                chargeIds.append(charge.chargeId)
                amounts.append(posting.amount)
                currencies.append(transfer.currency)
                events.append(envelope.id)
            }
        }
        try await connection.query("""
            INSERT INTO ledger_entries (clinic_id, transfer_id, kind, account, patient_id, charge_id, amount, currency, event_id)
            SELECT c, t, 'charge', a, NULLIF(p, ''), ch, m, cu, e
            FROM unnest(\(clinics), \(transfers), \(accounts), \(patients), \(chargeIds), \(amounts), \(currencies), \(events))
                 AS x(c, t, a, p, ch, m, cu, e)
            """, logger: logger)
    }

    /// Adds each change to its balance, one row per patient and currency; returns the new balances.
    func changeBalances(_ changes: [BalanceKey: Int64]) async throws -> [BalanceKey: (balance: Int64, version: Int64)] {
        let keys = Array(changes.keys)
        let rows = try await connection.query("""
            INSERT INTO patient_balances (clinic_id, patient_id, currency, balance, version)
            SELECT c, p, cu, m, 1 FROM unnest(\(keys.map(\.clinicId)), \(keys.map(\.patientId)), \(keys.map(\.currency)),
                                             \(keys.map { changes[$0]! })) AS x(c, p, cu, m)
            ON CONFLICT (clinic_id, patient_id, currency) DO UPDATE
            SET balance = patient_balances.balance + EXCLUDED.balance, version = patient_balances.version + 1,
                updated_at = now()
            RETURNING clinic_id, patient_id, currency, balance, version
            """, logger: logger)
        var balances: [BalanceKey: (Int64, Int64)] = [:]
        for try await (clinicId, patientId, currency, balance, version) in rows.decode((String, String, String, Int64, Int64).self) {
            balances[BalanceKey(clinicId: clinicId, patientId: patientId, currency: currency)] = (balance, version)
        }
        return balances
    }
}
