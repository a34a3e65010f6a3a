// Events that the insurance service publishes and payments reads: what a submitted claim is expected to
// pay, and what a remittance (835) paid.

/// A claim went to the payer. Payments does not collect `expectedInsurancePortion` from the patient
/// until the claim is paid (or closed).
public struct ClaimSubmitted: ClinicEvent {
    public static let type = EventType("insurance.claim.submitted", version: 1)
    public static let summary = "Insurance submitted a claim; carries the insurance portion expected, which payments does not collect from the patient."
    public var claimId: String
    public var patientId: String
    public var payerId: String
    public var chargeIds: [String]
    public var billed: Money
    public var expectedInsurancePortion: Money
    public var submittedAt: Timestamp

    public init(claimId: String, patientId: String, payerId: String, chargeIds: [String], billed: Money,
                expectedInsurancePortion: Money, submittedAt: Timestamp) {
        self.claimId = claimId
        self.patientId = patientId
        self.payerId = payerId
        self.chargeIds = chargeIds
        self.billed = billed
        self.expectedInsurancePortion = expectedInsurancePortion
        self.submittedAt = submittedAt
    }

    public static let example = ClaimSubmitted(
        claimId: "clm-5521", patientId: "pat-1001", payerId: "60054", chargeIds: ["chg-90001"],
        billed: Money(amount: 18_500, currency: "USD"), expectedInsurancePortion: Money(amount: 14_800, currency: "USD"),
        submittedAt: Timestamp("2026-12-01T18:00:00Z")!)
}

/// One service line of a remittance.
public struct ClaimLinePayment: Codable, Hashable, Sendable {
    public var chargeId: String
    public var billed: Money
    public var paid: Money
    /// CO adjustments: what the practice writes off by contract with the payer.
    public var contractualAdjustment: Money
    /// PR adjustments: deductible, co-insurance, co-pay — what the patient still owes.
    public var patientResponsibility: Money

    public init(chargeId: String, billed: Money, paid: Money, contractualAdjustment: Money, patientResponsibility: Money) {
        self.chargeId = chargeId
        self.billed = billed
        self.paid = paid
        self.contractualAdjustment = contractualAdjustment
        self.patientResponsibility = patientResponsibility
    }
}

/// A payer paid (part of) a claim: an 835 remittance was posted. Payments posts the payment and the
/// contractual write-off to the patient's ledger, naming the claim and the trace number.
public struct ClaimPaid: ClinicEvent {
    public static let type = EventType("insurance.claim.paid", version: 1)
    public static let summary = "A payer's remittance (835) for a claim was posted: paid, contractual adjustment and patient responsibility per line, with the trace number."
    public var claimId: String
    public var patientId: String
    public var payerId: String
    /// The 835's TRN02: the check or EFT trace number.
    public var traceNumber: String
    public var paymentDate: CalendarDate
    public var lines: [ClaimLinePayment]

    public init(claimId: String, patientId: String, payerId: String, traceNumber: String, paymentDate: CalendarDate,
                lines: [ClaimLinePayment]) {
        self.claimId = claimId
        self.patientId = patientId
        self.payerId = payerId
        self.traceNumber = traceNumber
        self.paymentDate = paymentDate
        self.lines = lines
    }

    public static let example = ClaimPaid(
        claimId: "clm-5521", patientId: "pat-1001", payerId: "60054", traceNumber: "EFT-0042-7781",
        paymentDate: CalendarDate(year: 2026, month: 12, day: 20)!,
        lines: [ClaimLinePayment(
            chargeId: "chg-90001", billed: Money(amount: 18_500, currency: "USD"), paid: Money(amount: 12_000, currency: "USD"),
            contractualAdjustment: Money(amount: 3_500, currency: "USD"),
            patientResponsibility: Money(amount: 3_000, currency: "USD"))])
}

/// A patient (or staff for the patient) accepted a treatment estimate: what the patient will owe for the
/// treatment after insurance. Plans builds a payment plan from it.
public struct EstimateAccepted: ClinicEvent {
    public static let type = EventType("insurance.estimate.accepted", version: 1)
    public static let summary = "A patient accepted a treatment estimate; carries the patient portion a payment plan may finance."
    public var estimateId: String
    public var patientId: String
    public var treatmentPlanId: String?
    /// e.g. `orthodontics`, `major`, `basic`: the clinic's policy may give it a longer term or no interest.
    public var treatmentType: String?
    public var totalFee: Money
    public var insurancePortion: Money
    public var patientPortion: Money
    public var acceptedBy: String
    public var acceptedAt: Timestamp

