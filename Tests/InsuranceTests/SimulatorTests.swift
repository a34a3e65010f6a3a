import Contracts
import Foundation
import Testing
import X12

@testable import InsuranceService

/// A one-claim 837D as our writer would send it: D1110 and D2391 (which needs a tooth), total CLM02.
private func simulatorClaimFile(memberId: String, tooth: String?, billingNpi: String = "1245319599", total: String = "230") -> String {
    var body = [
        "BHT*0019*00*BATCH123*20261201*0930*CH",
        "NM1*41*2*SPRINGFIELD FAMILY DENTAL*****46*CLINIC01", "PER*IC*FRONT DESK*TE*2175550100",
        "NM1*40*2*SIM CLEARINGHOUSE*****46*CLEARHOUSE",
        "HL*1**20*1", "NM1*85*2*SPRINGFIELD FAMILY DENTAL*****XX*\(billingNpi)", "N3*400 MAIN ST",
        "N4*SPRINGFIELD*IL*627011234", "REF*EI*371234567",
        "HL*2*1*22*0", "SBR*P*18*GRP-4411******CI", "NM1*IL*1*LOPEZ*ANA****MI*\(memberId)",
        "NM1*PR*2*AETNA DENTAL*****PI*60054",
        "CLM*clm-5521*\(total)***11:B:1*Y*A*Y*Y", "DTP*472*D8*20261130", "NM1*82*1*CHEN*MAYA****XX*1234567893",
        "LX*1", "SV3*AD:D1110*80", "LX*2", "SV3*AD:D2391*150",
    ]
    if let tooth { body.append("TOO*JP*\(tooth)*M:O") }
    let lines = [
        "ISA*00*          *00*          *ZZ*CLINICLEDGER   *ZZ*CLEARHOUSE     *261201*0930*^*00501*000000123*0*T*:",
        "GS*HC*CLINICLEDGER*CLEARHOUSE*20261201*0930*123*X*005010X224A2", "ST*837*0001*005010X224A2",
    ] + body + ["SE*\(body.count + 2)*0001", "GE*1*123", "IEA*1*000000123"]
    return lines.map { $0 + "~\n" }.joined()
}

private let simulatorNow = X12Writer.DateTime(year: 2026, month: 12, day: 1, hour: 18, minute: 5)

/// The payer's member book: Ana Lopez under W123456789 with the contract's example benefits.
private func simulatorBook(_ payerId: String, _ memberId: String) -> SimulatedMember? {
    guard payerId == "60054" || payerId == "842610001", memberId == "W123456789" || memberId == "11122333301" else { return nil }
    return SimulatedMember(
        memberId: memberId, name: PersonName(given: "ANA", family: "LOPEZ"), dateOfBirth: CalendarDate(year: 1984, month: 9, day: 3),
        kind: .dental, planName: "DENTAL PPO", benefits: .example)
}

@Suite struct ClearinghouseSimulatorTests {
    @Test func aCleanClaimIsAcceptedBy999And277CAWithAPayerClaimNumber() throws {
        let answers = ClearinghouseSimulator.answer(
            to: simulatorClaimFile(memberId: "W123456789", tooth: "3"), members: simulatorBook, firstControlNumber: 500,
            date: simulatorNow)
        #expect(answers.count == 2)
        for answer in answers { _ = try X12Interchange.parse(answer) }

        let ack = try #require(try Acknowledgment999Reader.read(answers[0]).acknowledgments.first)
        #expect(ack.accepted)
        #expect(ack.groupControlNumber == "123")
        #expect(ack.version == "005010X224A2")
        #expect(ack.transactions.map(\.controlNumber) == ["0001"])

        let file = try ClaimAcknowledgment277Reader.read(answers[1])
        #expect(file.envelopeErrors.isEmpty)
        #expect(file.batchTrace == "BATCH123")
        let claim = try #require(file.claims.first)
        #expect(claim.claimId == "clm-5521")
        #expect(claim.accepted)
        #expect(claim.total == 23_000)
        #expect(claim.payerClaimNumber == "PCN261201000000123001")
        #expect(claim.serviceDate == CalendarDate(year: 2026, month: 11, day: 30))
        #expect(try X12Interchange.parse(answers[1]).controlNumber == "000000501")
    }

