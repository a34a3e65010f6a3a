import Contracts
import Foundation
import WebAPI
import X12

/// Claims from recorded charges to the clearinghouse: built per visit, scrubbed (fixable findings fixed
/// and audited, the rest hold the claim), scored for denial risk, written as 837D/837P interchanges that
/// batch many claims, and published as submitted with the insurance portion payments must not collect.
enum ClaimFlow {
    /// Charges of covered patients whose visit is over (appointment completed, or recorded a batch period
    /// ago without an appointment) become draft claims; charges of uncovered patients are marked self-pay.
    static func buildClaims(_ context: InsuranceContext, _ effects: inout some InsuranceEffects, limit: Int = 300) async throws -> Int {
        let batchBefore = effects.now.addingTimeInterval(-Double(context.settings.batchAfterHours) * 3600)
        // Whole patients per run (a limit on charges could cut a visit in two claims).
        let rows = try await effects.connection.query("""
            WITH claimable AS (
                SELECT c.clinic_id, c.patient_id, c.charge_id, c.recorded_at FROM charges c
                LEFT JOIN appointments a ON a.clinic_id = c.clinic_id AND a.appointment_id = c.appointment_id
                WHERE c.claim_id IS NULL AND NOT c.reversed
                  AND (a.completed_at IS NOT NULL OR (c.appointment_id IS NULL AND c.recorded_at <= \(batchBefore)))),
            patients AS (
                SELECT clinic_id, patient_id FROM claimable GROUP BY clinic_id, patient_id ORDER BY min(recorded_at) LIMIT \(limit))
            SELECT c.clinic_id, c.body::text FROM charges c
            JOIN claimable k ON k.clinic_id = c.clinic_id AND k.charge_id = c.charge_id
            JOIN patients p ON p.clinic_id = k.clinic_id AND p.patient_id = k.patient_id
            ORDER BY c.recorded_at FOR UPDATE OF c SKIP LOCKED
            """, logger: effects.logger)
        var byPatient: [String: [ChargeRecorded]] = [:]
        for try await (clinicId, body) in rows.decode((String, String).self) {
            let charge = try SealedJSON.decode(ChargeRecorded.self, body)
            byPatient["\(clinicId)\n\(charge.patientId)", default: []].append(charge)
        }
        var built = 0
        for (key, charges) in byPatient.sorted(by: { $0.key < $1.key }) {
            let clinicId = String(key.split(separator: "\n")[0])
            built += try await claim(clinicId: clinicId, charges: charges, context, &effects)
        }
        return built
    }

    private static func claim(clinicId: String, charges: [ChargeRecorded], _ context: InsuranceContext,
                              _ effects: inout some InsuranceEffects) async throws -> Int {
        let facts = context.facts(effects)
        let store = context.claims(effects)
        let coverages = try await facts.coverages(clinicId: clinicId, patientId: charges[0].patientId)
        var byCoverage: [String: (CoverageRecord, [ChargeRecorded])] = [:]
        var selfPay: [String] = []
        for charge in charges {
            guard let record = coverages.first(where: { $0.coverage.priority == .primary && $0.isActive(on: charge.serviceDate) }) else {
                selfPay.append(charge.chargeId)
                continue
            }
            byCoverage[record.coverage.coverageId, default: (record, [])].1.append(charge)
        }
        if !selfPay.isEmpty { try await store.assign(clinicId: clinicId, chargeIds: selfPay, to: "self_pay") }
        var count = 0
        for (_, (record, charges)) in byCoverage.sorted(by: { $0.key < $1.key }) {
            let parties = try await facts.parties(clinicId: clinicId, coverage: record.effective, providerIds: Set(charges.map(\.providerId)))
            let claims = ClaimBuilder.claims(clinicId: clinicId, charges: charges, coverage: record.effective, parties: parties,
                                             at: effects.now) { visit in
                NewId.derived("clm", from: "\(clinicId)\n\(record.coverage.coverageId)\n\(visit)\n\(charges.map(\.chargeId).sorted().joined(separator: ","))")
            }
            for claim in claims {
                try await store.save(claim, appointmentId: charges.first { $0.chargeId == claim.lines[0].chargeId }?.appointmentId, at: effects.now)
                try await store.assign(clinicId: clinicId, chargeIds: claim.lines.map(\.chargeId), to: claim.claimId)
                try effects.note("claim.built", clinicId: clinicId, objectType: "claim", objectId: claim.claimId,
                                 summary: "\(claim.lines.count) line(s), \(claim.totalCharged.display), to \(claim.parties.coverage.payer.name)")
                count += 1
            }
        }
        return count
    }