    public init(estimateId: String, patientId: String, treatmentPlanId: String?, treatmentType: String?, totalFee: Money,
                insurancePortion: Money, patientPortion: Money, acceptedBy: String, acceptedAt: Timestamp) {
        self.estimateId = estimateId
        self.patientId = patientId
        self.treatmentPlanId = treatmentPlanId
        self.treatmentType = treatmentType
        self.totalFee = totalFee
        self.insurancePortion = insurancePortion
        self.patientPortion = patientPortion
        self.acceptedBy = acceptedBy
        self.acceptedAt = acceptedAt
    }

    public static let example = EstimateAccepted(
        estimateId: "est-311", patientId: "pat-1001", treatmentPlanId: "tp-77", treatmentType: "orthodontics",
        totalFee: Money(amount: 550_000, currency: "USD"), insurancePortion: Money(amount: 150_000, currency: "USD"),
        patientPortion: Money(amount: 400_000, currency: "USD"), acceptedBy: "pat-1001",
        acceptedAt: Timestamp("2026-12-01T16:30:00Z")!)
}

/// Why an estimate line's insurance portion is less than its fee.
public enum EstimateReductionReason: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    /// The payer allows less than the practice's fee (fee schedule); in network the practice writes it off.
    case feeSchedule = "fee_schedule"
    case deductible
    /// The patient's share after the plan's percentage (or a medical co-pay / coinsurance).
    case coinsurance
    case annualMaximum = "annual_maximum"
    case frequencyLimit = "frequency_limit"
    case waitingPeriod = "waiting_period"
    case notCovered = "not_covered"
    case orthoLifetimeMaximum = "ortho_lifetime_maximum"
}

public struct EstimateReduction: Codable, Hashable, Sendable {
    public var reason: EstimateReductionReason
    /// What this reduction moved from the payer to the patient (or, for `fee_schedule`, off the bill).
    public var amount: Money
    /// The payer it applies to (primary or secondary).
    public var payerId: String
    /// In words, for the patient and the front desk.
    public var explanation: String
    public init(reason: EstimateReductionReason, amount: Money, payerId: String, explanation: String) {
        self.reason = reason
        self.amount = amount
        self.payerId = payerId
        self.explanation = explanation
    }
}

public struct EstimateLine: Codable, Hashable, Sendable {
    public var procedure: Procedure
    public var fee: Money
    /// What the primary payer allows (its fee schedule), the fee when unknown.
    public var allowed: Money
    public var primaryInsurance: Money
    /// Coordination of benefits: what the secondary pays of what the primary left.
    public var secondaryInsurance: Money
    public var patientPortion: Money
    public var reductions: [EstimateReduction]
    public init(procedure: Procedure, fee: Money, allowed: Money, primaryInsurance: Money, secondaryInsurance: Money,
                patientPortion: Money, reductions: [EstimateReduction]) {
        self.procedure = procedure
        self.fee = fee
        self.allowed = allowed
        self.primaryInsurance = primaryInsurance
        self.secondaryInsurance = secondaryInsurance
        self.patientPortion = patientPortion
        self.reductions = reductions
    }
}

/// Insurance estimated a treatment: per line the fee, the allowed amount, what each payer pays and what the
/// patient pays, with the reason for every reduction. Plans uses the patient portion; payments the co-pay.
public struct EstimateCalculated: ClinicEvent {
    public static let type = EventType("insurance.estimate.calculated", version: 1)
    public static let summary = "Insurance estimated a treatment or a visit: fee, insurance portion and patient portion per line, with reasons."
    public var estimateId: String
    public var patientId: String
    /// What it estimates: a proposed treatment plan, an appointment's planned work, or a request.
    public var treatmentPlanId: String?
    public var appointmentId: String?
    public var lines: [EstimateLine]
    public var totalFee: Money
    public var insurancePortion: Money
    /// What the patient pays: the co-pay to collect at check-in for an appointment.
    public var patientPortion: Money
    public var calculatedAt: Timestamp

