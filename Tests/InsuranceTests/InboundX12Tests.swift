import Contracts
import Foundation
import Testing
import X12

@testable import InsuranceService

/// The third-party files in /work/shared/x12-samples (Tests/InsuranceTests → repo root → ../shared/x12-samples).
private enum InboundSamples {
    static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/x12-samples").standardizedFileURL
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
    }

    static func names(_ kind: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(kind).path)
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }
}

@Suite struct EligibilityResponseReaderTests {
    @Test func everySample271Parses() throws {
        let names = try InboundSamples.names("271")
        #expect(names.count == 4)
        for name in names {
            let result = try EligibilityResponseReader.read(try InboundSamples.text("271/" + name))
            #expect(result.payerName == "ABC COMPANY", "\(name)")
        }
    }

    @Test func theSubscriberSampleIsActiveWithATenDollarInNetworkCopay() throws {
        let result = try EligibilityResponseReader.read(try InboundSamples.text("271/subscriber-health-benefit-check.271"))
        #expect(result.payerId == "841610001")
        #expect(result.envelopeErrors.isEmpty)
        let member = try #require(result.members.first)
        #expect(result.members.count == 1)
        #expect(member.name == PersonName(given: "JOHN", family: "SMITH"))
        #expect(member.memberId == "123456789")
        #expect(member.dateOfBirth == CalendarDate(year: 1963, month: 5, day: 19))
        #expect(member.traceNumber == "93175-012547")
        #expect(member.status == .active)
        #expect(member.found)
        #expect(member.benefits.map(\.code) == ["1", "L", "1", "B", "B"])
        #expect(member.benefits[0].serviceTypes == ["30"])
        #expect(member.benefits[0].planDescription == "GOLD 123 PLAN")
        let copays = member.benefits.filter { $0.code == "B" }
        #expect(copays.map(\.amount) == [1_000, 3_000])
        #expect(copays.map(\.inNetwork) == [true, false])
        #expect(copays.allSatisfy { $0.timePeriod == "27" && $0.serviceTypes.contains("98") && $0.serviceTypes.count == 10 })
        // The in-network co-pay wins; the LS/LE provider (JONES) does not replace the member's name.
        #expect(member.planBenefits().copay == Money(amount: 1_000, currency: "USD"))
        #expect(member.planBenefits().deductible == nil)
    }

    @Test func theDependentSampleAnswersForMaryUnderJohnsId() throws {
        let result = try EligibilityResponseReader.read(try InboundSamples.text("271/dependent-health-benefit-check.271"))
        #expect(result.members.count == 2)
        #expect(result.members[0].isDependent == false)
        #expect(result.members[0].memberId == "123456789")
        #expect(result.members[0].status == .unknown)
        #expect(result.members[1].isDependent)
        #expect(result.members[1].name == PersonName(given: "MARY", family: "SMITH"))
        #expect(result.members[1].dateOfBirth == CalendarDate(year: 1998, month: 10, day: 14))
        #expect(result.members[1].status == .active)
        #expect(result.members[1].planBenefits().copay?.amount == 1_000)
    }

    @Test func theErrorSampleIsAProviderRejectionAndItsSEControlNumberIsWrong() throws {
        let text = try InboundSamples.text("271/subscriber-health-benefit-check-error.271")
        // Strict parsing refuses it: SE02 4323 is not ST02 4321.
        #expect(throws: X12Error.self) { try X12Interchange.parse(text) }
        let result = try EligibilityResponseReader.read(text)
        #expect(result.envelopeErrors.count == 1)
        #expect(result.envelopeErrors.first?.description.contains("SE02") == true)
        #expect(result.members.isEmpty)
        let rejection = try #require(result.rejections.first)
        #expect(rejection.loop == "2100B")
        #expect(rejection.validRequest)
        #expect(rejection.reasonCode == "50")
        #expect(rejection.reason == "provider ineligible for inquiries")
        #expect(rejection.followUp == "resubmission not allowed")
    }