    @Test func aClaimWithProblemsIsRejectedWithEachReasonAndWhere() throws {
        let answers = ClearinghouseSimulator.answer(
            to: simulatorClaimFile(memberId: "w123-456789", tooth: nil, billingNpi: "1234567890", total: "231"),
            members: simulatorBook, firstControlNumber: 500, date: simulatorNow)
        #expect(answers.count == 2)
        #expect(try Acknowledgment999Reader.read(answers[0]).acknowledgments.first?.accepted == true)
        let claim = try #require(try ClaimAcknowledgment277Reader.read(answers[1]).claims.first)
        #expect(!claim.accepted)
        #expect(claim.payerClaimNumber == nil)
        let findings = claim.findings
        #expect(findings.map(\.code) == ["member_id_format", "npi_invalid", "tooth_missing", "payer_A7_400"])
        #expect(findings.map(\.location) == ["2010BA NM109", "2010AA NM109", "2400 TOO02", "2300 CLM02"])
        let member = try #require(claim.reports.first)
        #expect(member.statuses == [ClaimStatusCode(category: "A3", code: "33", entity: "IL")])
        #expect(member.hint == "W123456789")
        #expect(findings[0].message.contains("subscriber id not found (w123-456789)"))
        #expect(claim.lines.map(\.code) == ["D2391"])
        #expect(claim.lines.first?.reports.first?.statuses == [ClaimStatusCode(category: "A7", code: "244")])
    }

    @Test func anUnknownMemberWithoutANormalisedMatchGetsNoHint() throws {
        let answers = ClearinghouseSimulator.answer(
            to: simulatorClaimFile(memberId: "X999", tooth: "3"), members: simulatorBook, firstControlNumber: 1, date: simulatorNow)
        let claim = try #require(try ClaimAcknowledgment277Reader.read(answers[1]).claims.first)
        #expect(claim.findings.map(\.code) == ["member_not_found"])
        #expect(claim.reports.first?.hint == nil)
    }

    @Test func aSyntaxErrorIsRejectedBy999AndGetsNo277CA() throws {
        let broken = simulatorClaimFile(memberId: "W123456789", tooth: "3")
            .replacingOccurrences(of: "SV3*AD:D1110*80", with: "SV3*AD:D1110*8O")
            .replacingOccurrences(of: "SE*23*0001", with: "SE*22*0001")
        let answers = ClearinghouseSimulator.answer(to: broken, members: simulatorBook, firstControlNumber: 600, date: simulatorNow)
        #expect(answers.count == 1)
        let ack = try #require(try Acknowledgment999Reader.read(answers[0]).acknowledgments.first)
        #expect(ack.groupCode == "R")
        let set = try #require(ack.transactions.first)
        #expect(set.syntaxErrors == ["4", "5"])
        #expect(set.segmentErrors.first?.segmentId == "SV3")
        #expect(set.segmentErrors.first?.position == 19)
        #expect(set.segmentErrors.first?.elementErrors == [Ack999ElementError(position: 2, reference: "782", code: "6", badValue: "8O")])
    }