    public init(estimateId: String, patientId: String, treatmentPlanId: String?, appointmentId: String?,
                lines: [EstimateLine], totalFee: Money, insurancePortion: Money, patientPortion: Money,
                calculatedAt: Timestamp) {
        self.estimateId = estimateId
        self.patientId = patientId
        self.treatmentPlanId = treatmentPlanId
        self.appointmentId = appointmentId
        self.lines = lines
        self.totalFee = totalFee
        self.insurancePortion = insurancePortion
        self.patientPortion = patientPortion
        self.calculatedAt = calculatedAt
    }


    public static let example = EstimateCalculated(
        estimateId: "est-311", patientId: "pat-1001", treatmentPlanId: "tp-300", appointmentId: "appt-5001",
        lines: [EstimateLine(
            procedure: Procedure(code: "D2392", codeSystem: .cdt, tooth: "30", surfaces: ["M", "O"],
                                 description: "Resin composite - two surfaces, posterior"),
            fee: Money.exampleUSD(18_500), allowed: Money.exampleUSD(16_000), primaryInsurance: Money.exampleUSD(8_800), secondaryInsurance: Money.exampleUSD(2_000),
            patientPortion: Money.exampleUSD(5_200),
            reductions: [
                EstimateReduction(reason: .feeSchedule, amount: Money.exampleUSD(2_500), payerId: "60054",
                                  explanation: "Aetna Dental allows $160.00 of the $185.00 fee"),
                EstimateReduction(reason: .deductible, amount: Money.exampleUSD(5_000), payerId: "60054",
                                  explanation: "$50.00 of the deductible is still to be met"),
                EstimateReduction(reason: .coinsurance, amount: Money.exampleUSD(2_200), payerId: "60054",
                                  explanation: "the plan pays 80 % of basic work"),
            ])],
        totalFee: Money.exampleUSD(18_500), insurancePortion: Money.exampleUSD(10_800), patientPortion: Money.exampleUSD(5_200),
        calculatedAt: Timestamp("2026-11-25T15:00:00Z")!)
}

/// A problem found on a claim, in words a person understands.
public struct ClaimFinding: Codable, Hashable, Sendable {
    /// Stable, e.g. `tooth_missing`, `npi_invalid`, `member_not_found`.
    public var code: String
    public var message: String
    /// Where: e.g. `lines[1].tooth`, `2010BA NM109`.
    public var location: String?
    public init(code: String, message: String, location: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }
}

/// The scrubber (or a rejection no rule can fix) held a claim until a person edits it.
public struct ClaimHeld: ClinicEvent {
    public static let type = EventType("insurance.claim.held", version: 1)
    public static let summary = "Insurance held a claim before (re)submission; the findings say what a person must fix."
    public var claimId: String
    public var patientId: String
    public var payerId: String
    public var findings: [ClaimFinding]
    public var heldAt: Timestamp

    public init(claimId: String, patientId: String, payerId: String, findings: [ClaimFinding], heldAt: Timestamp) {
        self.claimId = claimId
        self.patientId = patientId
        self.payerId = payerId
        self.findings = findings
        self.heldAt = heldAt
    }

    public static let example = ClaimHeld(
        claimId: "clm-5521", patientId: "pat-1001", payerId: "60054",
        findings: [ClaimFinding(code: "tooth_missing", message: "D2392 needs a tooth number (1-32 or A-T)",
                                location: "lines[0].tooth")],
        heldAt: Timestamp("2026-12-01T18:00:00Z")!)
}

/// The clearinghouse's implementation acknowledgment (999) accepted the transaction that carried the claim.
public struct ClaimAccepted: ClinicEvent {
    public static let type = EventType("insurance.claim.accepted", version: 1)
    public static let summary = "The 999 acknowledgment accepted the claim's transaction (syntax)."
    public var claimId: String
    public var patientId: String
    public var payerId: String
    /// ISA13 of the interchange that carried it.
    public var interchangeControlNumber: String
    public var acceptedAt: Timestamp

    public init(claimId: String, patientId: String, payerId: String, interchangeControlNumber: String, acceptedAt: Timestamp) {
        self.claimId = claimId
        self.patientId = patientId
        self.payerId = payerId
        self.interchangeControlNumber = interchangeControlNumber
        self.acceptedAt = acceptedAt
    }

    public static let example = ClaimAccepted(
        claimId: "clm-5521", patientId: "pat-1001", payerId: "60054", interchangeControlNumber: "000000042",
        acceptedAt: Timestamp("2026-12-01T18:01:00Z")!)
}

