import Contracts
import Foundation
import Logging
import PostgresNIO

/// Insurance's own copies of what the clinic's systems and payments told it: patients, providers, the
/// practice, coverages (with what the payer's 271 said), appointments, recorded charges, fee schedules.
/// Inside the caller's transaction.
struct FactsStore {
    let connection: PostgresConnection
    let logger: Logger
    let sealed: SealedJSON

    // MARK: Patients, providers, the practice

    func savePatient(clinicId: String, _ patient: PatientFacts) async throws {
        let body = try sealed.seal(patient)
        try await connection.query("""
            INSERT INTO patients (clinic_id, patient_id, body) VALUES (\(clinicId), \(patient.patientId), \(body))
            ON CONFLICT (clinic_id, patient_id) DO UPDATE SET body = EXCLUDED.body
            """, logger: logger)
    }

    func patient(clinicId: String, patientId: String) async throws -> PatientFacts {
        let rows = try await connection.query(
            "SELECT body FROM patients WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)", logger: logger)
        for try await body in rows.decode(String.self) { return try sealed.open(PatientFacts.self, body) }
        return PatientFacts(patientId: patientId)
    }

    func saveProvider(clinicId: String, _ provider: ProviderUpdated) async throws {
        try await connection.query("""
            INSERT INTO providers (clinic_id, provider_id, body) VALUES (\(clinicId), \(provider.providerId), \(try SealedJSON.plain(provider))::jsonb)
            ON CONFLICT (clinic_id, provider_id) DO UPDATE SET body = EXCLUDED.body
            """, logger: logger)
    }

    func providers(clinicId: String, ids: Set<String>) async throws -> [String: ProviderUpdated] {
        var found: [String: ProviderUpdated] = [:]
        let rows = try await connection.query(
            "SELECT body::text FROM providers WHERE clinic_id = \(clinicId) AND provider_id = ANY(\(Array(ids)))", logger: logger)
        for try await body in rows.decode(String.self) {
            let provider = try SealedJSON.decode(ProviderUpdated.self, body)
            found[provider.providerId] = provider
        }
        return found
    }

    func savePractice(clinicId: String, _ practice: PracticeUpdated) async throws {
        try await connection.query("""
            INSERT INTO practices (clinic_id, body) VALUES (\(clinicId), \(try SealedJSON.plain(practice))::jsonb)
            ON CONFLICT (clinic_id) DO UPDATE SET body = EXCLUDED.body
            """, logger: logger)
    }

    func practice(clinicId: String) async throws -> PracticeUpdated? {
        let rows = try await connection.query("SELECT body::text FROM practices WHERE clinic_id = \(clinicId)", logger: logger)
        for try await body in rows.decode(String.self) { return try SealedJSON.decode(PracticeUpdated.self, body) }
        return nil
    }

    /// What a claim names beyond its lines, as insurance knows it now.
    func parties(clinicId: String, coverage: CoverageUpdated, providerIds: Set<String>) async throws -> ClaimParties {
        ClaimParties(practice: try await practice(clinicId: clinicId),
                     providers: try await providers(clinicId: clinicId, ids: providerIds),
                     patient: try await patient(clinicId: clinicId, patientId: coverage.patientId), coverage: coverage)
    }

    // MARK: Coverages

