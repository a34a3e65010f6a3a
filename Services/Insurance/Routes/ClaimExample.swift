import Contracts
import Foundation

/// A complete claim (every optional set) for the API's documentation.
let exampleClaim = Claim(
    claimId: "clm_bcdfghjklmnpqrstvwxz", clinicId: "clinic-1", patientId: "pat-1001", kind: .dental, coverageId: "cov-77",
    parties: ClaimParties(
        practice: .example, providers: ["prov-12": .example],
        patient: PatientFacts(patientId: "pat-1001", name: PersonName(given: "Ana", family: "Lopez"),
                              dateOfBirth: CalendarDate(year: 1986, month: 4, day: 12), sex: .female,
                              address: PatientRegistered.example.contacts.address),
        coverage: .example),
    lines: [ClaimLine(chargeId: "chg-90001", procedure: ChargePosted.example.procedure, fee: ChargePosted.example.fee,
                      serviceDate: ChargePosted.example.serviceDate, providerId: "prov-12", diagnosisPointers: [1],
                      suggestion: CodeSuggestion(code: "D2392", reason: "description matches fee schedule D2392"))],
    diagnoses: ["K0252"], totalCharged: ChargePosted.example.fee, frequencyCode: "1", payerClaimNumber: "PCN-2026-88123",
    predetermination: false, status: .acknowledged,
    findings: [ScrubFinding(code: "code_case", message: "d2392 written as D2392", location: "lines[0].procedure.code", fixable: true)],
    risk: DenialRisk(percent: 12, reasons: ["Aetna Dental denied 1 of 8 D2392 claims"]),
    expectedInsurance: Money(amount: 14_800, currency: "USD"), autoFixedCauses: ["member_id_format"],
    history: [ClaimStatusChange(from: .draft, to: .submitted, at: Timestamp("2026-12-01T18:00:00Z")!, by: "insurance",
                                note: "interchange 42")],
    interchangeControlNumber: "42", transactionControlNumber: "1001")
