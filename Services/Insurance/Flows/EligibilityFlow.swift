import Contracts
import Foundation
import WebAPI
import X12

/// Eligibility before treatment: a 270 goes out through the clearinghouse; the 271 that comes back refines
/// the coverage's benefits, raises alerts staff must see, and (for an appointment) estimates its work.
enum EligibilityFlow {
    /// Writes the 270 for the patient's coverage (the primary unless one is named); nil when the patient has
    /// no coverage. A check that cannot go out (a fact missing) is recorded as failed with the reason.
    static func start(clinicId: String, patientId: String, coverageId: String?, appointmentId: String?,
                      _ context: InsuranceContext, _ effects: inout some InsuranceEffects) async throws -> CheckStore.EligibilityCheck? {
        let facts = context.facts(effects)
        let records = try await facts.coverages(clinicId: clinicId, patientId: patientId)
        guard let record = coverageId.map({ id in records.first { $0.coverage.coverageId == id } }) ?? records.first else { return nil }
        let checks = CheckStore(connection: effects.connection, logger: effects.logger)
        let checkId = NewId.make("elg")
        var check = CheckStore.EligibilityCheck(
            checkId: checkId, patientId: patientId, coverageId: record.coverage.coverageId, appointmentId: appointmentId,
            status: "waiting", requestFileId: nil, responseFileId: nil, result: nil, problem: nil, createdAt: effects.now)
        let patient = try await facts.patient(clinicId: clinicId, patientId: patientId)
        guard let practice = try await facts.practice(clinicId: clinicId) else {
            check.status = "failed"
            check.problem = "the practice's billing NPI is missing: send clinic.practice.updated.v1 before eligibility can be checked"
            try await checks.addCheck(clinicId: clinicId, check)
            return check
        }
        let files = context.files(effects)
        let isa = try await files.nextInterchangeNumber()
        let st = try await files.nextTransactionNumber()
        let text: String
        do {
            text = try OutboundX12.inquiry(
                coverage: record.coverage, patient: patient, practice: practice, traceNumber: checkId,
                serviceDate: context.settings.today(effects.now), interchange: isa, transaction: st, context.settings, at: effects.now)
        } catch {
            check.status = "failed"
            check.problem = "the 270 could not be written: \(error)"
            try await checks.addCheck(clinicId: clinicId, check)
            return check
        }
        check.requestFileId = try await files.addOutbound(clinicId: clinicId, transactionSet: "270", controlNumber: String(isa),
                                                          content: text, at: effects.now)
        try await checks.addCheck(clinicId: clinicId, check)
        try effects.note("eligibility.requested", clinicId: clinicId, objectType: "eligibility_check", objectId: checkId,
                         summary: "270 to \(record.coverage.payer.name) for patient \(patientId)")
        return check
    }

    /// A 271 answered check `checkId` (of `onlyClinic`, for a person's upload): record it, update the coverage,
    /// alert, estimate the appointment's work. Returns the check's clinic, or nil when no waiting check matches.
    static func answered(checkId: String, onlyClinic: String?, summary: EligibilitySummary, responseFileId: String,
                         _ context: InsuranceContext, _ effects: inout some InsuranceEffects) async throws -> String? {
        let checks = CheckStore(connection: effects.connection, logger: effects.logger)
        guard let (clinicId, check) = try await checks.check(checkId: checkId, clinicId: onlyClinic), check.status == "waiting"
        else { return nil }
        try await checks.answer(checkId: checkId, responseFileId: responseFileId, result: summary, at: effects.now)
        let facts = context.facts(effects)
        try await facts.recordEligibility(clinicId: clinicId, coverageId: check.coverageId,
                                          active: summary.memberFound ? summary.active : nil, benefits: summary.benefits, at: effects.now)
        func alert(_ kind: CoverageAlertKind, _ message: String, remaining: Money? = nil, planned: Money? = nil) throws {
            try effects.announce(CoverageFlagged(
                alertId: NewId.derived("alt", from: "\(checkId)\n\(kind.rawValue)"), patientId: check.patientId,
                coverageId: check.coverageId, appointmentId: check.appointmentId, kind: kind, message: message,
                remaining: remaining, planned: planned, raisedAt: Timestamp(effects.now)),
                clinicId: clinicId, aggregateId: check.patientId)
        }
        guard summary.memberFound else {
            try alert(.memberNotFound, "The payer does not know this member: " + summary.notes.joined(separator: "; "))
            return clinicId
        }
        guard summary.active else {
            try alert(.inactive, "The payer says the coverage is not active" + (summary.notes.isEmpty ? "" : ": " + summary.notes.joined(separator: "; ")))
            return clinicId
        }
        guard let appointmentId = check.appointmentId,
              let appointment = try await facts.appointment(clinicId: clinicId, appointmentId: appointmentId) else { return clinicId }
        let estimate = try await EstimateFlow.estimate(
            clinicId: clinicId, patientId: check.patientId, procedures: appointment.planned, treatmentPlanId: nil,
            appointmentId: appointmentId, context, &effects)
        if let shortfall = EstimateFlow.beyondMaximum(estimate.detail) {
            try alert(.exceedsRemaining,
                      "The planned treatment needs \(shortfall.needed.display) from the payer; \(shortfall.remaining.display) of the annual maximum is left",
                      remaining: shortfall.remaining, planned: shortfall.needed)
        }
        return clinicId
    }
}
