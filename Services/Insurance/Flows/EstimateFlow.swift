import Contracts
import Foundation
import WebAPI

/// Estimates (seed 000: the full cost, what insurance covers, what the patient pays): from the coverages
/// active on the day, their benefits as the payer last said, the payer's fee schedule and the procedures the
/// patient already had. Published for plans (the patient portion) and payments (the co-pay).
enum EstimateFlow {
    static func estimate(clinicId: String, patientId: String, procedures: [PlannedProcedure], treatmentPlanId: String?,
                         appointmentId: String?, _ context: InsuranceContext,
                         _ effects: inout some InsuranceEffects) async throws -> (event: EstimateCalculated, detail: BenefitEstimate) {
        let today = context.settings.today(effects.now)
        let detail = try await calculate(clinicId: clinicId, patientId: patientId, procedures: procedures, serviceDate: today,
                                         context, effects)
        var event = detail.estimate.calculated(
            estimateId: NewId.make("est"), patientId: patientId, treatmentPlanId: treatmentPlanId, appointmentId: appointmentId,
            calculatedAt: Timestamp(effects.now))
        // A visit without planned work: the patient's share is the plan's co-pay for the visit.
        if procedures.isEmpty, let copay = BenefitEstimator.visitCopay(coverages: detail.coverages, on: today) {
            event.patientPortion = copay
            event.totalFee = Money(amount: 0, currency: copay.currency)
        }
        try await CheckStore(connection: effects.connection, logger: effects.logger).saveEstimate(clinicId: clinicId, event)
        try effects.announce(event, clinicId: clinicId, aggregateId: patientId)
        try effects.note("estimate.calculated", clinicId: clinicId, objectType: "estimate", objectId: event.estimateId,
                         summary: "fee \(event.totalFee.display), insurance \(event.insurancePortion.display), patient \(event.patientPortion.display)")
        return (event, detail.estimate)
    }

    /// The estimator's answer from what insurance knows now: the coverages active on the day with their benefits
    /// as the payer last said, the payers' fee schedules, the procedures the patient already had.
    static func calculate(clinicId: String, patientId: String, procedures: [PlannedProcedure], serviceDate: CalendarDate,
                          onlyCoverage coverageId: String? = nil, excluding done: [PlannedProcedure] = [],
                          _ context: InsuranceContext, _ effects: some InsuranceEffects) async throws -> (estimate: BenefitEstimate, coverages: [CoverageUpdated]) {
        let facts = context.facts(effects)
        let coverages = try await facts.coverages(clinicId: clinicId, patientId: patientId)
            .filter { $0.isActive(on: serviceDate) && (coverageId == nil || $0.coverage.coverageId == coverageId) }
        var allowed: [String: [String: Money]] = [:]
        for record in coverages {
            let schedule = try await facts.feeSchedule(clinicId: clinicId, payerId: record.coverage.payer.payerId)
            allowed[record.coverage.payer.payerId] = Dictionary(schedule.map { ($0.code, $0.fee) }) { first, _ in first }
        }
        let history = try await facts.procedureHistory(clinicId: clinicId, patientId: patientId)
            .filter { entry in !done.contains { $0.procedure.code == entry.code } || entry.date != serviceDate }
            .map { EstimateHistoryItem(code: $0.code, serviceDate: $0.date) }
        let effective = coverages.map(\.effective)
        let estimate = BenefitEstimator.estimate(BenefitEstimateRequest(
            coverages: effective, procedures: procedures, serviceDate: serviceDate, history: history, allowedFees: allowed))
        return (estimate, effective)
    }

    /// When a payer's share was cut by what is left of its maximum: what the treatment would need from it,
    /// and what is left.
    static func beyondMaximum(_ estimate: BenefitEstimate) -> (needed: Money, remaining: Money)? {
        guard let payer = estimate.payers.first(where: { $0.maximumShortfall.amount > 0 }) else { return nil }
        return (payer.insuranceNeeded, payer.annualMaximumLeftBefore ?? payer.insurancePays)
    }

    /// The patient accepted the estimate (staff for them, or the patient's own token): plans may finance it.
    static func accept(clinicId: String, estimateId: String, by who: String, _ effects: inout some InsuranceEffects) async throws -> CheckStore.StoredEstimate {
        let store = CheckStore(connection: effects.connection, logger: effects.logger)
        guard var stored = try await store.estimate(clinicId: clinicId, estimateId: estimateId, lock: true) else {
            throw APIError.notFound("estimate", estimateId)
        }
        if stored.acceptedAt != nil { return stored }
        try await store.accept(clinicId: clinicId, estimateId: estimateId, by: who, at: effects.now)
        stored.acceptedAt = effects.now
        stored.acceptedBy = who
        let estimate = stored.estimate
        try effects.announce(EstimateAccepted(
            estimateId: estimateId, patientId: estimate.patientId, treatmentPlanId: estimate.treatmentPlanId,
            treatmentType: treatmentType(estimate), totalFee: estimate.totalFee, insurancePortion: estimate.insurancePortion,
            patientPortion: estimate.patientPortion, acceptedBy: who, acceptedAt: Timestamp(effects.now)),
            clinicId: clinicId, aggregateId: estimate.patientId)
        try effects.note("estimate.accepted", clinicId: clinicId, objectType: "estimate", objectId: estimateId,
                         summary: "accepted by \(who): patient portion \(estimate.patientPortion.display)")
        return stored
    }

    /// The treatment's kind as plans' policy names it: the weightiest category among its lines.
    static func treatmentType(_ estimate: EstimateCalculated) -> String? {
        let codes = estimate.lines.map(\.procedure.code)
        func any(_ ranges: String...) -> Bool { codes.contains { code in ranges.contains { BenefitRules.codeMatches(code, $0) } } }
        if any("D8000-D8999") { return "orthodontics" }
        if any("D2400-D2999", "D5000-D6999") { return "major" }
        if codes.contains(where: { $0.hasPrefix("D") && !BenefitRules.codeMatches($0, "D0000-D1999") }) { return "basic" }
        return codes.isEmpty ? nil : "preventive"
    }
}