    /// Scrubs a draft or corrected claim: fixable findings are fixed (and audited); the expected insurance
    /// portion and the denial risk are computed; a claim with findings left is held (and announced).
    /// Returns whether the claim may go out.
    /// `risk`: the clinic's denial-risk model when the caller has it (a batch builds it once per clinic).
    static func prepare(_ claim: inout Claim, risk: DenialRiskModel? = nil, _ context: InsuranceContext,
                        _ effects: inout some InsuranceEffects) async throws -> Bool {
        let facts = context.facts(effects)
        let history = try await facts.procedureHistory(clinicId: claim.clinicId, patientId: claim.patientId)
            .filter { entry in !claim.lines.contains { $0.procedure.code == entry.code && $0.serviceDate == entry.date } }
        let schedule = try await facts.feeSchedule(clinicId: claim.clinicId, payerId: "")
        let model: DenialRiskModel
        if let risk { model = risk } else { model = try await context.claims(effects).denialRisk(clinicId: claim.clinicId) }
        let result = ClaimChecks.run(claim, today: context.settings.today(effects.now), timelyFilingDays: context.settings.timelyFilingDays,
                                     history: history, feeSchedule: schedule, risk: model)
        for fixed in result.fixed {
            try effects.note("claim.autofixed", clinicId: claim.clinicId, objectType: "claim", objectId: claim.claimId,
                             summary: "\(fixed.code): \(fixed.message)")
        }
        claim = result.claim
        claim.expectedInsurance = try await expectedInsurance(claim, context, effects)
        guard !result.blocking.isEmpty else { return true }
        if claim.status != .held {
            try claim.move(to: .held, at: Timestamp(effects.now), by: "scrubber", note: result.blocking.map(\.code).joined(separator: ", "))
            try effects.announce(ClaimHeld(claimId: claim.claimId, patientId: claim.patientId, payerId: claim.payerId,
                                           findings: result.blocking.map(\.contract), heldAt: Timestamp(effects.now)),
                                 clinicId: claim.clinicId, aggregateId: claim.claimId)
        }
        return false
    }

    /// What the estimator expects the claim's payer to pay on its lines (the lines themselves are not
    /// history for their own frequency limits).
    private static func expectedInsurance(_ claim: Claim, _ context: InsuranceContext, _ effects: some InsuranceEffects) async throws -> Money {
        let procedures = claim.lines.map { PlannedProcedure(procedure: $0.procedure, fee: $0.fee) }
        let result = try await EstimateFlow.calculate(
            clinicId: claim.clinicId, patientId: claim.patientId, procedures: procedures,
            serviceDate: claim.lines.map(\.serviceDate).min() ?? context.settings.today(effects.now),
            onlyCoverage: claim.coverageId, excluding: procedures, context, effects)
        return result.estimate.primaryInsurance
    }

    /// Writes one interchange for claims of one clinic and kind, marks them submitted (or resubmitted) and
    /// publishes each. The file goes out with the next exchange.
    static func submit(_ claims: [Claim], _ context: InsuranceContext, _ effects: inout some InsuranceEffects) async throws {
        guard let first = claims.first else { return }
        let files = context.files(effects)
        let isa = try await files.nextInterchangeNumber()
        let firstST = try await files.nextTransactionNumbers(claims.count)
        let written = try OutboundX12.claims(claims, kind: first.kind, interchange: isa, firstTransaction: firstST,
                                             context.settings, at: effects.now)
        _ = try await files.addOutbound(clinicId: first.clinicId, transactionSet: "837", controlNumber: String(isa),
                                        content: written.text, at: effects.now)
        let store = context.claims(effects)
        for var claim in claims {
            let again = claim.status == .corrected
            try claim.move(to: again ? .resubmitted : .submitted, at: Timestamp(effects.now), by: "insurance",
                           note: "interchange \(isa)")
            claim.interchangeControlNumber = String(isa)
            claim.transactionControlNumber = written.transactionNumbers[claim.claimId]
            try await store.save(claim, appointmentId: nil, at: effects.now)
            // A predetermination bills nothing: payments has no charges of it to keep out of collection.
            if !claim.predetermination {
                try effects.announce(ClaimSubmitted(
                    claimId: claim.claimId, patientId: claim.patientId, payerId: claim.payerId, chargeIds: claim.lines.map(\.chargeId),
                    billed: claim.totalCharged, expectedInsurancePortion: claim.expectedInsurance, submittedAt: Timestamp(effects.now)),
                    clinicId: claim.clinicId, aggregateId: claim.claimId)
            }
            try effects.note(again ? "claim.resubmitted" : "claim.submitted", clinicId: claim.clinicId, objectType: "claim",
                             objectId: claim.claimId, summary: "\(first.kind == .dental ? "837D" : "837P") interchange \(isa), \(claim.totalCharged.display)")
        }
    }

