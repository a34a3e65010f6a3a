import Contracts
import Testing
import X12

@testable import InsuranceService

// Fixtures for the outbound X12 tests (shared with StructureCheckTests): claims built by hand, one envelope, one clock.

func claimFileDay(_ text: String) -> CalendarDate {
    guard let date = CalendarDate(text) else { fatalError("not a date: \(text)") }
    return date
}

func claimFileUSD(_ cents: Int64) -> Money { Money(amount: cents, currency: "USD") }

let claimFileTime = X12Writer.DateTime(year: 2026, month: 11, day: 5, hour: 9, minute: 30)

let sampleClaimFileEnvelope = ClaimFileEnvelope(
    clearinghouse: ClearinghouseEnvelope(
        sender: .init(qualifier: "ZZ", id: "CLINICLEDGER"), receiver: .init(qualifier: "ZZ", id: "CLEARHOUSE"),
        interchangeControlNumber: 42, groupControlNumber: 7, firstTransactionControlNumber: 1, usage: .test),
    submitter: ClaimSubmitter(name: "Springfield Family Dental", id: "SUB123", contactName: "Billing Office",
                              phone: "+1 (217) 555-0100"),
    receiver: ClaimReceiver(name: "Clearing House", id: "CH999"))

/// Ana Lopez, covered as the spouse of Luis (the example coverage): a two-surface filling on tooth 30 and a cleaning.
func sampleDentalClaim(id: String = "clm-1001", patientIsSubscriber: Bool = false, predetermination: Bool = false) -> Claim {
    var coverage = CoverageUpdated.example
    if patientIsSubscriber {
        coverage.subscriberRelationship = .self
        coverage.subscriber = nil
    }
    let patient = PatientFacts(
        patientId: "pat-1001", name: PersonName(given: "Ana", family: "Lopez"), dateOfBirth: claimFileDay("1986-04-12"),
        sex: .female,
        address: PostalAddress(lines: ["12 Elm St"], city: "Springfield", region: "IL", postalCode: "62701", country: "US"))
    let lines = [
        ClaimLine(chargeId: "chg-1", procedure: Procedure(code: "D2392", codeSystem: .cdt, tooth: "30", surfaces: ["M", "O"]),
                  fee: claimFileUSD(18_500), serviceDate: claimFileDay("2026-11-02"), providerId: "prov-12",
                  diagnosisPointers: [1], suggestion: nil),
        ClaimLine(chargeId: "chg-2", procedure: Procedure(code: "D1110", codeSystem: .cdt), fee: claimFileUSD(11_050),
                  serviceDate: claimFileDay("2026-11-02"), providerId: "prov-12", diagnosisPointers: [], suggestion: nil),
    ]
    return Claim(
        claimId: id, clinicId: "clinic-1", patientId: "pat-1001", kind: .dental, coverageId: coverage.coverageId,
        parties: ClaimParties(practice: .example, providers: ["prov-12": .example], patient: patient, coverage: coverage),
        lines: lines, diagnoses: ["K02.52"], totalCharged: claimFileUSD(29_550), frequencyCode: "1", payerClaimNumber: nil,
        predetermination: predetermination, status: .draft, findings: [], risk: nil, expectedInsurance: claimFileUSD(0),
        autoFixedCauses: [], history: [], interchangeControlNumber: nil, transactionControlNumber: nil)
}

/// A replacement office visit for a sore throat: two diagnoses, two lines, the patient is the subscriber.
func sampleMedicalClaim() -> Claim {
    var claim = sampleDentalClaim(id: "clm-2001", patientIsSubscriber: true)
    claim.kind = .medical
    claim.parties.coverage.kind = .medical
    claim.parties.coverage.payer = Payer(payerId: "87726", name: "UnitedHealthcare")
    claim.diagnoses = ["J02.9", "R50.9"]
    claim.lines = [
        ClaimLine(chargeId: "chg-9", procedure: Procedure(code: "99213", codeSystem: .cpt), fee: claimFileUSD(12_500),
                  serviceDate: claimFileDay("2026-11-03"), providerId: "prov-12", diagnosisPointers: [1, 2], suggestion: nil),
        ClaimLine(chargeId: "chg-10", procedure: Procedure(code: "87880", codeSystem: .cpt), fee: claimFileUSD(3_000),
                  serviceDate: claimFileDay("2026-11-03"), providerId: "prov-12", diagnosisPointers: [1], suggestion: nil),
    ]
    claim.totalCharged = claimFileUSD(15_500)
    claim.frequencyCode = "7"
    claim.payerClaimNumber = "PCN-778899"
    return claim
}

