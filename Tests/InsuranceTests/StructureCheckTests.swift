import Contracts
import Foundation
import Testing
import X12

@testable import InsuranceService

/// StructureCheck finds nothing in what the writers make, and finds each kind of break put into it.
@Suite struct StructureCheckTests {
    /// One dental claim for a dependent: 41 segments from ST (segment 3 of the file) to SE (segment 43).
    func dentalText() throws -> String {
        try ClaimFile.interchange(claims: [sampleDentalClaim()], kind: .dental, envelope: sampleClaimFileEnvelope,
                                  date: claimFileTime).text
    }

    /// The text with `old` (a whole segment, without its terminator) replaced.
    func replacing(_ old: String, with new: String, in text: String) -> String {
        let lines = claimFileSegments(text)
        #expect(lines.contains(old), "fixture lacks \(old)")
        return lines.map { ($0 == old ? new : $0) + "~\n" }.joined()
    }

    func messages(_ text: String) -> [String] { StructureCheck.check(text).map(\.description) }

    @Test func writtenFilesAreClean() throws {
        #expect(StructureCheck.check(try dentalText()) == [])
    }

    @Test func wrongSegmentCountIsFound() throws {
        let found = StructureCheck.check(replacing("SE*41*0001", with: "SE*40*0001", in: try dentalText()))
        #expect(found.count == 1)
        #expect(found.first?.segmentID == "SE" && found.first?.position == 43)
        #expect(found.first?.message.contains("SE01 says 40") == true)
    }

    @Test func missingBillingProviderIsFound() throws {
        // Drop NM1*85 and keep SE01 right, so that only the missing loop is reported.
        let text = replacing("SE*41*0001", with: "SE*40*0001", in: try dentalText())
        let lines = claimFileSegments(text).filter { !$0.hasPrefix("NM1*85") }
        let found = messages(lines.map { $0 + "~\n" }.joined())
        #expect(found.contains { $0.contains("loop 2010AA (NM1*85, the billing provider) is missing") })
    }

    @Test func badNPIIsFound() throws {
        let text = replacing("NM1*85*2*Springfield Family Dental*****XX*1245319599",
                             with: "NM1*85*2*Springfield Family Dental*****XX*1245319598", in: try dentalText())
        let found = StructureCheck.check(text)
        #expect(found.count == 1)
        #expect(found.first?.segmentID == "NM1" && found.first?.message.contains("is not an NPI") == true)
    }

    @Test func claimTotalThatIsNotTheSumOfItsLinesIsFound() throws {
        let text = replacing("CLM*clm-1001*295.5***11:B:1*Y*A*Y*Y", with: "CLM*clm-1001*300***11:B:1*Y*A*Y*Y", in: try dentalText())
        #expect(messages(text) == ["segment 30 (CLM): CLM02 300 is not the sum of the lines' SV302 (295.5)"])
    }

    @Test func wrongHLParentIsFound() throws {
        let text = replacing("HL*3*2*23*0", with: "HL*3*1*23*0", in: try dentalText())
        let found = messages(text)
        #expect(found.contains { $0.contains("HL02 \"1\" is a level 20 HL; a level 23 HL belongs under a level 22") })
        #expect(found.contains { $0.contains("HL04 is 1 but no HL names HL 2 as its parent") })
    }

    @Test func lineNumbersAmountsDatesAndTeethAreChecked() throws {
        var text = replacing("LX*2", with: "LX*3", in: try dentalText())
        text = replacing("TOO*JP*30*M:O", with: "TOO*JP*33*M:X", in: text)
        text = replacing("SV3*AD:D1110*110.5****1", with: "SV3*AD:D1110*110.505****1", in: text)
        text = replacing("DMG*D8*19860412*F", with: "DMG*D8*19860231*F", in: text)
        let found = messages(text)
        #expect(found.contains { $0.contains("LX01 \"3\" should be 2") })
        #expect(found.contains { $0.contains("TOO02 \"33\" is not a tooth") })
        #expect(found.contains { $0.contains("TOO03 surface \"X\"") })
        #expect(found.contains { $0.contains("SV302 \"110.505\" is not an amount") })
        #expect(found.contains { $0.contains("DMG02 \"19860231\" is not a CCYYMMDD date") })
    }

    @Test func predeterminationWithAServiceDateIsFound() throws {
        let text = replacing("CLM*clm-1001*295.5***11:B:1*Y*A*Y*Y", with: "CLM*clm-1001*295.5***11:B:1*Y*A*Y*Y**********PB",
                             in: try dentalText())
        #expect(messages(text).contains { $0.contains("a predetermination (CLM19 PB) has no service date") })
    }

    @Test func eligibilityInquiryBreaksAreFound() throws {
        let claim = sampleDentalClaim()
        let request = EligibilityRequest(
            coverage: claim.parties.coverage, patient: claim.parties.patient, receiver: .practice(.example),
            traceNumber: "ELIG-0001", originatorId: "371234567", dateOfService: claimFileDay("2026-12-01"))
        let text = try EligibilityInquiry.interchange(request, envelope: sampleClaimFileEnvelope.clearinghouse, date: claimFileTime).text
        #expect(StructureCheck.check(text) == [])
        let noQuestion = replacing("EQ*35", with: "DTP*291*D8*20261201", in: text)
        #expect(messages(noQuestion).contains { $0.contains("loop 2000D is the patient's: it needs at least one EQ") })
        let shortTrace = replacing("TRN*1*ELIG-0001*9371234567", with: "TRN*1*ELIG-0001*937", in: text)
        #expect(messages(shortTrace).contains { $0.contains("TRN03 \"937\" must be 10 characters") })
    }

    @Test func unknownGuideIsSaidNotChecked() throws {
        let text = try ClaimFile.interchange(claims: [sampleMedicalClaim()], kind: .medical, envelope: sampleClaimFileEnvelope,
                                             date: claimFileTime).text
        #expect(messages(text).count == 1 && messages(text)[0].contains("no structure rules"))
    }

    /// The LinuxForHealth 270 samples beside the repository are clean by these rules too.
    @Test(arguments: ["demo.270", "dependent-health-benefit-check.270", "subscriber-health-benefit-check.270"])
    func outside270SamplesAreClean(name: String) throws {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/x12-samples/270/\(name)").standardizedFileURL
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(StructureCheck.check(text) == [])
    }
}
