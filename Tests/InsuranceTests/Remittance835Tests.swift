import Contracts
import Foundation
import Testing
import X12

@testable import InsuranceService

/// The outside 835 samples in /work/shared/x12-samples/835 (Tests/InsuranceTests → repo root → ../shared).
private enum Remittance835Samples {
    static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/x12-samples/835").standardizedFileURL
    }

    static func read(_ name: String) throws -> [Remittance] {
        try Remittance835Reader.read(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
    }
}

@Suite struct Remittance835Tests {
    @Test func everySample835ParsesAndNamesItsPayment() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Remittance835Samples.folder.path)
            .filter { $0.hasSuffix(".835") }.sorted()
        #expect(names.count == 8)
        for name in names {
            let remittances = try Remittance835Samples.read(name)
            #expect(remittances.count == 1, "\(name)")
            #expect(remittances.allSatisfy { !$0.traceNumber.isEmpty && !$0.claims.isEmpty && $0.unreadable.isEmpty }, "\(name)")
        }
    }

    @Test func secondaryPaymentReadsClaimsLinesAndAMultiTripleCAS() throws {
        let r = try #require(try Remittance835Samples.read("secondary-payment.835").first)
        #expect(r.handlingCode == "I" && r.paymentMethod == "CHK")
        #expect(r.totalPaid == 122_200)
        #expect(r.traceNumber == "0012524965" && r.traceOriginator == "1559123456")
        #expect(r.payerName == "YOUR TAX DOLLARS AT WORK")
        #expect(r.payeeName == "ACME MEDICAL CENTER" && r.payeeIdQualifier == "FI" && r.payeeId == "599944521")
        // The file writes the date in BPR15, not BPR16 (one of the details pyx12 rejects).
        #expect(r.paymentDate == nil)
        #expect(r.claims.map(\.claimId) == ["L0004828311", "0001000053"])
        let first = r.claims[0]
        #expect(first.adjustments == [RemittanceAdjustment(group: "OA", reason: "23", amount: 941_164)])
        let claim = r.claims[1]
        #expect(claim.statusCode == "2" && claim.payerClaimNumber == "05630626430")
        #expect(claim.charged == 75_150 && claim.paid == 31_000 && claim.patientResponsibility == 22_000)
        // SVC01 is written "HC>66543>26" though ISA16 is ":".
        let line = claim.lines[1]
        #expect(line.qualifier == "HC" && line.code == "66543" && line.modifiers == ["26"])
        #expect(line.charged == 58_500 && line.paid == 28_000)
        #expect(line.serviceDate == CalendarDate(year: 2005, month: 1, day: 6))
        // CAS*PR*1*150.00**2*70.00 then CAS*CO*42*85.00: both PR triples, then the CO one.
        #expect(line.adjustments == [
            RemittanceAdjustment(group: "PR", reason: "1", amount: 15_000),
            RemittanceAdjustment(group: "PR", reason: "2", amount: 7_000),
            RemittanceAdjustment(group: "CO", reason: "42", amount: 8_500),
        ])
        #expect(r.balanceFindings.isEmpty)
    }

    @Test func medicarePartAReadsAProviderAdjustmentThatBalancesThePayment() throws {
        let r = try #require(try Remittance835Samples.read("medicare-part-a.835").first)
        #expect(r.handlingCode == "C" && r.paymentMethod == "ACH")
        #expect(r.totalPaid == 15_000_000 && r.traceNumber == "12345")
        #expect(r.paymentDate == CalendarDate(year: 2002, month: 9, day: 13))
        #expect(r.payerName == "INSURANCE COMPANY OF TIMBUCKTU" && r.payerId == "999")  // REF*2U
        #expect(r.payeeIdQualifier == "XX" && r.payeeId == "6543210903")
        #expect(r.claims[0].charged == 21_136_697 && r.claims[0].paid == 13_801_840)
        #expect(r.claims[0].adjustments == [RemittanceAdjustment(group: "CO", reason: "45", amount: 7_334_857)])
        #expect(r.claims[1].remarks == ["MA02"])
        // PLB*6543210903*20021231*CV:CP*-1.27: 138018.40 + 11980.33 − (−1.27) = 150000.00.
        #expect(r.providerAdjustments == [RemittanceProviderAdjustment(
            providerId: "6543210903", fiscalPeriodEnd: CalendarDate(year: 2002, month: 12, day: 31),
            reason: "CV", reference: "CP", amount: -127)])
        #expect(r.balanceFindings.isEmpty)
    }

    @Test func managedCareSplitsClaimAndLineAdjustments() throws {
        let r = try #require(try Remittance835Samples.read("managed-care.835").first)
        #expect(r.totalPaid == 94_500 && r.traceNumber == "7170066655")
        let claim = r.claims[1]
        #expect(claim.claimId == "8765432112")
        #expect(claim.charged == 120_000 && claim.paid == 49_500 && claim.patientResponsibility == 60_000)
        #expect(claim.adjustments == [RemittanceAdjustment(group: "CO", reason: "A2", amount: 5_500)])
        #expect(claim.lines[0].adjustments.map(\.amount) == [60_000, 5_000])
        #expect(r.balanceFindings.isEmpty)
    }

    @Test func cobAdjustmentKeepsANegativeCASAndEmednyReadsRemarks() throws {
        let cob = try #require(try Remittance835Samples.read("cob-contractural-adjustment.835").first)
        #expect(cob.claims[0].lines[0].adjustments.map(\.amount) == [51_600, -900])
        #expect(cob.balanceFindings.isEmpty)
        let emedny = try #require(try Remittance835Samples.read("emedny_sample.835").first)
        #expect(emedny.totalPaid == 4_575 && emedny.paymentDate == CalendarDate(year: 2010, month: 1, day: 1))
        #expect(emedny.claims[2].lines[2].remarks == ["N206"])
        #expect(emedny.balanceFindings.isEmpty)
    }

    @Test func tertiaryPaymentSampleDoesNotBalanceOnItsLine() throws {
        let r = try #require(try Remittance835Samples.read("tertiary-payment.835").first)
        #expect(r.totalPaid == 18_750 && r.claims[0].paid == 18_750 && r.claims[0].charged == 176_650)
        // The sample writes SVC*HC*24599.00*1766.50*187.50: the procedure code lost its composite, so
        // every SVC amount sits one element late. The claim and payment balance; the line cannot.
        #expect(r.balanceFindings == ["claim 0001000054 line 1 (HC): charged 24599 less paid 1766.5 is not its adjustments 1579"])
    }

    @Test func everyCASTripleWithQuantitiesAndAReversalKeepsItsSigns() throws {
        let text = """
            ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *260101*1200*^*00501*000000001*0*T*:~\
            GS*HP*PAYER*CLINIC*20260101*1200*1*X*005010X221A1~ST*835*0001~BPR*I*-80.00*D*ACH************20260102~\
            TRN*1*EFT77*1999999999~N1*PR*DENTAL PAYER*XV*PAY01~N1*PE*SMILE CLINIC*XX*1234567893~LX*1~\
            CLP*CLM-9*22*-100.00*-80.00*-20.00*12*PCN9~CAS*PR*1*-10*1*2*-5**3*-1*1*4*-1**5*-1**6*-1**7*-1~\
            SVC*AD:D1110*-100.00*-80.00~DTM*472*20251201~CAS*PR*1*-20~PLB*1234567893*20261231*WO:PCN8*10*L6*-10~\
            SE*11*0001~GE*1*1~IEA*1*000000001~
            """
        let r = try #require(try Remittance835Reader.read(text).first)
        #expect(r.paymentDate == CalendarDate(year: 2026, month: 1, day: 2) && r.payerId == "PAY01")
        let claim = r.claims[0]
        #expect(claim.isReversal && claim.charged == -10_000 && claim.paid == -8_000 && claim.patientResponsibility == -2_000)
        // Six triples, CAS02 … CAS19, quantities where sent.
        #expect(claim.adjustments.map(\.reason) == ["1", "2", "3", "4", "5", "6"])
        #expect(claim.adjustments[0] == RemittanceAdjustment(group: "PR", reason: "1", amount: -1_000, quantity: "1"))
        #expect(claim.adjustments[2].quantity == "1" && claim.adjustments[5].amount == -100)
        #expect(claim.lines[0].code == "D1110" && claim.lines[0].serviceDate == CalendarDate(year: 2025, month: 12, day: 1))
        #expect(r.providerAdjustments.map(\.reason) == ["WO", "L6"] && r.providerAdjustments[0].reference == "PCN8")
        // Claim: −100 − (−80) = −20 but the CAS add to −10 −5 −1 −1 −1 −1 −20 = −39.
        #expect(r.balanceFindings == ["claim CLM-9: charged -100 less paid -80 is not its adjustments -39"])
    }
}
