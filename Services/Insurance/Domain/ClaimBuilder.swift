import Contracts
import Foundation

/// Turns recorded charges into new claims: one per visit (appointment, or service date when a charge has
/// none) of a patient, to the primary payer of the coverage active on that date.
public enum ClaimBuilder {
    public static func claims(clinicId: String, charges: [ChargeRecorded], coverage: CoverageUpdated, parties: ClaimParties,
                              at now: Date, newId: (String) -> String) -> [Claim] {
        let visits = Dictionary(grouping: charges) { $0.appointmentId ?? "date:\($0.serviceDate)" }
        return visits.keys.sorted().map { visit in
            let charges = visits[visit]!.sorted { $0.chargeId < $1.chargeId }
            var diagnoses: [String] = []
            let lines = charges.map { charge in
                let pointers = (charge.diagnosisCodes ?? []).map { code in
                    if let index = diagnoses.firstIndex(of: code) { return index + 1 }
                    diagnoses.append(code)
                    return diagnoses.count
                }
                return ClaimLine(chargeId: charge.chargeId, procedure: charge.procedure, fee: charge.fee,
                                 serviceDate: charge.serviceDate, providerId: charge.providerId, diagnosisPointers: pointers)
            }
            let currency = charges.first?.fee.currency ?? "USD"
            let total = charges.reduce(Int64(0)) { $0 + $1.fee.amount }
            return Claim(
                claimId: newId(visit), clinicId: clinicId, patientId: coverage.patientId, kind: coverage.kind ?? .dental,
                coverageId: coverage.coverageId, parties: parties, lines: lines, diagnoses: diagnoses,
                totalCharged: Money(amount: total, currency: currency), frequencyCode: "1", payerClaimNumber: nil,
                predetermination: false, status: .draft, findings: [], risk: nil,
                expectedInsurance: Money(amount: 0, currency: currency), autoFixedCauses: [],
                history: [ClaimStatusChange(from: nil, to: .draft, at: Timestamp(now), by: "insurance", note: "built from \(lines.count) charge(s)")],
                interchangeControlNumber: nil, transactionControlNumber: nil)
        }
    }
}