    @Test func decimalsAreReadExactlyWithoutFloatingPoint() {
        #expect(ClearinghouseDecimal.scaled("10.00", digits: 2) == 1_000)
        #expect(ClearinghouseDecimal.scaled(".20", digits: 2) == 20)
        #expect(ClearinghouseDecimal.scaled("0.125", digits: 2) == nil)
        #expect(ClearinghouseDecimal.scaled("1500", digits: 2) == 150_000)
        #expect(ClearinghouseDecimal.scaled("-3.5", digits: 2) == -350)
        #expect(ClearinghouseDecimal.scaled("1.2.3", digits: 2) == nil)
        #expect(ClearinghouseDecimal.scaled("", digits: 2) == nil)
        #expect(ClearinghouseDecimal.text(12_550, digits: 2) == "125.5")
        #expect(ClearinghouseDecimal.text(5, digits: 2) == "0.05")
        #expect(ClearinghouseDecimal.text(20, digits: 2) == "0.2")
    }
}

@Suite struct Acknowledgment999ReaderTests {
    @Test func theAcceptedSampleAcceptsTransactionSet0001() throws {
        let file = try Acknowledgment999Reader.read(try InboundSamples.text("999/x12_999_accepted.txt"))
        // Its IEA02 (000000001) is not its ISA13 (000000286): read anyway, and said.
        #expect(file.envelopeErrors.count == 1)
        let ack = try #require(file.acknowledgments.first)
        #expect(ack.functionalIdentifier == "HC")
        #expect(ack.groupControlNumber == "17456")
        #expect(ack.version == "005010X223A2")
        #expect(ack.accepted)
        #expect((ack.groupCode, ack.included, ack.received, ack.acceptedCount) == ("A", 1, 1, 1))
        #expect(ack.transactions.map(\.controlNumber) == ["0001"])
        #expect(ack.transactions[0].accepted)
        #expect(ack.transactions[0].summary == "accepted")
    }

    @Test func theRejectedSampleNamesTheSegmentInError() throws {
        let file = try Acknowledgment999Reader.read(try InboundSamples.text("999/x12_999_rejected.txt"))
        #expect(file.envelopeErrors.isEmpty)
        let ack = try #require(file.acknowledgments.first)
        #expect(!ack.accepted)
        #expect((ack.groupCode, ack.included, ack.received, ack.acceptedCount) == ("R", 1, 1, 0))
        let set = try #require(ack.transactions.first)
        #expect(set.controlNumber == "0028")
        #expect(set.convention == nil)
        #expect(set.code == "R")
        #expect(set.syntaxErrors == ["5"])
        #expect(set.segmentErrors == [Ack999SegmentError(segmentId: "NM", position: 17, loop: nil, code: "1")])
        #expect(set.summary == "rejected: one or more segments in error; segment NM at 17: unrecognized segment id")
    }
}

@Suite struct ClaimAcknowledgment277ReaderTests {
    @Test func theAcceptedSampleGivesThePayerClaimNumber() throws {
        let file = try ClaimAcknowledgment277Reader.read(try InboundSamples.text("277CA/x12_277CA_accepted.txt"))
        #expect(file.sourceName == "NYSDOH")
        #expect(file.batchTrace == "000000674")
        let claim = try #require(file.claims.first)
        #expect(file.claims.count == 1)
        #expect(claim.claimId == "5781")
        #expect(claim.accepted)
        #expect(claim.payerClaimNumber == "1107000000014420")
        #expect(claim.total == 12_500)
        #expect(claim.memberId == "LL99999X")
        #expect(claim.billingNpi == "1234567890")
        #expect(claim.reports.first?.statuses == [ClaimStatusCode(category: "A2", code: "20")])
        #expect(claim.findings.isEmpty)
    }