    /// A predetermination of an estimate's planned dental work, to the primary payer: built, scrubbed and
    /// written at once (held with its findings when it is not clean). Asking twice gives the same one.
    static func predetermination(of estimate: EstimateCalculated, providerId: String, clinicId: String,
                                 _ context: InsuranceContext, _ effects: inout some InsuranceEffects) async throws -> Claim {
        let store = context.claims(effects)
        let claimId = NewId.derived("clm", from: "\(clinicId)\npredetermination\n\(estimate.estimateId)")
        if let existing = try await store.load(clinicId: clinicId, claimId: claimId) { return existing }
        let today = context.settings.today(effects.now)
        let facts = context.facts(effects)
        guard let record = try await facts.coverages(clinicId: clinicId, patientId: estimate.patientId)
            .first(where: { $0.coverage.priority == .primary && $0.isActive(on: today) }), (record.coverage.kind ?? .dental) == .dental
        else {
            throw APIError.unprocessable("patient \(estimate.patientId) has no active primary dental coverage to predetermine with",
                                         code: "coverage_missing")
        }
        guard !estimate.lines.isEmpty else { throw APIError.unprocessable("the estimate has no planned work", code: "estimate_empty") }
        let charges = estimate.lines.enumerated().map { index, line in
            ChargeRecorded(chargeId: "\(estimate.estimateId)-\(index + 1)", patientId: estimate.patientId, providerId: providerId,
                           serviceDate: today, procedure: line.procedure, fee: line.fee, recordedAt: Timestamp(effects.now))
        }
        let parties = try await facts.parties(clinicId: clinicId, coverage: record.effective, providerIds: [providerId])
        guard var claim = ClaimBuilder.claims(clinicId: clinicId, charges: charges, coverage: record.effective, parties: parties,
                                              at: effects.now, newId: { _ in claimId }).first else { throw StoreProblem("no claim built") }
        claim.predetermination = true
        try await store.save(claim, appointmentId: nil, at: effects.now)
        try effects.note("claim.built", clinicId: clinicId, objectType: "claim", objectId: claimId,
                         summary: "predetermination of estimate \(estimate.estimateId)")
        if try await prepare(&claim, context, &effects) {
            try await submit([claim], context, &effects)
        } else {
            try await store.save(claim, appointmentId: nil, at: effects.now)
        }
        return try await store.load(clinicId: clinicId, claimId: claimId) ?? claim
    }

    /// Scrubs claims waiting to go out (drafts, corrections) and submits the clean ones, one interchange per
    /// clinic and kind.
    static func sendReady(_ context: InsuranceContext, _ effects: inout some InsuranceEffects, limit: Int = 1000) async throws {
        let store = context.claims(effects)
        let waiting = try await store.claims("""
            SELECT body FROM claims WHERE status IN ('draft', 'corrected') ORDER BY updated_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """)
        var ready: [String: [Claim]] = [:]
        var models: [String: DenialRiskModel] = [:]
        for var claim in waiting {
            if models[claim.clinicId] == nil { models[claim.clinicId] = try await store.denialRisk(clinicId: claim.clinicId) }
            if try await prepare(&claim, risk: models[claim.clinicId], context, &effects) {
                ready["\(claim.clinicId)\n\(claim.kind.rawValue)", default: []].append(claim)
            } else {
                try await store.save(claim, appointmentId: nil, at: effects.now)
            }
        }
        for key in ready.keys.sorted() {
            do {
                try await submit(ready[key]!, context, &effects)
            } catch is X12Error, is OutboundRefused {
                // One claim the writer refuses must not keep the others in: each goes alone, the refused are held.
                for claim in ready[key]! { try await submitAlone(claim, context, &effects) }
            }
        }
    }

    private static func submitAlone(_ claim: Claim, _ context: InsuranceContext, _ effects: inout some InsuranceEffects) async throws {
        do {
            try await submit([claim], context, &effects)
        } catch let error as X12Error {
            try await holdUnwritable(claim, String(describing: error), context, &effects)
        } catch let error as OutboundRefused {
            try await holdUnwritable(claim, error.reason, context, &effects)
        }
    }

    private static func holdUnwritable(_ claim: Claim, _ reason: String, _ context: InsuranceContext,
                                       _ effects: inout some InsuranceEffects) async throws {
        var claim = claim
        let finding = ScrubFinding(code: "x12_unwritable", message: "the 837 could not be written: \(reason)", location: nil, fixable: false)
        claim.findings.append(finding)
        try claim.move(to: .held, at: Timestamp(effects.now), by: "insurance", note: finding.message)
        try await context.claims(effects).save(claim, appointmentId: nil, at: effects.now)
        try effects.announce(ClaimHeld(claimId: claim.claimId, patientId: claim.patientId, payerId: claim.payerId,
                                       findings: [finding.contract], heldAt: Timestamp(effects.now)),
                             clinicId: claim.clinicId, aggregateId: claim.claimId)
    }
}