/// The written text, one segment a line, without terminators.
func claimFileSegments(_ text: String) -> [String] {
    text.split(separator: "\n").map { String($0.dropLast()) }
}

@Suite struct ClaimFileTests {
    @Test func dentalFileHasOneSetPerClaimAndParsesClean() throws {
        let claims = [sampleDentalClaim(), sampleDentalClaim(id: "clm-1002", patientIsSubscriber: true),
                      sampleDentalClaim(id: "clm-1003", predetermination: true)]
        let file = try ClaimFile.interchange(claims: claims, kind: .dental, envelope: sampleClaimFileEnvelope, date: claimFileTime)
        #expect(file.transactionControlNumbers == ["clm-1001": "0001", "clm-1002": "0002", "clm-1003": "0003"])
        let interchange = try X12Interchange.parse(file.text)
        #expect(interchange.envelopeErrors().isEmpty)
        #expect(interchange.functionalGroups.count == 1)
        let group = interchange.functionalGroups[0]
        #expect(group.functionalIdentifierCode == "HC" && group.version == "005010X224A2" && group.controlNumber == "7")
        #expect(group.transactionSets.map(\.controlNumber) == ["0001", "0002", "0003"])
        #expect(group.transactionSets.allSatisfy { $0.implementationConvention == "005010X224A2" })
        #expect(interchange.controlNumber == "000000042" && interchange.usageIndicator == "T")
        #expect(StructureCheck.check(interchange) == [])

        let lines = claimFileSegments(file.text)
        #expect(lines.contains("BHT*0019*00*clm-1001*20261105*0930*CH"))
        #expect(lines.contains("PER*IC*Billing Office*TE*2175550100"))
        #expect(lines.contains("NM1*85*2*Springfield Family Dental*****XX*1245319599"))
        #expect(lines.contains("SBR*P**GRP-4411******CI"))  // dependent: no relationship code
        #expect(lines.contains("SBR*P*18*GRP-4411******CI"))  // self
        #expect(lines.contains("HL*3*2*23*0") && lines.contains("PAT*01") && lines.contains("NM1*QC*1*Lopez*Ana"))
        #expect(lines.contains("CLM*clm-1001*295.5***11:B:1*Y*A*Y*Y"))
        #expect(lines.contains("HI*ABK:K0252"))
        #expect(lines.contains("SV3*AD:D2392*185****1*****1"))
        #expect(lines.contains("TOO*JP*30*M:O"))
        #expect(lines.contains("NM1*82*1*Chen*Maya****XX*1234567893") && lines.contains("PRV*PE*PXC*1223G0001X"))
    }

    @Test func predeterminationIsMarkedInCLM19AndHasNoServiceDates() throws {
        let file = try ClaimFile.interchange(claims: [sampleDentalClaim(predetermination: true)], kind: .dental,
                                             envelope: sampleClaimFileEnvelope, date: claimFileTime)
        let lines = claimFileSegments(file.text)
        #expect(lines.contains("CLM*clm-1001*295.5***11:B:1*Y*A*Y*Y**********PB"))
        #expect(lines.contains("BHT*0019*00*clm-1001*20261105*0930*CH"))
        #expect(!lines.contains { $0.hasPrefix("DTP*472") })
        #expect(StructureCheck.check(file.text) == [])
    }

    @Test func professionalFileCarriesDiagnosesPointersAndTheReplacedClaim() throws {
        let file = try ClaimFile.interchange(claims: [sampleMedicalClaim()], kind: .medical, envelope: sampleClaimFileEnvelope,
                                             date: claimFileTime)
        let interchange = try X12Interchange.parse(file.text)
        #expect(interchange.envelopeErrors().isEmpty)
        #expect(interchange.functionalGroups[0].version == "005010X222A1")
        #expect(interchange.transactionSets[0].implementationConvention == "005010X222A1")
        let lines = claimFileSegments(file.text)
        #expect(lines.contains("CLM*clm-2001*155***11:B:7*Y*A*Y*Y"))
        #expect(lines.contains("REF*F8*PCN-778899"))
        #expect(lines.contains("HI*ABK:J029*ABF:R509"))
        #expect(lines.contains("SV1*HC:99213*125*UN*1***1:2"))
        #expect(lines.contains("DTP*472*D8*20261103"))
        #expect(lines.contains("REF*6R*chg-10"))
    }