    @Test func every837PSampleGetsA999AndA277CAThatParse() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/x12-samples/837P").standardizedFileURL
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where !name.hasPrefix(".") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let answers = ClearinghouseSimulator.answer(to: text, members: simulatorBook, firstControlNumber: 7, date: simulatorNow)
            #expect(answers.count == 2, "\(name)")
            for answer in answers { _ = try X12Interchange.parse(answer) }
            let claims = try ClaimAcknowledgment277Reader.read(answers[1]).claims
            #expect(claims.map(\.claimId) == ClaimFileReader.claims(in: try X12Interchange.parse(text, validatingEnvelope: false)).map(\.claimId))
        }
    }

    @Test func a270GetsA271ThatReadsBackAsTheMembersBenefits() throws {
        let inquiry = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("../shared/x12-samples/270/subscriber-health-benefit-check.270")
                .standardizedFileURL, encoding: .utf8)
        let answers = ClearinghouseSimulator.answer(to: inquiry, members: simulatorBook, firstControlNumber: 9, date: simulatorNow)
        #expect(answers.count == 1)
        let result = try EligibilityResponseReader.read(answers[0])
        #expect(result.envelopeErrors.isEmpty)
        let member = try #require(result.members.first)
        #expect(member.status == .active)
        #expect(member.traceNumber == "93175-012547")
        #expect(member.memberId == "11122333301")
        let benefits = member.planBenefits()
        let example = PlanBenefits.example
        #expect(benefits.deductible == example.deductible)
        #expect(benefits.deductibleMet == example.deductibleMet)
        #expect(benefits.familyDeductible == example.familyDeductible)
        #expect(benefits.familyDeductibleMet == example.familyDeductibleMet)
        #expect(benefits.annualMaximum == example.annualMaximum)
        #expect(benefits.annualMaximumUsed == example.annualMaximumUsed)
        #expect(benefits.orthoLifetimeMaximum == example.orthoLifetimeMaximum)
        #expect(benefits.coveragePercentByCategory == ["diagnostic": 100, "preventive": 100, "basic": 80, "major": 50, "orthodontics": 50])
        #expect(member.annualMaximumRemaining == 130_000)
    }

    @Test func anUnknownMemberGetsAnAAAReason() throws {
        let inquiry = simulatorInquiry(memberId: "Z1")
        let answers = ClearinghouseSimulator.answer(to: inquiry, members: simulatorBook, firstControlNumber: 9, date: simulatorNow)
        let member = try #require(try EligibilityResponseReader.read(answers[0]).members.first)
        #expect(member.status == .rejected)
        #expect(member.rejections.map(\.reasonCode) == ["75"])
        #expect(member.rejections.first?.reason == "subscriber not found")
        #expect(member.rejections.first?.followUpCode == "C")

        let misspelt = try #require(try EligibilityResponseReader.read(
            ClearinghouseSimulator.answer(to: simulatorInquiry(memberId: "w123-456789"), members: simulatorBook,
                                          firstControlNumber: 9, date: simulatorNow)[0]).members.first)
        #expect(misspelt.rejections.map(\.reasonCode) == ["72"])
    }

    @Test func npiCheckDigits() {
        #expect(NPI.isValid("1234567893"))
        #expect(NPI.isValid("1245319599"))
        #expect(!NPI.isValid("1234567890"))
        #expect(!NPI.isValid("123456789"))
        #expect(ClaimProblems.needsTooth("D2391") && ClaimProblems.needsTooth("D7140") && !ClaimProblems.needsTooth("D1110"))
    }
}

private func simulatorInquiry(memberId: String) -> String {
    let body = [
        "BHT*0022*13*10001234*20261201*1319", "HL*1**20*1", "NM1*PR*2*AETNA DENTAL*****PI*60054", "HL*2*1*21*1",
        "NM1*1P*2*SPRINGFIELD FAMILY DENTAL*****XX*1245319599", "HL*3*2*22*0", "TRN*1*93175-012547*9877281234",
        "NM1*IL*1*LOPEZ*ANA****MI*\(memberId)", "DMG*D8*19840903", "DTP*291*D8*20261201", "EQ*35",
    ]
    let lines = [
        "ISA*00*          *00*          *ZZ*CLINICLEDGER   *ZZ*CLEARHOUSE     *261201*0930*^*00501*000000124*0*T*:",
        "GS*HS*CLINICLEDGER*CLEARHOUSE*20261201*0930*124*X*005010X279A1", "ST*270*0001*005010X279A1",
    ] + body + ["SE*\(body.count + 2)*0001", "GE*1*124", "IEA*1*000000124"]
    return lines.map { $0 + "~\n" }.joined()
}
