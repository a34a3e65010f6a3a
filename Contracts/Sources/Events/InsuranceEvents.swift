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