    @Test func writerRefusesClaimsThatCannotBeCompliant() {
        var noPractice = sampleDentalClaim()
        noPractice.parties.practice = nil
        var replacement = sampleDentalClaim()
        replacement.frequencyCode = "7"
        var starred = sampleDentalClaim()
        starred.parties.patient.name = PersonName(given: "Ana*", family: "Lopez")
        var noDiagnosis = sampleMedicalClaim()
        noDiagnosis.diagnoses = []
        noDiagnosis.lines = noDiagnosis.lines.map { var line = $0; line.diagnosisPointers = []; return line }
        for (claims, kind) in [([noPractice], CoverageKind.dental), ([replacement], .dental), ([starred], .dental),
                               ([sampleDentalClaim(), sampleMedicalClaim()], .dental), ([noDiagnosis], .medical),
                               ([sampleDentalClaim(), sampleDentalClaim()], .dental), ([], .dental)] {
            #expect(throws: X12Error.self) {
                try ClaimFile.interchange(claims: claims, kind: kind, envelope: sampleClaimFileEnvelope, date: claimFileTime)
            }
        }
    }

    @Test func amountsAreWrittenWithoutTrailingZeros() {
        #expect(ClaimX12Values.amount(claimFileUSD(18_500)) == "185")
        #expect(ClaimX12Values.amount(claimFileUSD(18_550)) == "185.5")
        #expect(ClaimX12Values.amount(claimFileUSD(18_505)) == "185.05")
        #expect(ClaimX12Values.amount(claimFileUSD(5)) == "0.05")
        #expect(ClaimX12Values.amount(claimFileUSD(-1_000)) == "-10")
    }

    @Test func eligibilityInquiryForADependentAsksInTheDependentLoop() throws {
        let claim = sampleDentalClaim()
        let request = EligibilityRequest(
            coverage: claim.parties.coverage, patient: claim.parties.patient, receiver: .practice(.example),
            traceNumber: "ELIG-0001", originatorId: "371234567", dateOfService: claimFileDay("2026-12-01"))
        let file = try EligibilityInquiry.interchange(request, envelope: sampleClaimFileEnvelope.clearinghouse, date: claimFileTime)
        let interchange = try X12Interchange.parse(file.text)
        #expect(interchange.envelopeErrors().isEmpty)
        #expect(interchange.functionalGroups[0].functionalIdentifierCode == "HS")
        #expect(interchange.functionalGroups[0].version == "005010X279A1")
        #expect(file.transactionControlNumber == "0001")
        #expect(StructureCheck.check(interchange) == [])
        #expect(Array(claimFileSegments(file.text)[3...15]) == [
            "BHT*0022*13*ELIG-0001*20261105*0930", "HL*1**20*1", "NM1*PR*2*Aetna Dental*****PI*60054", "HL*2*1*21*1",
            "NM1*1P*2*Springfield Family Dental*****XX*1245319599", "HL*3*2*22*1", "NM1*IL*1*Lopez*Luis****MI*W123456789",
            "DMG*D8*19840903*M", "HL*4*3*23*0", "TRN*1*ELIG-0001*9371234567", "NM1*03*1*Lopez*Ana", "DMG*D8*19860412*F",
            "DTP*291*D8*20261201",
        ])
        #expect(claimFileSegments(file.text)[16] == "EQ*35")
    }

    @Test func eligibilityInquiryForASubscriberFromOneProvider() throws {
        let claim = sampleMedicalClaim()
        let request = EligibilityRequest(
            coverage: claim.parties.coverage, patient: claim.parties.patient, receiver: .provider(.example),
            traceNumber: "ELIG-0002", originatorId: "371234567", dateOfService: claimFileDay("2026-12-01"))
        let file = try EligibilityInquiry.interchange(request, envelope: sampleClaimFileEnvelope.clearinghouse, date: claimFileTime)
        let lines = claimFileSegments(file.text)
        #expect(StructureCheck.check(file.text) == [])
        #expect(lines.contains("NM1*1P*1*Chen*Maya****XX*1234567893"))
        #expect(lines.contains("HL*3*2*22*0") && lines.contains("TRN*1*ELIG-0002*9371234567") && lines.contains("EQ*30"))
        #expect(!lines.contains { $0.hasPrefix("HL*4") })
    }
}