    func saveCoverage(clinicId: String, _ coverage: CoverageUpdated, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO coverages (clinic_id, coverage_id, patient_id, priority, payer_id, body, updated_at)
            VALUES (\(clinicId), \(coverage.coverageId), \(coverage.patientId), \(coverage.priority.rawValue),
                    \(coverage.payer.payerId), \(try sealed.seal(coverage)), \(now))
            ON CONFLICT (clinic_id, coverage_id) DO UPDATE SET patient_id = EXCLUDED.patient_id, priority = EXCLUDED.priority,
                payer_id = EXCLUDED.payer_id, body = EXCLUDED.body, updated_at = EXCLUDED.updated_at
            """, logger: logger)
    }

    /// The patient's coverages, primary first.
    func coverages(clinicId: String, patientId: String) async throws -> [CoverageRecord] {
        var found: [CoverageRecord] = []
        let rows = try await connection.query("""
            SELECT body, payer_benefits::text, payer_active, checked_at FROM coverages
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)
            ORDER BY CASE priority WHEN 'primary' THEN 0 WHEN 'secondary' THEN 1 ELSE 2 END, coverage_id
            """, logger: logger)
        for try await (body, payer, active, checked) in rows.decode((String, String?, Bool?, Date?).self) {
            found.append(CoverageRecord(
                coverage: try sealed.open(CoverageUpdated.self, body),
                payerBenefits: try payer.map { try SealedJSON.decode(PlanBenefits.self, $0) }, payerActive: active, checkedAt: checked))
        }
        return found
    }

    func recordEligibility(clinicId: String, coverageId: String, active: Bool?, benefits: PlanBenefits?, at now: Date) async throws {
        let text = try benefits.map { try SealedJSON.plain($0) }
        try await connection.query("""
            UPDATE coverages SET payer_active = \(active), payer_benefits = COALESCE(\(text)::jsonb, payer_benefits), checked_at = \(now)
            WHERE clinic_id = \(clinicId) AND coverage_id = \(coverageId)
            """, logger: logger)
    }

    // MARK: Appointments and charges

    func saveAppointment(clinicId: String, _ appointment: AppointmentScheduled) async throws {
        try await connection.query("""
            INSERT INTO appointments (clinic_id, appointment_id, patient_id, provider_id, starts_at, planned)
            VALUES (\(clinicId), \(appointment.appointmentId), \(appointment.patientId), \(appointment.providerId),
                    \(appointment.startsAt.date), \(try SealedJSON.plain(appointment.plannedProcedures ?? []))::jsonb)
            ON CONFLICT (clinic_id, appointment_id) DO UPDATE SET starts_at = EXCLUDED.starts_at, planned = EXCLUDED.planned,
                provider_id = EXCLUDED.provider_id
            """, logger: logger)
    }

    func completeAppointment(clinicId: String, _ completed: AppointmentCompleted) async throws {
        try await connection.query("""
            INSERT INTO appointments (clinic_id, appointment_id, patient_id, provider_id, starts_at, planned, completed_at)
            VALUES (\(clinicId), \(completed.appointmentId), \(completed.patientId), \(completed.providerId),
                    \(completed.completedAt.date), '[]'::jsonb, \(completed.completedAt.date))
            ON CONFLICT (clinic_id, appointment_id) DO UPDATE SET completed_at = EXCLUDED.completed_at
            """, logger: logger)
    }

    func recordCharge(clinicId: String, _ charge: ChargeRecorded) async throws {
        try await connection.query("""
            INSERT INTO charges (clinic_id, charge_id, patient_id, appointment_id, service_date, body, recorded_at)
            VALUES (\(clinicId), \(charge.chargeId), \(charge.patientId), \(charge.appointmentId), \(charge.serviceDate.description)::date,
                    \(try SealedJSON.plain(charge))::jsonb, \(charge.recordedAt.date))
            ON CONFLICT (clinic_id, charge_id) DO NOTHING
            """, logger: logger)
    }

    func reverseCharge(clinicId: String, chargeId: String) async throws {
        try await connection.query(
            "UPDATE charges SET reversed = true WHERE clinic_id = \(clinicId) AND charge_id = \(chargeId)", logger: logger)
    }

    /// The procedures the patient had claimed (for frequency limits): code and service date.
    func procedureHistory(clinicId: String, patientId: String) async throws -> [(code: String, date: CalendarDate)] {
        var history: [(code: String, date: CalendarDate)] = []
        let rows = try await connection.query("""
            SELECT body->'procedure'->>'code', service_date::text FROM charges
            WHERE clinic_id = \(clinicId) AND patient_id = \(patientId) AND NOT reversed
              AND claim_id IS NOT NULL AND claim_id <> 'self_pay'
            """, logger: logger)
        for try await (code, date) in rows.decode((String, String).self) {
            if let day = CalendarDate(date) { history.append((code, day)) }
        }
        return history
    }

    // MARK: Fee schedules

    /// `payerId` "" is the practice's own schedule.
    func saveFeeSchedule(clinicId: String, payerId: String, _ entries: [PracticeFeeEntry]) async throws {
        try await connection.query("DELETE FROM fee_schedules WHERE clinic_id = \(clinicId) AND payer_id = \(payerId)", logger: logger)
        for entry in entries {
            try await connection.query("""
                INSERT INTO fee_schedules (clinic_id, payer_id, code, description, amount, currency)
                VALUES (\(clinicId), \(payerId), \(entry.code), \(entry.description), \(entry.fee.amount), \(entry.fee.currency))
                """, logger: logger)
        }
    }

    func feeSchedule(clinicId: String, payerId: String) async throws -> [PracticeFeeEntry] {
        var entries: [PracticeFeeEntry] = []
        let rows = try await connection.query("""
            SELECT code, description, amount, currency FROM fee_schedules
            WHERE clinic_id = \(clinicId) AND payer_id = \(payerId) ORDER BY code
            """, logger: logger)
        for try await (code, description, amount, currency) in rows.decode((String, String, Int64, String).self) {
            entries.append(PracticeFeeEntry(code: code, description: description, fee: Money(amount: amount, currency: currency)))
        }
        return entries
    }
}

/// A coverage as the clinic sent it, and what the payer's latest eligibility response said.
struct CoverageRecord: Sendable {
    var coverage: CoverageUpdated
    var payerBenefits: PlanBenefits?
    var payerActive: Bool?
    var checkedAt: Date?

    /// The clinic's benefits with the payer's figures over them where the payer gave one.
    var benefits: PlanBenefits {
        var merged = coverage.benefits ?? PlanBenefits()
        guard let payer = payerBenefits else { return merged }
        merged.annualMaximum = payer.annualMaximum ?? merged.annualMaximum
        merged.annualMaximumUsed = payer.annualMaximumUsed ?? merged.annualMaximumUsed
        merged.deductible = payer.deductible ?? merged.deductible
        merged.deductibleMet = payer.deductibleMet ?? merged.deductibleMet
        merged.familyDeductible = payer.familyDeductible ?? merged.familyDeductible
        merged.familyDeductibleMet = payer.familyDeductibleMet ?? merged.familyDeductibleMet
        merged.copay = payer.copay ?? merged.copay
        merged.coinsurancePercent = payer.coinsurancePercent ?? merged.coinsurancePercent
        if let percents = payer.coveragePercentByCategory {
            merged.coveragePercentByCategory = (merged.coveragePercentByCategory ?? [:]).merging(percents) { $1 }
        }
        return merged
    }

    /// The coverage with the merged benefits, as the estimator and the scrubber read it.
    var effective: CoverageUpdated {
        var coverage = coverage
        coverage.benefits = benefits
        return coverage
    }

    func isActive(on day: CalendarDate) -> Bool {
        if payerActive == false { return false }
        if day < coverage.effectiveDate { return false }
        if let end = coverage.terminationDate, day > end { return false }
        return true
    }
}

extension FactsStore {
    struct Appointment: Sendable {
        var appointmentId: String
        var patientId: String
        var providerId: String
        var planned: [PlannedProcedure]
        var completedAt: Date?
    }

    func appointment(clinicId: String, appointmentId: String) async throws -> Appointment? {
        let rows = try await connection.query("""
            SELECT patient_id, provider_id, planned::text, completed_at FROM appointments
            WHERE clinic_id = \(clinicId) AND appointment_id = \(appointmentId)
            """, logger: logger)
        for try await (patient, provider, planned, completed) in rows.decode((String, String, String, Date?).self) {
            return Appointment(appointmentId: appointmentId, patientId: patient, providerId: provider,
                               planned: try SealedJSON.decode([PlannedProcedure].self, planned), completedAt: completed)
        }
        return nil
    }
}