/// The payer's claim acknowledgment (277CA) accepted the claim into adjudication.
public struct ClaimAcknowledged: ClinicEvent {
    public static let type = EventType("insurance.claim.acknowledged", version: 1)
    public static let summary = "The 277CA accepted the claim for adjudication; carries the payer's claim number."
    public var claimId: String
    public var patientId: String
    public var payerId: String
    public var payerClaimNumber: String?
    public var acknowledgedAt: Timestamp

    public init(claimId: String, patientId: String, payerId: String, payerClaimNumber: String?, acknowledgedAt: Timestamp) {
        self.claimId = claimId
        self.patientId = patientId
        self.payerId = payerId
        self.payerClaimNumber = payerClaimNumber
        self.acknowledgedAt = acknowledgedAt
    }

    public static let example = ClaimAcknowledged(
        claimId: "clm-5521", patientId: "pat-1001", payerId: "60054", payerClaimNumber: "PCN-2026-88123",
        acknowledgedAt: Timestamp("2026-12-01T18:05:00Z")!)
}

/// A 999 or 277CA rejected the claim. `resubmitting` says that a rule fixed it and it goes out again;
/// otherwise it is held for a person.
public struct ClaimRejected: ClinicEvent {
    public static let type = EventType("insurance.claim.rejected", version: 1)
    public static let summary = "A 999 or 277CA rejected a claim, with the reasons; says whether a rule fixed it for resubmission."
    public var claimId: String
    public var patientId: String
    public var payerId: String
    /// "999" or "277CA".
    public var source: String
    public var reasons: [ClaimFinding]
    public var resubmitting: Bool
    public var rejectedAt: Timestamp

    public init(claimId: String, patientId: String, payerId: String, source: String, reasons: [ClaimFinding],
                resubmitting: Bool, rejectedAt: Timestamp) {
        self.claimId = claimId
        self.patientId = patientId
        self.payerId = payerId
        self.source = source
        self.reasons = reasons
        self.resubmitting = resubmitting
        self.rejectedAt = rejectedAt
    }

    public static let example = ClaimRejected(
        claimId: "clm-5521", patientId: "pat-1001", payerId: "60054", source: "277CA",
        reasons: [ClaimFinding(code: "member_id_format", message: "The payer does not know member id w123-456; it expects W123456",
                               location: "2010BA NM109")],
        resubmitting: true, rejectedAt: Timestamp("2026-12-01T18:05:00Z")!)
}

public enum CoverageAlertKind: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    /// The payer says the coverage is not active.
    case inactive
    /// The planned treatment's insurance share is more than what is left of the annual maximum.
    case exceedsRemaining = "exceeds_remaining"
    /// The payer does not know the member.
    case memberNotFound = "member_not_found"
    /// The eligibility inquiry got no usable answer.
    case eligibilityError = "eligibility_error"
}

/// An eligibility check found something staff must know before treatment (notifications tells them).
public struct CoverageFlagged: ClinicEvent {
    public static let type = EventType("insurance.coverage.flagged", version: 1)
    public static let summary = "An eligibility check found inactive coverage, an unknown member, or treatment beyond the remaining benefits."
    public var alertId: String
    public var patientId: String
    public var coverageId: String
    public var appointmentId: String?
    public var kind: CoverageAlertKind
    public var message: String
    /// What is left of the annual maximum, when the payer said.
    public var remaining: Money?
    /// The insurance share the planned treatment would need.
    public var planned: Money?
    public var raisedAt: Timestamp

    public init(alertId: String, patientId: String, coverageId: String, appointmentId: String?, kind: CoverageAlertKind,
                message: String, remaining: Money?, planned: Money?, raisedAt: Timestamp) {
        self.alertId = alertId
        self.patientId = patientId
        self.coverageId = coverageId
        self.appointmentId = appointmentId
        self.kind = kind
        self.message = message
        self.remaining = remaining
        self.planned = planned
        self.raisedAt = raisedAt
    }

    public static let example = CoverageFlagged(
        alertId: "alt-12", patientId: "pat-1001", coverageId: "cov-77", appointmentId: "appt-5001", kind: .exceedsRemaining,
        message: "The planned treatment needs $900.00 from Aetna Dental; $400.00 of the annual maximum is left",
        remaining: Money(amount: 40_000, currency: "USD"), planned: Money(amount: 90_000, currency: "USD"),
        raisedAt: Timestamp("2026-11-25T15:00:00Z")!)
}