    @Test func theRejectedSampleRejectsForTheBillingProvidersNPI() throws {
        let file = try ClaimAcknowledgment277Reader.read(try InboundSamples.text("277CA/x12_277CA_rejected.txt"))
        let claim = try #require(file.claims.first)
        #expect(claim.claimId == "3920394930203")
        #expect(!claim.accepted)
        #expect(claim.total == 19_914)
        #expect(claim.serviceDate == CalendarDate(year: 2009, month: 3, day: 11))
        let status = try #require(claim.reports.first?.statuses.first)
        #expect(status == ClaimStatusCode(category: "A7", code: "562", entity: "85"))
        #expect(status.description == "rejected for invalid information: entity's National Provider Identifier (NPI) (billing provider)")
        let finding = try #require(claim.findings.first)
        #expect(finding.code == "npi_invalid")
        #expect(finding.location == "2010AA NM109")
    }
}

@Suite struct ClaimFileReaderTests {
    /// CLM01 and CLM02 (in cents) of some of the 837P samples, read by hand.
    static let expected: [String: (String, Int64)] = [
        "demo.example1.837": ("26463774", 10_000), "demo.example2.837": ("26462967", 10_000),
        "demo.ambulance.example5.837": ("051068", 76_650), "demo.cob.example3.A.837": ("26407789", 7_904),
        "demo.drug.example10.2.837": ("CLMNO12345", 223_293), "demo.example7.837": ("R03996273 #01", 52_024),
        "demo.example9.837": ("153829140", 82_700),
    ]

    @Test func everyClaimTotalIsTheSumOfItsLines() throws {
        let names = try InboundSamples.names("837P")
        #expect(names.count == 18)
        for name in names {
            let interchange = try X12Interchange.parse(try InboundSamples.text("837P/" + name), validatingEnvelope: false)
            let claims = ClaimFileReader.claims(in: interchange)
            #expect(!claims.isEmpty, "\(name)")
            for claim in claims {
                #expect(claim.total != nil && claim.total == claim.linesTotal, "\(name) \(claim.claimId)")
            }
            if let (id, total) = Self.expected[name] {
                #expect(claims.map(\.claimId) == [id], "\(name)")
                #expect(claims.first?.total == total, "\(name)")
            }
        }
    }

    @Test func example1ReadsPartiesAndLines() throws {
        let interchange = try X12Interchange.parse(try InboundSamples.text("837P/demo.example1.837"))
        let claim = try #require(ClaimFileReader.claims(in: interchange).first)
        #expect(claim.kind == .medical)
        #expect(claim.frequencyCode == "1")
        #expect(claim.memberId == "JS00111223333")
        #expect(claim.payerId == "999996666")
        #expect(claim.billingNpi == "1912301953")
        #expect(claim.subscriber == PersonName(given: "JANE", family: "SMITH"))
        #expect(claim.patient == PersonName(given: "TED", family: "SMITH"))
        #expect(claim.lines.map(\.code) == ["99213", "87070", "99214", "86663"])
        #expect(claim.lines.map(\.amount) == [4_000, 1_500, 3_500, 1_000])
        #expect(claim.lines.map { $0.serviceDate?.description } == ["2006-10-03", "2006-10-03", "2006-10-10", "2006-10-10"])
    }

    /// The other-subscriber loop (2330A NM1*IL T55TY666) must not replace 2010BA.
    @Test func coordinationOfBenefitsKeepsTheSubscribersOwnMemberId() throws {
        let interchange = try X12Interchange.parse(try InboundSamples.text("837P/demo.cob.example3.A.837"))
        let claim = try #require(ClaimFileReader.claims(in: interchange).first)
        #expect(claim.memberId == "111223333")
        #expect(claim.payerId == "999996666")
        #expect(claim.renderingNpis == ["1999996666"])
        #expect(claim.lines.map(\.code) == ["99213", "90782", "J3301"])
    }
}
