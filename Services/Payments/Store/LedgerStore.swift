import Contracts
import Foundation
import Logging
import PostgresNIO

/// A charge within the suite: charge ids are the clinic's, unique per clinic.
struct ChargeKey: Hashable, Comparable {
    var clinicId: String
    var chargeId: String

    static func < (a: ChargeKey, b: ChargeKey) -> Bool { (a.clinicId, a.chargeId) < (b.clinicId, b.chargeId) }
}

/// A patient's balance in one currency.
struct BalanceKey: Hashable, Comparable {
    var clinicId: String
    var patientId: String
    var currency: String

    static func < (a: BalanceKey, b: BalanceKey) -> Bool {
        (a.clinicId, a.patientId, a.currency) < (b.clinicId, b.patientId, b.currency)
    }
}

/// A transfer to write, with the clinic, patient, charge and event the ledger keeps beside it.
struct LedgerWrite {
    var clinicId: String
    var transfer: Transfer
    var patientId: String
    /// Empty when the transfer is not about a charge (an adjustment).
    var chargeId: String
    /// The event or request that caused it.
    var eventId: String
}

/// A charge's work within its clinic.
struct ClinicWorkKey: Hashable {
    var clinicId: String
    var work: String
}

/// The SQL of charges, ledger entries and balances: set-based, a statement per table whatever the
/// number of events (one event is a list of one). Every function runs inside the caller's transaction.
struct LedgerStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Inserts the charges whose ids are new (the list must not name a charge twice); returns those it
    /// inserted. A charge another transaction is inserting waits for that one to finish.
    func insertCharges(_ charges: [(event: ChargePosted, envelope: EventEnvelope)]) async throws -> Set<ChargeKey> {
        guard !charges.isEmpty else { return [] }
        // Always in one order, so that two transactions inserting the same charges cannot deadlock.
        let sorted = charges.sorted {
            ChargeKey(clinicId: $0.envelope.clinicId, chargeId: $0.event.chargeId)
                < ChargeKey(clinicId: $1.envelope.clinicId, chargeId: $1.event.chargeId)
        }
        let c = sorted.map(\.event)
        // The optional fields travel as one JSON object per charge: unnest takes no arrays of arrays, and
        // JSON keeps "absent" apart from "empty".
        let encoder = JSONEncoder()
        let optionals = try c.map {
            String(decoding: try encoder.encode(ChargeOptionals(
                tooth: $0.procedure.tooth, surfaces: $0.procedure.surfaces, diagnosisCodes: $0.diagnosisCodes,
                appointmentId: $0.appointmentId, treatmentPlanId: $0.treatmentPlanId)), as: UTF8.self)
        }
        let rows = try await connection.query("""
            INSERT INTO charges (clinic_id, charge_id, patient_id, provider_id, service_date, procedure_code, code_system,
                                 tooth, surfaces, diagnosis_codes, appointment_id, treatment_plan_id, fee_amount, currency,
                                 posted_event_id, work_key)
            SELECT c, id, p, pr, d, code, sys, o->>'tooth',
                   CASE WHEN jsonb_typeof(o->'surfaces') = 'array' THEN ARRAY(
                       SELECT v FROM jsonb_array_elements_text(o->'surfaces') WITH ORDINALITY AS s(v, i) ORDER BY i) END,
                   CASE WHEN jsonb_typeof(o->'diagnosisCodes') = 'array' THEN ARRAY(
                       SELECT v FROM jsonb_array_elements_text(o->'diagnosisCodes') WITH ORDINALITY AS s(v, i) ORDER BY i) END,
                   o->>'appointmentId', o->>'treatmentPlanId', m, cu, e, w
            FROM unnest(\(sorted.map(\.envelope.clinicId)), \(c.map(\.chargeId)), \(c.map(\.patientId)),
                        \(c.map(\.providerId)), \(c.map(\.serviceDate.description))::date[],
                        \(c.map(\.procedure.code)), \(c.map(\.procedure.codeSystem.rawValue)), \(optionals)::jsonb[],
                        \(c.map(\.fee.amount)), \(c.map(\.fee.currency)), \(sorted.map(\.envelope.id)),
                        \(c.map { DuplicateChargeKey($0).text }))
                 WITH ORDINALITY AS x(c, id, p, pr, d, code, sys, o, m, cu, e, w, n)
            ORDER BY n
            ON CONFLICT (clinic_id, charge_id) DO NOTHING
            RETURNING clinic_id, charge_id
            """, logger: logger)
        var inserted = Set<ChargeKey>()
        for try await (clinicId, chargeId) in rows.decode((String, String).self) {
            inserted.insert(ChargeKey(clinicId: clinicId, chargeId: chargeId))
        }
        return inserted
    }

    /// Of these works, those a recorded, not reversed charge is for, with its charge id.
    func chargesFor(_ works: [ClinicWorkKey]) async throws -> [ClinicWorkKey: String] {
        guard !works.isEmpty else { return [:] }
        var found: [ClinicWorkKey: String] = [:]
        let rows = try await connection.query("""
            SELECT clinic_id, work_key, charge_id FROM charges
            WHERE (clinic_id, work_key) IN (SELECT * FROM unnest(\(works.map(\.clinicId)), \(works.map(\.work))))
              AND reversed_at IS NULL
            """, logger: logger)
        for try await (clinicId, work, chargeId) in rows.decode((String, String, String).self) {
            found[ClinicWorkKey(clinicId: clinicId, work: work)] = chargeId
        }
        return found
    }

    /// The charges already recorded among `keys`; with `lock`, locked until the transaction ends.
    func recordedCharges(_ keys: [ChargeKey], lock: Bool) async throws -> [ChargeKey: RecordedCharge] {
        guard !keys.isEmpty else { return [:] }
        let sorted = keys.sorted()
        let rows = try await connection.query("""
            SELECT clinic_id, charge_id, patient_id, fee_amount, currency, reversed_at IS NOT NULL FROM charges
            WHERE (clinic_id, charge_id) IN (SELECT * FROM unnest(\(sorted.map(\.clinicId)), \(sorted.map(\.chargeId))))
            ORDER BY clinic_id, charge_id \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        var recorded: [ChargeKey: RecordedCharge] = [:]
        for try await (clinicId, chargeId, patientId, amount, currency, reversed)
            in rows.decode((String, String, String, Int64, String, Bool).self)
        {
            recorded[ChargeKey(clinicId: clinicId, chargeId: chargeId)] = RecordedCharge(
                chargeId: chargeId, patientId: patientId, fee: Money(amount: amount, currency: currency), isReversed: reversed)
        }
        return recorded
    }

    func markReversed(_ charge: ChargeKey, eventId: String, reason: String?) async throws {
        try await connection.query("""
            UPDATE charges SET reversed_at = now(), void_event_id = \(eventId), void_reason = \(reason)
            WHERE clinic_id = \(charge.clinicId) AND charge_id = \(charge.chargeId)
            """, logger: logger)
    }

    func transferExists(clinicId: String, transferId: String) async throws -> Bool {
        try await connection.query("""
            SELECT 1 FROM ledger_entries WHERE clinic_id = \(clinicId) AND transfer_id = \(transferId) LIMIT 1
            """, logger: logger).collect().count == 1
    }

    /// Writes the transfers' postings. The unique (transfer, account) key makes a second write fail
    /// loudly instead of doubling money.
    func append(_ writes: [LedgerWrite]) async throws {
        guard !writes.isEmpty else { return }
        var clinics: [String] = [], transfers: [String] = [], kinds: [String] = [], accounts: [String] = []
        var patients: [String] = [], chargeIds: [String] = [], amounts: [Int64] = [], currencies: [String] = []
        var events: [String] = []
        for write in writes {
            let transfer = write.transfer
            precondition(transfer.isBalanced, "unbalanced transfer \(transfer.id)")
            for posting in transfer.postings {
                clinics.append(write.clinicId)
                transfers.append(transfer.id)
                kinds.append(transfer.kind.rawValue)
                accounts.append(posting.account.name)
                patients.append(posting.account == .receivable(patientId: write.patientId) ? write.patientId : "")
                chargeIds.append(write.chargeId)
                amounts.append(posting.amount)
                currencies.append(transfer.currency)
                events.append(write.eventId)
            }
        }
        try await connection.query("""
            INSERT INTO ledger_entries (clinic_id, transfer_id, kind, account, patient_id, charge_id, amount, currency, event_id)
            SELECT c, t, k, a, NULLIF(p, ''), NULLIF(ch, ''), m, cu, e
            FROM unnest(\(clinics), \(transfers), \(kinds), \(accounts), \(patients), \(chargeIds), \(amounts),
                        \(currencies), \(events)) WITH ORDINALITY AS x(c, t, k, a, p, ch, m, cu, e, n)
            ORDER BY n
            """, logger: logger)
    }

    /// Writes one transfer and moves the patient's balance by what it does to their receivable; returns
    /// the new balance and its version.
    func post(_ write: LedgerWrite) async throws -> (balance: Money, version: Int64) {
        try await append([write])
        let currency = write.transfer.currency
        let key = BalanceKey(clinicId: write.clinicId, patientId: write.patientId, currency: currency)
        let change = write.transfer.change(to: .receivable(patientId: write.patientId))
        let after = try await changeBalances([key: change])[key]!  // changeBalances throws when one is missing
        return (Money(amount: after.balance, currency: currency), after.version)
    }

    /// Adds each change to its balance, one row per patient and currency; returns the new balances and
    /// their versions.
    func changeBalances(_ changes: [BalanceKey: Int64]) async throws -> [BalanceKey: (balance: Int64, version: Int64)] {
        guard !changes.isEmpty else { return [:] }
        // Always in one order, so that two transactions changing the same balances cannot deadlock.
        let keys = changes.keys.sorted()
        let rows = try await connection.query("""
            INSERT INTO patient_balances (clinic_id, patient_id, currency, balance, version)
            SELECT c, p, cu, m, 1
            FROM unnest(\(keys.map(\.clinicId)), \(keys.map(\.patientId)), \(keys.map(\.currency)),
                        \(keys.map { changes[$0]! })) WITH ORDINALITY AS x(c, p, cu, m, n)
            ORDER BY n
            ON CONFLICT (clinic_id, patient_id, currency) DO UPDATE
            SET balance = patient_balances.balance + EXCLUDED.balance, version = patient_balances.version + 1,
                updated_at = now()
            RETURNING clinic_id, patient_id, currency, balance, version
            """, logger: logger)
        var balances: [BalanceKey: (balance: Int64, version: Int64)] = [:]
        for try await (clinicId, patientId, currency, balance, version) in rows.decode((String, String, String, Int64, Int64).self) {
            balances[BalanceKey(clinicId: clinicId, patientId: patientId, currency: currency)] = (balance, version)
        }
        for key in keys where balances[key] == nil {
            throw PaymentsStoreError("balance of \(key.patientId) in \(key.currency) was not written")
        }
        return balances
    }
}

/// A posted charge's optional fields, as JSON for `insertCharges` (absent fields are left out).
private struct ChargeOptionals: Encodable {
    var tooth: String?
    var surfaces: [String]?
    var diagnosisCodes: [String]?
    var appointmentId: String?
    var treatmentPlanId: String?
}

struct PaymentsStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
