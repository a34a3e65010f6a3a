import Contracts

/// A claim: the charges of one visit (or one batch day) of one patient, to one payer. Stored whole; its
/// status moves only through `ClaimLifecycle`.
public struct Claim: Codable, Equatable, Sendable {
    public var claimId: String
    public var clinicId: String
    public var patientId: String
    /// 837D (dental, CDT) or 837P (medical, CPT/HCPCS + ICD-10).
    public var kind: CoverageKind
    public var coverageId: String
    /// Who the claim names, copied when it was built or last corrected (printed as it was sent).
    public var parties: ClaimParties
    public var lines: [ClaimLine]
    /// ICD-10-CM codes without the dot, most important first; lines point into it (1-based).
    public var diagnoses: [String]
    /// CLM02 as written: kept separately so that the scrubber can see a total that does not add up.
    public var totalCharged: Money
    /// CLM05-3: "1" original, "7" replacement of a claim the payer accepted.
    public var frequencyCode: String
    /// The payer's claim number from the 277CA (REF*1K); a replacement names it in REF*F8.
    public var payerClaimNumber: String?
    /// A predetermination (pre-authorisation) of planned work rather than a claim for work done.
    public var predetermination: Bool
    public var status: ClaimStatus
    public var findings: [ScrubFinding]
    public var risk: DenialRisk?
    /// The insurance portion the estimator expects: payments keeps it out of what it collects.
    public var expectedInsurance: Money
    /// Rejection causes a rule already fixed: each is fixed automatically at most once.
    public var autoFixedCauses: [String]
    public var history: [ClaimStatusChange]
    /// ISA13 of the interchange that carried the latest submission.
    public var interchangeControlNumber: String?
    /// ST02 of its transaction set.
    public var transactionControlNumber: String?

    public var payerId: String { parties.coverage.payer.payerId }
}

public enum ClaimStatus: String, Codable, Hashable, Sendable, CaseIterable {
    case draft, held, submitted, accepted, acknowledged, rejected, corrected, resubmitted
}

public struct ClaimStatusChange: Codable, Hashable, Sendable {
    public var from: ClaimStatus?
    public var to: ClaimStatus
    public var at: Timestamp
    /// Who: a user id, `scrubber`, `clearinghouse`, `rule:<code>`.
    public var by: String
    public var note: String?
}

public struct ClaimLine: Codable, Hashable, Sendable {
    public var chargeId: String
    public var procedure: Procedure
    public var fee: Money
    public var serviceDate: CalendarDate
    public var providerId: String
    /// 1-based positions in the claim's `diagnoses` (837P SV107; 837D SV311).
    public var diagnosisPointers: [Int]
    /// A code suggested from the practice's fee schedule for a missing or invalid code; applied only when a person accepts it.
    public var suggestion: CodeSuggestion?
}

public struct CodeSuggestion: Codable, Hashable, Sendable {
    public var code: String
    public var reason: String
}

/// Everything the 837 names beyond the lines, copied from the facts insurance holds.
public struct ClaimParties: Codable, Equatable, Sendable {
    /// The billing provider (2010AA) and pay-to address (2010AB); nil until the clinic sends `clinic.practice.updated.v1`.
    public var practice: PracticeUpdated?
    /// Rendering providers by provider id (2310B); a missing one is a finding.
    public var providers: [String: ProviderUpdated]
    public var patient: PatientFacts
    public var coverage: CoverageUpdated

    public init(practice: PracticeUpdated? = nil, providers: [String: ProviderUpdated], patient: PatientFacts, coverage: CoverageUpdated) {
        self.practice = practice
        self.providers = providers
        self.patient = patient
        self.coverage = coverage
    }
}

/// The patient as a claim needs them (from `clinic.patient.registered/updated.v1`).
public struct PatientFacts: Codable, Hashable, Sendable {
    public var patientId: String
    public var name: PersonName?
    public var dateOfBirth: CalendarDate?
    public var sex: Sex?
    public var address: PostalAddress?

    public init(patientId: String, name: PersonName? = nil, dateOfBirth: CalendarDate? = nil, sex: Sex? = nil,
                address: PostalAddress? = nil) {
        self.patientId = patientId
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.address = address
    }
}

/// One problem the scrubber (or a payer's rejection) found.
public struct ScrubFinding: Codable, Hashable, Sendable {
    /// Stable code, e.g. `tooth_missing`, `npi_check_digit`, `total_mismatch`.
    public var code: String
    /// In words a person understands.
    public var message: String
    /// Where, e.g. `lines[1].tooth` or `practice.billingNpi`.
    public var location: String?
    /// A fixable finding was fixed (and audited); the others hold the claim.
    public var fixable: Bool

    public var contract: ClaimFinding { ClaimFinding(code: code, message: message, location: location) }
}

/// How likely the payer is to deny, from the practice's own history.
public struct DenialRisk: Codable, Hashable, Sendable {
    /// 0–100.
    public var percent: Int
    /// The top reasons, in words.
    public var reasons: [String]
}
