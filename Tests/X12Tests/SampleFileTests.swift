import Foundation
import Testing

@testable import X12

@Suite struct SampleFileTests {
    /// Two third-party files break an envelope rule; payers send such files, so they must
    /// still load without envelope validation, and validation must name the exact fault.
    static let knownFaults: [String: X12Error] = [
        "271/subscriber-health-benefit-check-error.271": .controlNumberMismatch(
            segment: 10, element: "SE02", value: "4323", mustMatch: "ST02", expected: "4321"),
        "999/x12_999_accepted.txt": .controlNumberMismatch(
            segment: 10, element: "IEA02", value: "000000001", mustMatch: "ISA13", expected: "000000286"),
    ]

    @Test func everySampleFileParses() throws {
        let files = try Samples.all()
        #expect(files.count >= 40, "expected the ~49 sample files, found \(files.count)")
        for (kind, url) in files {
            let name = "\(kind)/\(url.lastPathComponent)"
            let text = try String(contentsOf: url, encoding: .utf8)
            do {
                let interchange = try X12Interchange.parse(text, validatingEnvelope: false)
                let sets = interchange.transactionSets
                #expect(!sets.isEmpty, "\(name): no transaction set")
                #expect(sets.allSatisfy { !$0.segments.isEmpty }, "\(name): an empty transaction set")
                #expect(interchange.functionalGroups.allSatisfy { $0.version.hasPrefix("005010X") }, "\(name): GS08")
                let expectedST01 = kind.hasPrefix("837") ? "837" : String(kind.prefix(3))
                #expect(sets.allSatisfy { $0.id == expectedST01 }, "\(name): ST01 is not \(expectedST01)")

                let errors = interchange.envelopeErrors()
                if let fault = Self.knownFaults[name] {
                    #expect(errors == [fault], "\(name): \(errors)")
                    #expect(throws: fault) { try X12Interchange.parse(text) }
                } else {
                    #expect(errors.isEmpty, "\(name): \(errors.map(\.description))")
                    _ = try X12Interchange.parse(text)
                }
            } catch {
                Issue.record("\(name) does not parse: \(error)")
            }
        }
    }

    @Test func aProfessionalClaimsChargeIsTheSumOfItsLines() throws {
        let set = try #require(try Samples.parse("837P/demo.example1.837").transactionSets.first)
        #expect(set.implementationConvention == "005010X222A2")
        let claims = set.segments(withID: "CLM")
        #expect(claims.count == 1)
        #expect(claims[0][1] == "26463774")
        #expect(claims[0][2] == "100.00")
        // CLM05 is a composite: place of service, facility code qualifier, frequency.
        #expect([claims[0].component(5, 1), claims[0].component(5, 2), claims[0].component(5, 3)] == ["11", "B", "1"])
        let lines = set.segments(withID: "SV1")
        #expect(lines.map { $0.component(1, 2) } == ["99213", "87070", "99214", "86663"])
        #expect(lines.compactMap { cents($0[2]) }.reduce(0, +) == 100_00)
    }

    @Test func anInstitutionalFileWithTwoClaimsTotalsEachClaimFromItsLines() throws {
        let interchange = try Samples.parse("837I/two-claims-single-provider.837i")
        #expect(interchange.functionalGroups.first?.version == "005010X223A3")
        let set = try #require(interchange.transactionSets.first)
        #expect(set.controlNumber == "987654")
        let claims = set.loops(startingWith: "CLM", endingBefore: ["HL"])
        #expect(claims.map { $0.first?[1] } == ["756048Q", "756049Q"])
        #expect(claims.map { $0.first?[2] } == ["89.95", "50.00"])
        for claim in claims {
            let lines = claim.filter { $0.id == "SV2" }.compactMap { cents($0[3]) }.reduce(0, +)
            #expect(lines == cents(claim.first?[2] ?? ""))
        }
        #expect(set.hierarchicalLevels.map(\.levelCode) == ["20", "22", "22"])
        #expect(set.hierarchicalLevels.map(\.parentID) == [nil, "1", "1"])
    }

    @Test func remittancesCarryTheirPaymentAndTraceNumber() throws {
        let lfh = try #require(try Samples.parse("835/lfh-demo.835").transactionSets.first)
        let bpr = try #require(lfh.segments(withID: "BPR").first)
        #expect(bpr[2] == "150000.00")
        #expect(lfh.segments(withID: "TRN").first?[2] == "12345")
        #expect(lfh.segments(withID: "CLP").map { $0[1] } == ["666123", "777777"])
        #expect(lfh.segments(withID: "PLB").first?.component(3, 1) == "CV")
        #expect(lfh.implementationConvention == nil)  // the 835 sends no ST03

        let emedny = try Samples.parse("835/emedny_sample.835")  // one line, no newlines
        #expect(emedny.senderID == "EMEDNYBAT")
        #expect(emedny.controlNumber == "006000600")
        let set = try #require(emedny.transactionSets.first)
        #expect(set.segments(withID: "BPR").first?[2] == "45.75")
        #expect(set.segments(withID: "TRN").first?[2] == "10100000000")
        #expect(set.segments(withID: "CLP").count == 3)
    }

    @Test func anEligibilityResponseListsItsBenefitsAndRepeatedServiceTypes() throws {
        let set = try #require(try Samples.parse("271/demo.271").transactionSets.first)
        let benefits = set.segments(withID: "EB")
        #expect(benefits.count == 5)
        // EB03 repeats with ISA11 "^": ten service type codes.
        #expect(benefits[2].repetitions(3) == ["1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC"])
        #expect(benefits[3][7] == "10.00")
        #expect(set.hierarchicalLevels.map(\.id) == ["1", "2", "3"])
    }

    @Test func acknowledgmentsReportAcceptanceInAK9() throws {
        let rejected = try #require(try Samples.parse("999/x12_999_rejected.txt").transactionSets.first)
        let ak9 = try #require(rejected.segments(withID: "AK9").first)
        #expect([ak9[1], ak9[2], ak9[3], ak9[4]] == ["R", "1", "1", "0"])
        #expect(rejected.segments(withID: "IK5").first?[1] == "R")

        let accepted = try X12Interchange.parse(Samples.text("999/x12_999_accepted.txt"), validatingEnvelope: false)
        #expect(accepted.transactionSets.first?.segments(withID: "AK9").first?.description == "AK9*A*1*1*1")
    }

    @Test func aClaimAcknowledgmentUsesTheComponentSeparatorFromISA16() throws {
        let interchange = try Samples.parse("277CA/x12_277CA_rejected.txt")
        #expect(interchange.separators.component == "|")
        let stc = try #require(interchange.transactionSets.first?.segments(withID: "STC").last)
        #expect([stc.component(1, 1), stc.component(1, 2), stc.component(1, 3)] == ["A7", "562", "85"])
        #expect(stc[1] == "A7|562|85")
    }
}
